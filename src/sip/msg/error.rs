//! Parse errors: a kind plus the byte span of the packet it points at.
//!
//! Every error the SIP message layer reports carries a [`Span`] into the bytes it
//! was given (a datagram, or one frame cut from a stream), so a log line or a
//! `400 Bad Request` reason can say *where* a packet went wrong. Spans are plain
//! offsets: a packet has no file, so [`crate::source::Span`] and its `SourceId`
//! would be meaningless here.

use std::fmt;

/// A byte range in one SIP message, counted from its first byte.
///
/// Headers built in code (not parsed) carry the empty span `0..0`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl Span {
    /// The span `start..end` (clamped so that `end >= start`).
    pub fn new(start: usize, end: usize) -> Span {
        let start = clamp(start);
        Span { start, end: clamp(end).max(start) }
    }

    /// The same span moved `by` bytes further into the message.
    pub fn shift(self, by: usize) -> Span {
        Span::new(self.start as usize + by, self.end as usize + by)
    }

    /// As a `Range` for slicing the message bytes.
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    /// Length in bytes.
    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }

    /// Whether the span covers no byte.
    pub fn is_empty(self) -> bool {
        self.start == self.end
    }
}

fn clamp(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl From<Span> for miette::SourceSpan {
    fn from(span: Span) -> Self {
        miette::SourceSpan::new((span.start as usize).into(), span.len())
    }
}

/// What went wrong. Each variant's doc shows a packet fragment that triggers it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Nothing but line breaks (or nothing at all): `\r\n\r\n` as a datagram.
    #[error("empty message")]
    Empty,
    /// A datagram whose header section never ends: `OPTIONS sip:a SIP/2.0\r\nVia: x`.
    #[error("header section is not terminated by an empty line")]
    UnterminatedHead,
    /// A start line that is neither a Request-Line nor a Status-Line: `INVITE  sip:a  SIP/2.0`.
    #[error("malformed start line")]
    BadStartLine,
    /// A method that is not a token: `INV(ITE sip:a SIP/2.0`.
    #[error("method is not a token")]
    BadMethod,
    /// A Request-URI that is not an absolute URI: `INVITE <sip:a@b> SIP/2.0`.
    #[error("malformed Request-URI")]
    BadRequestUri,
    /// A protocol that is not `SIP/<digits>.<digits>`: `OPTIONS sip:a HTTP/1.1`.
    #[error("malformed protocol version")]
    BadVersion,
    /// A status code that is not three digits in 100..=699: `SIP/2.0 4294967301 big`.
    #[error("malformed status code")]
    BadStatusCode,
    /// A header line without a colon, or with a name that is not a token: `Via SIP/2.0/UDP h`.
    #[error("malformed header line")]
    BadHeaderLine,
    /// A folded continuation line with no header before it: the first header line starts with a space.
    #[error("continuation line before any header")]
    OrphanContinuation,
    /// Text that must be UTF-8 but is not: a reason phrase with byte `\xff`.
    #[error("text is not valid UTF-8")]
    InvalidUtf8,
    /// A Content-Length that is not a decimal count: `Content-Length: -999`.
    #[error("malformed Content-Length")]
    BadContentLength,
    /// Two Content-Length headers that disagree: `l: 0` and `Content-Length: 5`.
    #[error("conflicting Content-Length headers")]
    ConflictingContentLength,
    /// A body shorter than its Content-Length: `Content-Length: 9999` on a 150-byte body.
    #[error("body has {actual} bytes but Content-Length says {declared}")]
    TruncatedBody {
        /// The Content-Length value.
        declared: usize,
        /// The bytes actually present after the header section.
        actual: usize,
    },
    /// A message on a stream without Content-Length (RFC 3261 §18.3 makes it mandatory there).
    #[error("Content-Length is required on a stream transport")]
    MissingContentLength,
    /// A message (or a header section still growing) larger than the configured limit.
    #[error("message exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// A header a typed accessor needs is absent: no `Call-ID`.
    #[error("missing {0} header")]
    MissingHeader(&'static str),
    /// A single-valued header given twice with different values: two `Call-ID` lines.
    #[error("{0} header appears more than once")]
    DuplicateHeader(&'static str),
    /// A header value that does not follow its grammar: `To: "Mr. J. User <sip:j.user@example.com>`.
    #[error("malformed {header} header: {reason}")]
    BadHeaderValue {
        /// The header, by its full name.
        header: &'static str,
        /// What was expected.
        reason: &'static str,
    },
    /// A number too large for its field: `CSeq: 36893488147419103232 REGISTER`.
    #[error("{0} value out of range")]
    NumberOutOfRange(&'static str),
    /// A URI that does not follow RFC 3261 §19.1 (or the generic `scheme:` form).
    #[error("malformed URI: {0}")]
    BadUri(&'static str),
}

impl ErrorKind {
    /// The last segment of the diagnostic code, e.g. `truncated_body`.
    pub fn code(&self) -> &'static str {
        use ErrorKind::*;
        match self {
            Empty => "empty",
            UnterminatedHead => "unterminated_head",
            BadStartLine => "bad_start_line",
            BadMethod => "bad_method",
            BadRequestUri => "bad_request_uri",
            BadVersion => "bad_version",
            BadStatusCode => "bad_status_code",
            BadHeaderLine => "bad_header_line",
            OrphanContinuation => "orphan_continuation",
            InvalidUtf8 => "invalid_utf8",
            BadContentLength => "bad_content_length",
            ConflictingContentLength => "conflicting_content_length",
            TruncatedBody { .. } => "truncated_body",
            MissingContentLength => "missing_content_length",
            TooLarge { .. } => "too_large",
            MissingHeader(_) => "missing_header",
            DuplicateHeader(_) => "duplicate_header",
            BadHeaderValue { .. } => "bad_header_value",
            NumberOutOfRange(_) => "number_out_of_range",
            BadUri(_) => "bad_uri",
        }
    }
}

/// An error from parsing a SIP message or one of its header values.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{kind} at bytes {}..{}", span.start, span.end)]
pub struct ParseError {
    kind: ErrorKind,
    span: Span,
}

impl ParseError {
    /// An error of `kind` at `span`.
    pub fn new(kind: ErrorKind, span: Span) -> ParseError {
        ParseError { kind, span }
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// Where, in bytes from the start of the message.
    pub fn span(&self) -> Span {
        self.span
    }

    /// The same error, `by` bytes further into the message (for errors found in a slice).
    pub fn shifted(self, by: usize) -> ParseError {
        ParseError { kind: self.kind, span: self.span.shift(by) }
    }

    /// The same error, re-pointed at `span` (used when a finer position is unknown).
    pub fn at(self, span: Span) -> ParseError {
        ParseError { kind: self.kind, span }
    }
}

impl miette::Diagnostic for ParseError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(format!("rexroute::sip::{}", self.kind.code())))
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        let label = miette::LabeledSpan::new_with_span(Some(self.kind.to_string()), self.span);
        Some(Box::new(std::iter::once(label)))
    }
}

/// Shorthand used by the parsers in this module.
pub(crate) fn err<T>(kind: ErrorKind, start: usize, end: usize) -> Result<T, ParseError> {
    Err(ParseError::new(kind, Span::new(start, end)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use miette::Diagnostic;

    #[test]
    fn span_shift_and_range() {
        let s = Span::new(3, 7).shift(10);
        assert_eq!(s.range(), 13..17);
        assert_eq!(s.len(), 4);
        assert!(Span::new(5, 2).is_empty());
    }

    #[test]
    fn diagnostic_code_and_label() {
        let e = ParseError::new(ErrorKind::BadContentLength, Span::new(4, 8));
        assert_eq!(e.code().map(|c| c.to_string()).as_deref(), Some("rexroute::sip::bad_content_length"));
        let labels: Vec<_> = e.labels().into_iter().flatten().collect();
        assert_eq!(labels[0].offset(), 4);
        assert_eq!(labels[0].len(), 4);
        assert_eq!(e.to_string(), "malformed Content-Length at bytes 4..8");
    }
}
