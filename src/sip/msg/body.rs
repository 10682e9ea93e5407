//! Bodies as Yate sees them: the class a Content-Type selects, the encodings of
//! `xsip_body`, and multipart splitting (sip.md §1.4, RFC 2046 §5.1).
//!
//! The message itself always keeps its body as raw bytes; this module only
//! decides how those bytes are presented to routing rules (`yate.rs` uses it).

use super::headers::{Header, Headers};

/// How Yate's body factory treats a media type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyClass {
    /// `application/sdp`: never copied into the bus message.
    Sdp,
    /// `multipart/*`: each part handled on its own.
    Multipart,
    /// Text handed on as is (`text/*`, JSON, YAML, `+xml`, DTMF, sipfrag, …).
    Text,
    /// Anything else, or text containing a NUL byte: encoded for the bus.
    Binary,
}

impl BodyClass {
    /// The class for a media type essence (`type/subtype`, any case) and its bytes.
    pub fn of(essence: &str, body: &[u8]) -> BodyClass {
        let e = essence.to_ascii_lowercase();
        let (kind, sub) = e.split_once('/').unwrap_or((e.as_str(), ""));
        let texty = kind == "text"
            || matches!(
                e.as_str(),
                "application/dtmf"
                    | "application/json"
                    | "application/yaml"
                    | "application/x-yaml"
                    | "application/dtmf-relay"
                    | "message/sipfrag"
            )
            || sub.ends_with("+xml")
            || kind == "application" && sub.ends_with("+json");
        match e.as_str() {
            "application/sdp" => BodyClass::Sdp,
            _ if kind == "multipart" => BodyClass::Multipart,
            _ if texty && !body.contains(&0) => BodyClass::Text,
            _ => BodyClass::Binary,
        }
    }
}

/// The `body_encoding` setting: how binary bodies become `xsip_body` text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyEncoding {
    /// Base64 without line breaks (Yate's default).
    Base64,
    /// Lower-case hex, no separators.
    Hex,
    /// Lower-case hex with a space between bytes.
    HexSpaced,
    /// The bytes unchanged.
    Raw,
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

impl BodyEncoding {
    /// The encoding for a Yate name (`base64`, `hex`, `hexs`, `raw`).
    pub fn from_name(name: &str) -> Option<BodyEncoding> {
        match name {
            "base64" => Some(BodyEncoding::Base64),
            "hex" => Some(BodyEncoding::Hex),
            "hexs" => Some(BodyEncoding::HexSpaced),
            "raw" => Some(BodyEncoding::Raw),
            _ => None,
        }
    }

    /// The Yate name, as put in `xsip_body_encoding`.
    pub fn name(self) -> &'static str {
        match self {
            BodyEncoding::Base64 => "base64",
            BodyEncoding::Hex => "hex",
            BodyEncoding::HexSpaced => "hexs",
            BodyEncoding::Raw => "raw",
        }
    }

    /// Encodes bytes.
    pub fn encode(self, data: &[u8]) -> Vec<u8> {
        match self {
            BodyEncoding::Raw => data.to_vec(),
            BodyEncoding::Hex => data.iter().flat_map(|b| format!("{b:02x}").into_bytes()).collect(),
            BodyEncoding::HexSpaced => {
                data.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" ").into_bytes()
            }
            BodyEncoding::Base64 => base64_encode(data),
        }
    }

    /// Decodes text produced by [`encode`](Self::encode); `None` if it is not valid.
    /// Blanks and line breaks are ignored in base64 and hex.
    pub fn decode(self, text: &[u8]) -> Option<Vec<u8>> {
        let clean: Vec<u8> = text.iter().copied().filter(|b| !b.is_ascii_whitespace()).collect();
        match self {
            BodyEncoding::Raw => Some(text.to_vec()),
            BodyEncoding::Hex | BodyEncoding::HexSpaced => hex_decode(&clean),
            BodyEncoding::Base64 => base64_decode(&clean),
        }
    }
}

fn base64_encode(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            let c = B64[(n >> (18 - 6 * i) & 63) as usize];
            out.push(if i <= chunk.len() { c } else { b'=' });
        }
    }
    out
}

fn base64_decode(text: &[u8]) -> Option<Vec<u8>> {
    if text.len() % 4 != 0 {
        return None;
    }
    let body = text.strip_suffix(b"==").or_else(|| text.strip_suffix(b"=")).unwrap_or(text);
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0);
    for &c in body {
        let v = B64.iter().position(|&b| b == c)? as u32;
        acc = acc << 6 | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

fn hex_decode(text: &[u8]) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    let digit = |c: u8| (c as char).to_digit(16);
    text.chunks(2).map(|p| Some((digit(p[0])? * 16 + digit(p[1])?) as u8)).collect()
}

