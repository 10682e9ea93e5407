//! Message parsing: start line, header lines (folding, compact names), Content-Length.
//!
//! One head parser serves both transports: [`parse`] applies UDP's body rules to a
//! datagram, [`super::Framer`] applies the stream rules. Lines may end in CRLF or,
//! tolerated as RFC 4475 asks, in a bare LF.

use super::error::{err, ErrorKind as K, ParseError, Span};
use super::headers::{is_token_byte, Header, Headers};
use super::{LineEnds, Message, Method, Request, Response};

/// Whether a datagram is only line breaks: a keep-alive (RFC 5626 §4.4.1), not a message.
pub fn is_keepalive(data: &[u8]) -> bool {
    !data.is_empty() && data.iter().all(|&b| b == b'\r' || b == b'\n')
}

/// Parses one UDP datagram.
///
/// Line breaks before the start line are skipped (RFC 3261 §7.5). When
/// Content-Length is present it bounds the body: a shorter body is
/// [`K::TruncatedBody`] (never handed on as if whole) and bytes after it are
/// ignored (§18.3). Without Content-Length the body is the rest of the datagram.
pub fn parse(datagram: &[u8]) -> Result<Message, ParseError> {
    parse_prefix(datagram).map(|(msg, _)| msg)
}

/// Like [`parse`], also returning how many bytes of `data` the message used
/// (leading line breaks included, ignored trailing bytes excluded).
pub fn parse_prefix(data: &[u8]) -> Result<(Message, usize), ParseError> {
    let start = skip_line_breaks(data);
    if start == data.len() {
        return err(K::Empty, 0, data.len());
    }
    let Some(head_end) = find_head_end(data, start) else {
        return err(K::UnterminatedHead, start, data.len());
    };
    let (mut msg, content_length) = parse_head(data, start, head_end)?;
    let end = match content_length {
        Some(declared) => {
            let actual = data.len() - head_end;
            if declared > actual {
                return err(K::TruncatedBody { declared, actual }, head_end, data.len());
            }
            head_end + declared
        }
        None => data.len(),
    };
    set_body(&mut msg, data[head_end..end].to_vec());
    Ok((msg, end))
}

pub(crate) fn set_body(msg: &mut Message, body: Vec<u8>) {
    match msg {
        Message::Request(r) => r.body = body,
        Message::Response(r) => r.body = body,
    }
}

/// Number of leading CR/LF bytes.
pub(crate) fn skip_line_breaks(data: &[u8]) -> usize {
    data.iter().position(|&b| b != b'\r' && b != b'\n').unwrap_or(data.len())
}

/// The offset just past the empty line ending the header section, searching from `from`.
pub(crate) fn find_head_end(data: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while i < data.len() {
        let nl = i + data.get(i..)?.iter().position(|&b| b == b'\n')?;
        match (data.get(nl + 1), data.get(nl + 2)) {
            (Some(b'\n'), _) => return Some(nl + 2),
            (Some(b'\r'), Some(b'\n')) => return Some(nl + 3),
            _ => i = nl + 1,
        }
    }
    None
}

/// One line: content `start..end` (without its CR), and where the next line begins.
#[derive(Clone, Copy)]
struct Line {
    start: usize,
    end: usize,
    next: usize,
}

impl Line {
    fn crlf(self) -> bool {
        self.next - self.end == 2
    }
}

fn line_at(data: &[u8], pos: usize, limit: usize) -> Line {
    let nl = data[pos..limit].iter().position(|&b| b == b'\n').map_or(limit, |i| pos + i);
    let end = if nl > pos && data[nl - 1] == b'\r' { nl - 1 } else { nl };
    Line { start: pos, end, next: (nl + 1).min(limit) }
}

