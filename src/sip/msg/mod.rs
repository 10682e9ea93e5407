//! SIP messages: parsing, printing and building, with no sockets and no tokio.
//!
//! ```text
//!  datagram ──parse──▶ Message ──to_bytes──▶ the same bytes
//!  stream ──Framer::push/next_frame──▶ Frame::{Message, KeepAlive}
//!  Message ──headers().from()/via()/cseq()…──▶ typed values (NameAddr, Via, CSeq…)
//!  Message ──yate_params()──▶ [("sip_from", …), ("sip_user-agent", …)]   (ysipchan's export)
//! ```
//!
//! What this layer owns, and why (the full record is `docs/sip-message.md`):
//!
//! * **Framing.** [`parse`] reads one UDP datagram: Content-Length, when present,
//!   bounds the body, a shorter body is an error and extra bytes are ignored
//!   (RFC 3261 §18.3). [`Framer`] cuts a TCP byte stream into messages with the same
//!   head parser, requires Content-Length there, reports CRLF keep-alives
//!   (RFC 5626) and stops at a configurable size.
//! * **The message.** Any method token is accepted and kept as written; headers
//!   keep their order and spelling; compact forms and folding are understood;
//!   printing a parsed message gives back its exact bytes.
//! * **Bodies.** Always bytes, never decoded: binary file transfers survive.
//! * **Header values.** From/To/Contact/Via/CSeq/Authorization and URIs are parsed
//!   here too, because rsip 0.4 got these wrong on real packets (see the doc);
//!   [`Uri::to_rsip`] converts to rsip's typed URI where a caller wants it.
//!
//! Nothing here panics on any input; the fuzz entry point is [`fuzz::fuzz_parse`].

mod addr;
mod auth;
mod body;
mod build;
mod error;
mod framer;
pub mod fuzz;
mod grammar;
mod headers;
mod parse;
pub mod text;
mod typed;
mod uri;
mod via;
mod yate;

pub use addr::{Contact, NameAddr};
pub use auth::Credentials;
pub use body::{split_multipart, BodyClass, BodyEncoding, Part};
pub use build::{new_tag, reason_phrase};
pub use error::{ErrorKind, ParseError, Span};
pub use framer::{Frame, Framer, DEFAULT_MAX_MESSAGE};
pub use grammar::{quote, Param};
pub use headers::{full_name, is_token_byte, same_name, Header, Headers, COMPACT_FORMS};
pub use parse::{is_keepalive, parse, parse_prefix};
pub use typed::{CSeq, MediaType};
pub use uri::{unescape, SipUri, Uri};
pub use via::Via;
pub use yate::{body_params_of, header_params, ExportOptions};

/// A request method: any RFC 3261 token, kept exactly as written.
///
/// Methods are case-sensitive (RFC 3261 §7.1): `invite` is not `INVITE`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Method(String);

impl Method {
    /// A method from its token. Callers building requests pass known-good tokens;
    /// parsed methods were checked by the parser.
    pub fn new(token: impl Into<String>) -> Method {
        Method(token.into())
    }

    /// The token.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is `token` (case-sensitive).
    pub fn is(&self, token: &str) -> bool {
        self.0 == token
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// How the start line and the empty line after the headers ended, so a message
/// read with bare LF line ends prints back the same way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LineEnds {
    pub(crate) start_crlf: bool,
    pub(crate) blank_crlf: bool,
}

impl Default for LineEnds {
    fn default() -> Self {
        LineEnds { start_crlf: true, blank_crlf: true }
    }
}

/// A SIP request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// The method, as written.
    pub method: Method,
    /// The Request-URI text, exactly as written; [`Request::request_uri`] parses it.
    pub uri: String,
    /// The protocol version text, normally `SIP/2.0`. Others (`SIP/7.0`) still parse,
    /// so that a transaction layer can answer them with 505.
    pub version: String,
    /// The header fields.
    pub headers: Headers,
    /// The body bytes, exactly as received.
    pub body: Vec<u8>,
    pub(crate) ends: LineEnds,
}

/// A SIP response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// The protocol version text, normally `SIP/2.0`.
    pub version: String,
    /// The status code, 100..=699.
    pub code: u16,
    /// The reason phrase (may be empty, may be any UTF-8).
    pub reason: String,
    /// The header fields.
    pub headers: Headers,
    /// The body bytes, exactly as received.
    pub body: Vec<u8>,
    pub(crate) ends: LineEnds,
}

/// A parsed or built SIP message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// A request.
    Request(Request),
    /// A response.
    Response(Response),
}

impl Request {
    /// The parsed Request-URI; error spans count from the start of the request.
    pub fn request_uri(&self) -> Result<Uri, ParseError> {
        Uri::parse(&self.uri).map_err(|e| e.shifted(self.method.as_str().len() + 1))
    }

    /// Whether the version is `SIP/2.0` (case-insensitive, as RFC 3261 §7.1 allows).
    pub fn is_sip2(&self) -> bool {
        self.version.eq_ignore_ascii_case("SIP/2.0")
    }
}

