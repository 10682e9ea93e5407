//! Building messages: new requests, responses to a request (RFC 3261 §8.2.6), bodies.
//!
//! Content-Length is written here, when a message is built or its body replaced,
//! and never behind the caller's back when a parsed message is printed.

use super::headers::{Header, Headers};
use super::{LineEnds, Method, Request, Response};

/// The standard reason phrase for a status code (RFC 3261 §21 and extensions);
/// an empty string for codes without one.
pub fn reason_phrase(code: u16) -> &'static str {
    match code {
        100 => "Trying",
        180 => "Ringing",
        181 => "Call Is Being Forwarded",
        182 => "Queued",
        183 => "Session Progress",
        200 => "OK",
        202 => "Accepted",
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Moved Temporarily",
        305 => "Use Proxy",
        380 => "Alternative Service",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        410 => "Gone",
        412 => "Conditional Request Failed",
        413 => "Request Entity Too Large",
        414 => "Request-URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Unsupported URI Scheme",
        420 => "Bad Extension",
        421 => "Extension Required",
        423 => "Interval Too Brief",
        480 => "Temporarily Unavailable",
        481 => "Call/Transaction Does Not Exist",
        482 => "Loop Detected",
        483 => "Too Many Hops",
        484 => "Address Incomplete",
        485 => "Ambiguous",
        486 => "Busy Here",
        487 => "Request Terminated",
        488 => "Not Acceptable Here",
        489 => "Bad Event",
        491 => "Request Pending",
        493 => "Undecipherable",
        500 => "Server Internal Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Server Time-out",
        505 => "Version Not Supported",
        513 => "Message Too Large",
        600 => "Busy Everywhere",
        603 => "Decline",
        604 => "Does Not Exist Anywhere",
        606 => "Not Acceptable",
        _ => "",
    }
}

/// A fresh random tag for From/To (RFC 3261 §19.3 asks for at least 32 random bits).
pub fn new_tag() -> String {
    let mut tag = String::with_capacity(16);
    super::text::push_hex16(&mut tag, rand::random::<u64>());
    tag
}

/// Sets Content-Type (removed when `None`) and Content-Length for `body`.
fn put_body(headers: &mut Headers, slot: &mut Vec<u8>, content_type: Option<&str>, body: Vec<u8>) {
    match content_type {
        Some(ct) => headers.set("Content-Type", ct),
        None => {
            headers.remove("Content-Type");
        }
    }
    headers.set("Content-Length", super::text::decimal(body.len()));
    *slot = body;
}

impl Request {
    /// `METHOD uri SIP/2.0` with no header and no body.
    pub fn new(method: impl Into<String>, uri: impl Into<String>) -> Request {
        Request {
            method: Method::new(method),
            uri: uri.into(),
            version: "SIP/2.0".into(),
            headers: Headers::new(),
            body: Vec::new(),
            ends: LineEnds::default(),
        }
    }

    /// This request with `name: value` appended.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<Vec<u8>>) -> Request {
        self.headers.append(name, value);
        self
    }

    /// Replaces the body, setting Content-Type (or removing it for `None`) and Content-Length.
    pub fn set_body(&mut self, content_type: Option<&str>, body: Vec<u8>) {
        put_body(&mut self.headers, &mut self.body, content_type, body);
    }
}

impl Response {
    /// `SIP/2.0 code reason` with no header and no body.
    pub fn new(code: u16, reason: impl Into<String>) -> Response {
        Response {
            version: "SIP/2.0".into(),
            code,
            reason: reason.into(),
            headers: Headers::new(),
            body: Vec::new(),
            ends: LineEnds::default(),
        }
    }

    /// A response to `req` (RFC 3261 §8.2.6.2): Via lines, From, To, Call-ID and CSeq
    /// copied as received, a random To tag added when the To has none (not on 100),
    /// Timestamp echoed on 100 (§8.2.6.1), and `Content-Length: 0`.
    pub fn for_request(req: &Request, code: u16, reason: &str) -> Response {
        Response::for_request_with_tag(req, code, reason, &new_tag())
    }