/// One part of a multipart body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    /// The part's own headers (Content-Type, Content-Disposition, …).
    pub headers: Headers,
    /// The part's bytes.
    pub body: Vec<u8>,
}

/// Splits a multipart body at `boundary` (RFC 2046 §5.1.1): the preamble and
/// epilogue are dropped, CRLF or bare LF accepted. `None` if no delimiter is found.
pub fn split_multipart(body: &[u8], boundary: &str) -> Option<Vec<Part>> {
    let delim = format!("--{boundary}").into_bytes();
    let mut starts = Vec::new();
    let mut i = 0;
    while let Some(at) = find(&body[i..], &delim).map(|p| p + i) {
        if at == 0 || body[at - 1] == b'\n' {
            starts.push(at);
        }
        i = at + delim.len();
    }
    let mut parts = Vec::new();
    for w in starts.windows(2) {
        let content_start = body[w[0]..].iter().position(|&b| b == b'\n').map(|p| w[0] + p + 1)?;
        let mut end = w[1] - 1;
        if end > content_start && body[end - 1] == b'\r' {
            end -= 1;
        }
        parts.push(part(body.get(content_start..end.max(content_start))?));
    }
    (!starts.is_empty()).then_some(parts)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// One part: header lines up to an empty line, then the content.
fn part(data: &[u8]) -> Part {
    let mut headers = Headers::new();
    let mut pos = 0;
    while pos < data.len() {
        let end = data[pos..].iter().position(|&b| b == b'\n').map_or(data.len(), |p| pos + p);
        let line = data[pos..end].strip_suffix(b"\r").unwrap_or(&data[pos..end]);
        pos = (end + 1).min(data.len());
        if line.is_empty() {
            return Part { headers, body: data[pos..].to_vec() };
        }
        if let Some(colon) = line.iter().position(|&b| b == b':') {
            let name = String::from_utf8_lossy(&line[..colon]).trim().to_owned();
            headers.push(Header::new(name, line[colon + 1..].trim_ascii().to_vec()));
        }
    }
    Part { headers, body: Vec::new() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        assert_eq!(BodyClass::of("text/plain", b"hi"), BodyClass::Text);
        assert_eq!(BodyClass::of("TEXT/plain", b"a\0b"), BodyClass::Binary);
        assert_eq!(BodyClass::of("application/pidf+xml", b"<x/>"), BodyClass::Text);
        assert_eq!(BodyClass::of("application/vnd.x+json", b"{}"), BodyClass::Text);
        assert_eq!(BodyClass::of("image/png", b"x"), BodyClass::Binary);
        assert_eq!(BodyClass::of("message/cpim", b"x"), BodyClass::Binary);
        assert_eq!(BodyClass::of("application/SDP", b"v=0"), BodyClass::Sdp);
        assert_eq!(BodyClass::of("multipart/mixed", b""), BodyClass::Multipart);
    }

    #[test]
    fn encodings_round_trip() {
        let data: Vec<u8> = (0..=255).collect();
        for enc in [BodyEncoding::Base64, BodyEncoding::Hex, BodyEncoding::HexSpaced, BodyEncoding::Raw] {
            for n in [0, 1, 2, 3, 4, 255, 256] {
                assert_eq!(enc.decode(&enc.encode(&data[..n])).as_deref(), Some(&data[..n]), "{enc:?} {n}");
            }
            assert_eq!(BodyEncoding::from_name(enc.name()), Some(enc));
        }
        assert_eq!(BodyEncoding::Base64.encode(b"Man"), b"TWFu");
        assert_eq!(BodyEncoding::Base64.encode(b"Ma"), b"TWE=");
        assert_eq!(BodyEncoding::HexSpaced.encode(&[1, 0xab]), b"01 ab");
        assert_eq!(BodyEncoding::Base64.decode(b"TW=u"), None);
        assert_eq!(BodyEncoding::Hex.decode(b"zz"), None);
    }

    #[test]
    fn multipart_parts() {
        let body = b"preamble\r\n--b1\r\nContent-Type: text/plain\r\n\r\nHello\r\n--b1\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n\r\n--b1\r\nContent-Type: image/png\r\nContent-Disposition: attachment\r\n\r\n\x00\xff\r\n--b1--\r\n";
        let parts = split_multipart(body, "b1").unwrap();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0].body, b"Hello");
        assert_eq!(parts[1].body, b"v=0\r\n");
        assert_eq!(parts[2].body, b"\x00\xff");
    }
}