/// Parses the head `data[start..head_end]`; returns the message (empty body) and its
/// Content-Length, if any. Spans count from the start of `data`.
pub(crate) fn parse_head(data: &[u8], start: usize, head_end: usize) -> Result<(Message, Option<usize>), ParseError> {
    let first = line_at(data, start, head_end);
    let mut msg = parse_start_line(data, first)?;
    let mut headers = Headers::new();
    let mut group: Vec<Line> = Vec::new();
    let mut pos = first.next;
    let blank = loop {
        let line = line_at(data, pos, head_end);
        if line.start == line.end {
            break line;
        }
        if matches!(data[line.start], b' ' | b'\t') {
            if group.is_empty() {
                return err(K::OrphanContinuation, line.start, line.end);
            }
        } else if !group.is_empty() {
            headers.push(parse_header(data, &group)?);
            group.clear();
        }
        group.push(line);
        pos = line.next;
    };
    if !group.is_empty() {
        headers.push(parse_header(data, &group)?);
    }
    let content_length = content_length(&headers)?;
    let ends = LineEnds { start_crlf: first.crlf(), blank_crlf: blank.crlf() };
    match &mut msg {
        Message::Request(r) => (r.headers, r.ends) = (headers, ends),
        Message::Response(r) => (r.headers, r.ends) = (headers, ends),
    }
    Ok((msg, content_length))
}

fn parse_start_line(data: &[u8], line: Line) -> Result<Message, ParseError> {
    let text = &data[line.start..line.end];
    if text.contains(&b'\r') {
        return err(K::BadStartLine, line.start, line.end);
    }
    if text.len() >= 4 && text[..4].eq_ignore_ascii_case(b"SIP/") {
        parse_status_line(text, line.start)
    } else {
        parse_request_line(text, line.start)
    }
}

fn parse_request_line(text: &[u8], at: usize) -> Result<Message, ParseError> {
    let parts: Vec<&[u8]> = text.split(|&b| b == b' ').collect();
    if parts.len() != 3 || parts.iter().any(|p| p.is_empty()) {
        return err(K::BadStartLine, at, at + text.len());
    }
    let (method, uri, version) = (parts[0], parts[1], parts[2]);
    let uri_at = at + method.len() + 1;
    let version_at = uri_at + uri.len() + 1;
    if !method.iter().all(|&b| is_token_byte(b)) {
        return err(K::BadMethod, at, at + method.len());
    }
    if !is_request_uri(uri) {
        return err(K::BadRequestUri, uri_at, uri_at + uri.len());
    }
    check_version(version, version_at)?;
    Ok(Message::Request(Request {
        method: Method::new(ascii(method)),
        uri: ascii(uri),
        version: ascii(version),
        headers: Headers::new(),
        body: Vec::new(),
        ends: LineEnds::default(),
    }))
}

fn parse_status_line(text: &[u8], at: usize) -> Result<Message, ParseError> {
    let sp = text.iter().position(|&b| b == b' ').unwrap_or(text.len());
    check_version(&text[..sp], at)?;
    let code_at = sp + 1;
    let digits = text.get(code_at..).unwrap_or_default().iter().take_while(|b| b.is_ascii_digit()).count();
    let code_end = code_at + digits;
    let code = std::str::from_utf8(text.get(code_at..code_end).unwrap_or_default()).ok().and_then(|s| s.parse().ok());
    let code = match code {
        Some(c) if digits == 3 && (100..=699).contains(&c) && text.get(code_end) == Some(&b' ') => c,
        _ => return err(K::BadStatusCode, at + code_at.min(text.len()), at + code_end.max(code_at).min(text.len())),
    };
    let reason = std::str::from_utf8(&text[code_end + 1..])
        .map_err(|_| ParseError::new(K::InvalidUtf8, Span::new(at + code_end + 1, at + text.len())))?;
    Ok(Message::Response(Response {
        version: ascii(&text[..sp]),
        code,
        reason: reason.to_owned(),
        headers: Headers::new(),
        body: Vec::new(),
        ends: LineEnds::default(),
    }))
}

/// `SIP/1*DIGIT.1*DIGIT`, with "SIP" in any case (RFC 3261 §7.1).
fn check_version(v: &[u8], at: usize) -> Result<(), ParseError> {
    let ok = v.len() > 4 && v[..4].eq_ignore_ascii_case(b"SIP/") && {
        let mut parts = v[4..].split(|&b| b == b'.');
        let mut digits = || parts.next().is_some_and(|p| !p.is_empty() && p.iter().all(u8::is_ascii_digit));
        digits() && digits() && parts.next().is_none()
    };
    if ok {
        Ok(())
    } else {
        err(K::BadVersion, at, at + v.len())
    }
}