impl Response {
    /// Whether the version is `SIP/2.0` (case-insensitive).
    pub fn is_sip2(&self) -> bool {
        self.version.eq_ignore_ascii_case("SIP/2.0")
    }
}

impl Message {
    /// The header fields.
    pub fn headers(&self) -> &Headers {
        match self {
            Message::Request(r) => &r.headers,
            Message::Response(r) => &r.headers,
        }
    }

    /// The header fields, mutably.
    pub fn headers_mut(&mut self) -> &mut Headers {
        match self {
            Message::Request(r) => &mut r.headers,
            Message::Response(r) => &mut r.headers,
        }
    }

    /// The body bytes.
    pub fn body(&self) -> &[u8] {
        match self {
            Message::Request(r) => &r.body,
            Message::Response(r) => &r.body,
        }
    }

    /// The request, if this is one.
    pub fn as_request(&self) -> Option<&Request> {
        match self {
            Message::Request(r) => Some(r),
            Message::Response(_) => None,
        }
    }

    /// The response, if this is one.
    pub fn as_response(&self) -> Option<&Response> {
        match self {
            Message::Response(r) => Some(r),
            Message::Request(_) => None,
        }
    }

    /// Whether this is a request.
    pub fn is_request(&self) -> bool {
        matches!(self, Message::Request(_))
    }
}

impl From<Request> for Message {
    fn from(r: Request) -> Self {
        Message::Request(r)
    }
}

impl From<Response> for Message {
    fn from(r: Response) -> Self {
        Message::Response(r)
    }
}

// Printing. A parsed message prints byte for byte as received: each unchanged
// header replays its original bytes (folding and spacing included) and the start
// line and empty line keep their CRLF or bare-LF ending. Two things are not kept:
// line breaks before the start line (RFC 3261 §7.5 says to ignore them) and bytes
// after a UDP body bounded by Content-Length (§18.3 says to discard them). Changed
// or built headers print as `Name: value\r\n`. Content-Length is never recomputed
// here; the builders in `build.rs` set it.

fn eol(crlf: bool) -> &'static [u8] {
    if crlf {
        b"\r\n"
    } else {
        b"\n"
    }
}

impl Request {
    /// The Request-Line without its line end.
    pub fn start_line(&self) -> String {
        let (method, version) = (self.method.as_str(), self.version.as_str());
        let mut line = String::with_capacity(method.len() + self.uri.len() + version.len() + 2);
        for (i, part) in [method, &self.uri, version].into_iter().enumerate() {
            if i > 0 {
                line.push(' ');
            }
            line.push_str(part);
        }
        line
    }

    /// The wire form.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256 + self.body.len());
        out.extend_from_slice(self.start_line().as_bytes());
        write_rest(&mut out, self.ends, &self.headers, &self.body);
        out
    }
}

impl Response {
    /// The Status-Line without its line end.
    pub fn start_line(&self) -> String {
        if self.code < 100 {
            return format!("{} {:03} {}", self.version, self.code, self.reason);
        }
        let mut line = String::with_capacity(self.version.len() + self.reason.len() + 5);
        line.push_str(self.version.as_str());
        line.push(' ');
        text::push_decimal(&mut line, self.code);
        line.push(' ');
        line.push_str(&self.reason);
        line
    }

    /// The wire form.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256 + self.body.len());
        out.extend_from_slice(self.start_line().as_bytes());
        write_rest(&mut out, self.ends, &self.headers, &self.body);
        out
    }
}

fn write_rest(out: &mut Vec<u8>, ends: LineEnds, headers: &Headers, body: &[u8]) {
    out.extend_from_slice(eol(ends.start_crlf));
    headers.write_to(out);
    out.extend_from_slice(eol(ends.blank_crlf));
    out.extend_from_slice(body);
}

impl Message {
    /// The wire form.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Message::Request(r) => r.to_bytes(),
            Message::Response(r) => r.to_bytes(),
        }
    }

    /// The start line without its line end.
    pub fn start_line(&self) -> String {
        match self {
            Message::Request(r) => r.start_line(),
            Message::Response(r) => r.start_line(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn parsed_messages_print_back_exactly() {
        let cases: [&[u8]; 4] = [
            b"OPTIONS sip:a SIP/2.0\r\nVia  : SIP  /  2.0\r\n /UDP h\r\nContent-Length:    3\r\n\r\nabc",
            b"OPTIONS sip:a SIP/2.0\nTO :\n sip:a\n\n",
            b"SIP/2.0 100 \r\nl:0\r\n\r\n",
            b"SIP/2.0 404 Not Found\r\nX:\xff\x00y\r\n\r\n\x00\xff",
        ];
        for c in cases {
            assert_eq!(parse(c).unwrap().to_bytes(), c, "{}", String::from_utf8_lossy(c));
        }
    }

    #[test]
    fn changed_header_prints_canonically() {
        let mut m = parse(b"OPTIONS sip:a SIP/2.0\r\nsubject :  x\r\n\r\n").unwrap();
        m.headers_mut().set("Subject", "y");
        assert_eq!(m.to_bytes(), b"OPTIONS sip:a SIP/2.0\r\nsubject: y\r\n\r\n");
    }
}