    /// [`Response::for_request`] with a given To tag (for tests and for dialogs that
    /// already chose theirs).
    pub fn for_request_with_tag(req: &Request, code: u16, reason: &str, tag: &str) -> Response {
        let mut resp = Response::new(code, reason);
        for h in req.headers.iter() {
            if ["Via", "From", "Call-ID", "CSeq"].iter().any(|n| h.is(n)) || code == 100 && h.is("Timestamp") {
                resp.headers.push(h.clone());
            } else if h.is("To") {
                resp.headers.push(with_tag(h, code, tag));
            }
        }
        resp.headers.set("Content-Length", "0");
        resp
    }

    /// This response with `name: value` appended.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<Vec<u8>>) -> Response {
        self.headers.append(name, value);
        self
    }

    /// Replaces the body, setting Content-Type (or removing it for `None`) and Content-Length.
    pub fn set_body(&mut self, content_type: Option<&str>, body: Vec<u8>) {
        put_body(&mut self.headers, &mut self.body, content_type, body);
    }
}

/// The request's To header, with `;tag=` appended unless it has a tag or this is a 100.
fn with_tag(to: &Header, code: u16, tag: &str) -> Header {
    let has_tag = || {
        let value = std::str::from_utf8(to.value()).ok();
        value.and_then(|v| super::addr::NameAddr::parse(v).ok()).is_some_and(|a| a.tag().is_some())
    };
    let mut out = to.clone();
    if code != 100 && !has_tag() {
        let mut value = to.value().to_vec();
        value.extend_from_slice(b";tag=");
        value.extend_from_slice(tag.as_bytes());
        out.set_value(value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::{parse, Message};
    use super::*;

    const REQ: &[u8] = b"MESSAGE sip:bob@h SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\nv: SIP/2.0/UDP b\r\n\
Max-Forwards: 70\r\nf: <sip:al@h>;tag=1\r\nt: <sip:bob@h>\r\ni: c1\r\nCSeq: 2 MESSAGE\r\nTimestamp: 54\r\nl: 2\r\n\r\nhi";

    fn req() -> Request {
        match parse(REQ).unwrap() {
            Message::Request(r) => r,
            Message::Response(_) => unreachable!(),
        }
    }

    #[test]
    fn response_copies_and_tags() {
        let r = Response::for_request_with_tag(&req(), 200, reason_phrase(200), "xyz");
        let text = String::from_utf8(r.to_bytes()).unwrap();
        assert_eq!(
            text,
            "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\nv: SIP/2.0/UDP b\r\nf: <sip:al@h>;tag=1\r\n\
t: <sip:bob@h>;tag=xyz\r\ni: c1\r\nCSeq: 2 MESSAGE\r\nContent-Length: 0\r\n\r\n"
        );
        let trying = Response::for_request(&req(), 100, "Trying");
        assert_eq!(trying.headers.to_addr().unwrap().tag(), None);
        assert_eq!(trying.headers.str("Timestamp"), Some("54"));
    }

    #[test]
    fn existing_tag_kept_and_random_tags_differ() {
        let mut rq = req();
        rq.headers.set("To", "<sip:bob@h>;tag=old");
        assert_eq!(Response::for_request(&rq, 486, "Busy Here").headers.to_addr().unwrap().tag(), Some("old"));
        assert_ne!(new_tag(), new_tag());
    }

    #[test]
    fn body_sets_length_and_type() {
        let mut r = Request::new("MESSAGE", "sip:b@h").with_header("Call-ID", "x");
        r.set_body(Some("application/octet-stream"), vec![0, 0xff, b'\r']);
        assert_eq!(r.headers.str("Content-Length"), Some("3"));
        let back = parse(&r.to_bytes()).unwrap();
        assert_eq!(back.body(), [0, 0xff, b'\r']);
        r.set_body(None, Vec::new());
        assert!(!r.headers.contains("Content-Type"));
    }
}