/// An absolute URI as the Request-Line needs it: `scheme:` plus URI characters.
/// A `<sip:…>` or a URI with spaces is refused here (RFC 4475 §3.1.2.7, §3.1.2.8).
fn is_request_uri(uri: &[u8]) -> bool {
    let Some(colon) = uri.iter().position(|&b| b == b':') else { return false };
    let scheme = &uri[..colon];
    let scheme_ok = scheme.first().is_some_and(u8::is_ascii_alphabetic)
        && scheme.iter().all(|&b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
    scheme_ok && colon + 1 < uri.len() && uri.iter().all(|&b| b.is_ascii_graphic() && !b"<>\"{}|\\^`".contains(&b))
}

/// Text already checked to be ASCII.
fn ascii(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        // Names and methods are tokens, ASCII already: one copy, not a char at a time.
        Ok(s) if s.is_ascii() => s.to_owned(),
        _ => bytes.iter().map(|&b| b as char).collect(),
    }
}

/// Builds one header from its first line and continuation lines.
fn parse_header(data: &[u8], lines: &[Line]) -> Result<Header, ParseError> {
    let first = lines[0];
    let line = &data[first.start..first.end];
    let Some(colon) = line.iter().position(|&b| b == b':') else {
        return err(K::BadHeaderLine, first.start, first.end);
    };
    let name = trim_end(&line[..colon]);
    if name.is_empty() || !name.iter().all(|&b| is_token_byte(b)) {
        return err(K::BadHeaderLine, first.start, first.start + colon);
    }
    let pieces =
        std::iter::once((first.start + colon + 1, first.end)).chain(lines[1..].iter().map(|l| (l.start, l.end)));
    let mut value = Vec::with_capacity(first.end - (first.start + colon + 1));
    let mut value_span: Option<Span> = None;
    for (s, e) in pieces {
        let (s, e) = trim_range(data, s, e);
        if s == e {
            continue;
        }
        if data[s..e].contains(&b'\r') {
            return err(K::BadHeaderLine, s, e);
        }
        if !value.is_empty() {
            value.push(b' ');
        }
        value.extend_from_slice(&data[s..e]);
        value_span = Some(value_span.map_or(Span::new(s, e), |v| Span::new(v.start as usize, e)));
    }
    let value_span = value_span.unwrap_or_else(|| Span::new(first.start + colon + 1, first.start + colon + 1));
    let last = lines[lines.len() - 1];
    let span = Span::new(first.start, last.end);
    let folded = lines.len() > 1;
    Ok(Header::parsed(ascii(name), value, &data[first.start..last.next], span, value_span, folded))
}

fn trim_end(b: &[u8]) -> &[u8] {
    let n = b.iter().rposition(|&c| c != b' ' && c != b'\t').map_or(0, |i| i + 1);
    &b[..n]
}

fn trim_range(data: &[u8], mut s: usize, mut e: usize) -> (usize, usize) {
    while s < e && matches!(data[s], b' ' | b'\t') {
        s += 1;
    }
    while e > s && matches!(data[e - 1], b' ' | b'\t') {
        e -= 1;
    }
    (s, e)
}

