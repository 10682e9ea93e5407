//! Printing: a message back to wire bytes.
//!
//! A parsed message prints byte for byte as received: each unchanged header
//! replays its original bytes (folding and spacing included) and the start line
//! and empty line keep their CRLF or bare-LF ending. Two things are not kept:
//! line breaks before the start line (RFC 3261 §7.5 says to ignore them) and
//! bytes after a UDP body bounded by Content-Length (§18.3 says to discard them).
//! Changed or built headers print as `Name: value\r\n`. Content-Length is never
//! recomputed here; the builders in `build.rs` set it.

use super::{LineEnds, Message, Request, Response};

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
        format!("{} {} {}", self.method, self.uri, self.version)
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
        format!("{} {:03} {}", self.version, self.code, self.reason)
    }

    /// The wire form.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256 + self.body.len());
        out.extend_from_slice(self.start_line().as_bytes());
        write_rest(&mut out, self.ends, &self.headers, &self.body);
        out
    }
}

fn write_rest(out: &mut Vec<u8>, ends: LineEnds, headers: &super::Headers, body: &[u8]) {
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
    use super::super::parse;

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
