//! Stream framing: cutting a TCP byte stream into SIP messages.
//!
//! The transport pushes whatever each read returned; [`Framer::next_frame`] hands
//! back complete messages (several per read, or one over many reads) and CRLF
//! keep-alive pings. On a stream Content-Length is mandatory (RFC 3261 §18.3), and a
//! message, or a header section still growing, larger than the limit is
//! [`ErrorKind::TooLarge`], so the transport can answer 513 or close.
//!
//! Errors are final: the stream position is lost, so after one the framer returns
//! the same error forever and the transport should close the connection (as Yate
//! does on "Buffer overflow" or an unparsable header block).

use super::error::{ErrorKind, ParseError, Span};
use super::parse::{find_head_end, parse_head, set_body};
use super::Message;

/// Default limit for one framed message, in bytes (headers plus body).
///
/// Yate's `tcp_maxpkt` default is 4096; we allow a full UDP-sized message by default
/// and let the configuration lower it.
pub const DEFAULT_MAX_MESSAGE: usize = 65_535;

/// What a stream yielded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    /// A complete message.
    Message(Message),
    /// A CRLFCRLF ping (RFC 5626 §4.4.1); the transport should answer CRLF.
    KeepAlive,
}

/// Accumulates stream bytes and yields frames.
#[derive(Debug, Clone)]
pub struct Framer {
    buf: Vec<u8>,
    /// Where the unconsumed bytes start in `buf`. Frames are consumed by moving this
    /// offset; the buffer is compacted once per `push`, so a read holding thousands
    /// of small messages or pings costs linear, not quadratic, time.
    start: usize,
    max_message: usize,
    /// How far (from `start`) the pending bytes were already searched for the end
    /// of the head, so a head arriving byte by byte is not rescanned each time.
    scanned: usize,
    failed: Option<ParseError>,
}

impl Default for Framer {
    fn default() -> Self {
        Framer::new(DEFAULT_MAX_MESSAGE)
    }
}

impl Framer {
    /// A framer refusing messages longer than `max_message` bytes.
    pub fn new(max_message: usize) -> Framer {
        Framer { buf: Vec::new(), start: 0, max_message, scanned: 0, failed: None }
    }

    /// Appends bytes read from the stream.
    pub fn push(&mut self, data: &[u8]) {
        if self.failed.is_none() {
            self.buf.drain(..self.start);
            self.start = 0;
            self.buf.extend_from_slice(data);
        }
    }

    /// Bytes received but not yet returned as a frame.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }

    /// The next complete frame, `None` if more bytes are needed.
    ///
    /// Spans in a returned error count from the start of the offending message.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, ParseError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        match self.try_next() {
            Err(e) => {
                self.buf.clear();
                self.start = 0;
                self.failed = Some(e.clone());
                Err(e)
            }
            ok => ok,
        }
    }

    fn pending(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    fn consume(&mut self, n: usize) {
        self.start += n;
        self.scanned = 0;
    }

    fn try_next(&mut self) -> Result<Option<Frame>, ParseError> {
        if let Some(frame) = self.skip_line_breaks() {
            return Ok(frame);
        }
        let from = self.scanned.saturating_sub(3);
        let Some(head_end) = find_head_end(self.pending(), from) else {
            self.scanned = self.buffered();
            return self.check_size(self.buffered()).map(|()| None);
        };
        self.check_size(head_end)?;
        let (mut msg, content_length) = parse_head(self.pending(), 0, head_end)?;
        let Some(body_len) = content_length else {
            return Err(ParseError::new(ErrorKind::MissingContentLength, Span::new(0, head_end)));
        };
        let total = head_end.saturating_add(body_len);
        self.check_size(total)?;
        if self.buffered() < total {
            self.scanned = head_end;
            return Ok(None);
        }
        set_body(&mut msg, self.pending()[head_end..total].to_vec());
        self.consume(total);
        Ok(Some(Frame::Message(msg)))
    }

    /// Drops stray line breaks before a start line (RFC 3261 §7.5) and reports a
    /// CRLFCRLF ping. `Some(None)` means "wait": the buffer may be a ping in progress.
    fn skip_line_breaks(&mut self) -> Option<Option<Frame>> {
        loop {
            let p = self.pending();
            if p.starts_with(b"\r\n\r\n") {
                self.consume(4);
                return Some(Some(Frame::KeepAlive));
            }
            if matches!(p, b"\r" | b"\r\n" | b"\r\n\r") {
                return Some(None);
            }
            let n = if p.starts_with(b"\r\n") {
                2
            } else if p.first() == Some(&b'\n') {
                1
            } else {
                break;
            };
            self.consume(n);
        }
        if self.buffered() == 0 {
            return Some(None);
        }
        None
    }

    fn check_size(&self, len: usize) -> Result<(), ParseError> {
        if len > self.max_message {
            let limit = self.max_message;
            return Err(ParseError::new(ErrorKind::TooLarge { limit }, Span::new(0, len.min(self.buffered()))));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSG: &[u8] = b"MESSAGE sip:b@h SIP/2.0\r\nContent-Length: 5\r\n\r\nhello";

    fn frames(f: &mut Framer) -> Vec<Frame> {
        let mut out = Vec::new();
        while let Some(frame) = f.next_frame().unwrap() {
            out.push(frame);
        }
        out
    }

    #[test]
    fn two_messages_and_a_ping_in_one_read() {
        let mut f = Framer::default();
        let mut data = MSG.to_vec();
        data.extend_from_slice(b"\r\n\r\n");
        data.extend_from_slice(MSG);
        f.push(&data);
        let got = frames(&mut f);
        assert_eq!(got.len(), 3);
        assert_eq!(got[1], Frame::KeepAlive);
        assert_eq!(f.buffered(), 0);
    }

    #[test]
    fn lone_crlf_waits_then_is_skipped() {
        let mut f = Framer::default();
        f.push(b"\r\n");
        assert_eq!(f.next_frame().unwrap(), None);
        f.push(MSG);
        assert!(matches!(frames(&mut f).as_slice(), [Frame::Message(_)]));
    }

    #[test]
    fn many_pings_in_one_read_are_linear() {
        let mut f = Framer::default();
        f.push(&b"\r\n\r\n".repeat(200_000));
        assert_eq!(frames(&mut f).len(), 200_000);
        assert_eq!(f.buffered(), 0);
    }

    #[test]
    fn missing_content_length_is_fatal() {
        let mut f = Framer::default();
        f.push(b"OPTIONS sip:a SIP/2.0\r\n\r\n");
        assert_eq!(f.next_frame().unwrap_err().kind(), &ErrorKind::MissingContentLength);
        f.push(MSG);
        assert!(f.next_frame().is_err());
    }

    #[test]
    fn oversize_head_and_body() {
        let mut f = Framer::new(40);
        f.push(&[b'A'; 41]);
        assert_eq!(f.next_frame().unwrap_err().kind(), &ErrorKind::TooLarge { limit: 40 });
        let mut f = Framer::new(50);
        f.push(b"MESSAGE sip:b@h SIP/2.0\r\nl: 999\r\n\r\n");
        assert_eq!(f.next_frame().unwrap_err().kind(), &ErrorKind::TooLarge { limit: 50 });
    }
}