/// The Content-Length, checking every copy of it (a message may carry `l:` twice).
fn content_length(headers: &Headers) -> Result<Option<usize>, ParseError> {
    let mut found: Option<usize> = None;
    for h in headers.get_all("Content-Length") {
        let v = h.value();
        let n = std::str::from_utf8(v)
            .ok()
            .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|s| s.parse::<usize>().ok())
            .ok_or_else(|| ParseError::new(K::BadContentLength, h.value_span()))?;
        match found {
            Some(prev) if prev != n => return Err(ParseError::new(K::ConflictingContentLength, h.span())),
            _ => found = Some(n),
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(text: &str) -> Request {
        match parse(text.as_bytes()) {
            Ok(Message::Request(r)) => r,
            other => panic!("not a request: {other:?}"),
        }
    }

    fn kind(text: &[u8]) -> K {
        parse(text).map(|_| ()).unwrap_err().kind().clone()
    }

    #[test]
    fn request_line_and_headers() {
        let r = req("MESSAGE sip:bob@h SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nl: 5\r\n\r\nhello!!");
        assert_eq!(r.method.as_str(), "MESSAGE");
        assert_eq!(r.uri, "sip:bob@h");
        assert_eq!(r.headers.len(), 2);
        assert_eq!(r.body, b"hello");
    }

    #[test]
    fn folding_and_odd_spacing() {
        let r = req("X sip:a SIP/2.0\r\nTO :\r\n sip:a ;\r\n\ttag=1\r\nSubject:\r\n\r\n");
        let to = r.headers.get("to").unwrap();
        assert_eq!(to.name(), "TO");
        assert_eq!(to.value(), b"sip:a ; tag=1");
        assert_eq!(r.headers.value("subject"), Some(&b""[..]));
    }

    #[test]
    fn bare_lf_lines() {
        let r = req("OPTIONS sip:a SIP/2.0\nCall-ID: x\n\n");
        assert_eq!(r.headers.str("i"), Some("x"));
        assert!(!r.ends.start_crlf);
    }

    #[test]
    fn leading_crlf_skipped_and_keepalive_detected() {
        assert!(is_keepalive(b"\r\n\r\n"));
        assert!(!is_keepalive(b""));
        assert_eq!(kind(b"\r\n\r\n"), K::Empty);
        assert_eq!(req("\r\nOPTIONS sip:a SIP/2.0\r\n\r\n").uri, "sip:a");
    }

    #[test]
    fn body_rules_for_datagrams() {
        let (_, used) = parse_prefix(b"OPTIONS sip:a SIP/2.0\r\nl: 2\r\n\r\nabcdef").unwrap();
        assert_eq!(used, 33);
        assert_eq!(kind(b"OPTIONS sip:a SIP/2.0\r\nl: 9\r\n\r\nabc"), K::TruncatedBody { declared: 9, actual: 3 });
        assert_eq!(req("OPTIONS sip:a SIP/2.0\r\n\r\nrest").body, b"rest");
        assert_eq!(kind(b"OPTIONS sip:a SIP/2.0\r\nl: -1\r\n\r\n"), K::BadContentLength);
        assert_eq!(kind(b"OPTIONS sip:a SIP/2.0\r\nl: 1\r\nContent-Length: 2\r\n\r\nab"), K::ConflictingContentLength);
    }

    #[test]
    fn bad_start_lines() {
        assert_eq!(kind(b"INVITE  sip:a  SIP/2.0\r\n\r\n"), K::BadStartLine);
        assert_eq!(kind(b"INVITE <sip:a> SIP/2.0\r\n\r\n"), K::BadRequestUri);
        assert_eq!(kind(b"INVITE sip:a HTTP/1.1\r\n\r\n"), K::BadVersion);
        assert_eq!(kind(b"IN(VITE sip:a SIP/2.0\r\n\r\n"), K::BadMethod);
        assert_eq!(kind(b"SIP/2.0 4294967301 big\r\n\r\n"), K::BadStatusCode);
        assert_eq!(kind(b"SIP/2.0 99 x\r\n\r\n"), K::BadStatusCode);
        assert_eq!(kind(b"SIP/2.0 200\r\n\r\n"), K::BadStatusCode);
        assert_eq!(kind(b"SIP/2.0 200 \xff\r\n\r\n"), K::InvalidUtf8);
        assert_eq!(kind(b"OPTIONS sip:a SIP/2.0\r\n x: y\r\n\r\n"), K::OrphanContinuation);
        assert_eq!(kind(b"OPTIONS sip:a SIP/2.0\r\nNoColon\r\n\r\n"), K::BadHeaderLine);
        assert_eq!(kind(b"OPTIONS sip:a SIP/2.0\r\nVia: a"), K::UnterminatedHead);
    }

    #[test]
    fn error_spans_point_into_the_packet() {
        let data = b"OPTIONS sip:a SIP/2.0\r\nl: x\r\n\r\n";
        let e = parse(data).unwrap_err();
        assert_eq!(&data[e.span().range()], b"x");
    }
}
