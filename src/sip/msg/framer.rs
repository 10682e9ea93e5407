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
    max_message: usize,
    /// How far the current buffer was already searched for the end of the head,
    /// so a head arriving byte by byte is not rescanned from the start each time.
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
        Framer { buf: Vec::new(), max_message, scanned: 0, failed: None }
    }

    /// Appends bytes read from the stream.
    pub fn push(&mut self, data: &[u8]) {
        if self.failed.is_none() {
            self.buf.extend_from_slice(data);
        }
    }

    /// Bytes received but not yet returned as a frame.
    pub fn buffered(&self) -> usize {
        self.buf.len()
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
                self.failed = Some(e.clone());
                Err(e)
            }
            ok => ok,
        }
    }

    fn try_next(&mut self) -> Result<Option<Frame>, ParseError> {
        if let Some(frame) = self.skip_line_breaks() {
            return Ok(frame);
        }
        let from = self.scanned.saturating_sub(3);
        let Some(head_end) = find_head_end(&self.buf, from) else {
            self.scanned = self.buf.len();
            return self.check_size(self.buf.len()).map(|()| None);
        };
        self.check_size(head_end)?;
        let (mut msg, content_length) = parse_head(&self.buf, 0, head_end)?;
        let Some(body_len) = content_length else {
            return Err(ParseError::new(ErrorKind::MissingContentLength, Span::new(0, head_end)));
        };
        let total = head_end.saturating_add(body_len);
        self.check_size(total)?;
        if self.buf.len() < total {
            self.scanned = head_end;
            return Ok(None);
        }
        set_body(&mut msg, self.buf[head_end..total].to_vec());
        self.buf.drain(..total);
        self.scanned = 0;
        Ok(Some(Frame::Message(msg)))
    }

    /// Drops stray line breaks before a start line (RFC 3261 §7.5) and reports a
    /// CRLFCRLF ping. `Some(None)` means "wait": the buffer may be a ping in progress.
    fn skip_line_breaks(&mut self) -> Option<Option<Frame>> {
        loop {
            if self.buf.starts_with(b"\r\n\r\n") {
                self.buf.drain(..4);
                self.scanned = 0;
                return Some(Some(Frame::KeepAlive));
            }
            if matches!(self.buf.as_slice(), b"\r" | b"\r\n" | b"\r\n\r") {
                return Some(None);
            }
            let n = if self.buf.starts_with(b"\r\n") {
                2
            } else if self.buf.first() == Some(&b'\n') {
                1
            } else {
                break;
            };
            self.buf.drain(..n);
            self.scanned = 0;
        }
        if self.buf.is_empty() {
            return Some(None);
        }
        None
    }

    fn check_size(&self, len: usize) -> Result<(), ParseError> {
        if len > self.max_message {
            let limit = self.max_message;
            return Err(ParseError::new(ErrorKind::TooLarge { limit }, Span::new(0, len.min(self.buf.len()))));
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
