//! URIs: the exact text, plus its parts when it is a `sip:`/`sips:` URI (RFC 3261 §19.1).
//!
//! Text is kept as written (escapes included) because callers need it verbatim:
//! the digest response is computed over the `uri` exactly as sent, and Yate's
//! `data=sip/<contact uri>` keeps the URI's own spelling. [`Uri::to_rsip`] hands the
//! same text to rsip for callers that want its typed form; rsip 0.4 rejects IPv6
//! hosts and drops `?headers`, so it is not used for parsing here.

use super::error::{ErrorKind, ParseError, Span};
use super::grammar::{Fail, Param, Res};

/// A URI: any absolute URI (`tel:`, `http://…`, `urn:…`), with parts for SIP ones.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Uri {
    raw: String,
    scheme_len: usize,
    sip: Option<SipUri>,
}

/// The parts of a `sip:` or `sips:` URI, as written (percent-escapes kept).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SipUri {
    /// The user part (`alice`, `sips%3Auser%40example.com`), if there is an `@`.
    pub user: Option<String>,
    /// The password after `user:`, deprecated but legal.
    pub password: Option<String>,
    /// The host as written; an IPv6 reference keeps its brackets.
    pub host: String,
    /// The port, if given.
    pub port: Option<u16>,
    /// The `;name=value` URI parameters, values still escaped.
    pub params: Vec<Param>,
    /// The `?headers` part without the `?`, if any.
    pub headers: Option<String>,
}

impl Uri {
    /// Parses `text`; error spans count from the start of `text`.
    pub fn parse(text: &str) -> Result<Uri, ParseError> {
        Uri::parse_fail(text).map_err(|f| {
            ParseError::new(ErrorKind::BadUri(f.reason), Span::new(f.range.start, f.range.end.min(text.len())))
        })
    }

    pub(crate) fn parse_fail(text: &str) -> Res<Uri> {
        let colon = text.find(':').ok_or_else(|| Fail::at("no scheme", 0..text.len()))?;
        let scheme = &text[..colon];
        let scheme_ok = scheme.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
            && scheme.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
        if !scheme_ok {
            return Err(Fail::at("bad scheme", 0..colon.max(1)));
        }
        if let Some(bad) = text.bytes().position(|b| !b.is_ascii_graphic() && b < 0x80 || b"<>\"".contains(&b)) {
            return Err(Fail::at("character not allowed in a URI", bad..bad + 1));
        }
        let rest = &text[colon + 1..];
        if rest.is_empty() {
            return Err(Fail::at("nothing after the scheme", colon..colon + 1));
        }
        let sip = if scheme.eq_ignore_ascii_case("sip") || scheme.eq_ignore_ascii_case("sips") {
            Some(parse_sip(rest).map_err(|f| f.shift(colon + 1))?)
        } else {
            None
        };
        Ok(Uri { raw: text.to_owned(), scheme_len: colon, sip })
    }

    /// The exact text.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The scheme as written (`sip`, `SIP`, `tel`, …).
    pub fn scheme(&self) -> &str {
        &self.raw[..self.scheme_len]
    }

    /// The SIP parts, for `sip:`/`sips:` URIs.
    pub fn sip(&self) -> Option<&SipUri> {
        self.sip.as_ref()
    }

    /// Whether the scheme is `sips`.
    pub fn is_sips(&self) -> bool {
        self.scheme().eq_ignore_ascii_case("sips")
    }

    /// The user part (SIP URIs only), as written.
    pub fn user(&self) -> Option<&str> {
        self.sip.as_ref()?.user.as_deref()
    }

    /// The host (SIP URIs only), as written.
    pub fn host(&self) -> Option<&str> {
        self.sip.as_ref().map(|s| s.host.as_str())
    }

    /// The port (SIP URIs only), if given.
    pub fn port(&self) -> Option<u16> {
        self.sip.as_ref()?.port
    }

    /// The first URI parameter called `name` (SIP URIs only).
    pub fn param(&self, name: &str) -> Option<&Param> {
        super::grammar::find(&self.sip.as_ref()?.params, name)
    }

    /// rsip's typed form of this URI.
    ///
    /// rsip 0.4 fails on IPv6 hosts and non-SIP schemes, and silently drops `?headers`
    /// and `user:password`; both are errors or losses to expect here. Any panic inside
    /// rsip is caught and reported as an error.
    pub fn to_rsip(&self) -> Result<rsip::Uri, ParseError> {
        let bad = || ParseError::new(ErrorKind::BadUri("rsip could not parse it"), Span::new(0, self.raw.len()));
        let text = self.raw.clone();
        match std::panic::catch_unwind(move || rsip::Uri::try_from(text.as_str())) {
            Ok(Ok(uri)) => Ok(uri),
            _ => Err(bad()),
        }
    }
}

impl std::fmt::Display for Uri {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.raw)
    }
}

/// `userinfo@hostport;params?headers` (the part after `sip:`).
fn parse_sip(rest: &str) -> Res<SipUri> {
    // An unescaped '@' cannot occur in userinfo, params or headers (RFC 3261 §25.1),
    // while userinfo may contain ';', '?' and ':' (RFC 4475 §3.1.1.2), so the first
    // '@' is what ends the userinfo.
    let (user, password, host_at) = match rest.find('@') {
        Some(0) => return Err(Fail::at("empty user part", 0..1)),
        Some(at) => {
            let info = &rest[..at];
            match info.split_once(':') {
                Some((u, p)) => (Some(u.to_owned()), Some(p.to_owned()), at + 1),
                None => (Some(info.to_owned()), None, at + 1),
            }
        }
        None => (None, None, 0),
    };
    let tail = &rest[host_at..];
    let hp_len = tail.find([';', '?']).unwrap_or(tail.len());
    let (host, port) = host_port(&tail[..hp_len]).map_err(|f| f.shift(host_at))?;
    let after = &tail[hp_len..];
    let (params_text, headers) = match after.split_once('?') {
        Some((p, h)) if !h.is_empty() => (p, Some(h.to_owned())),
        Some(_) => return Err(Fail::at("empty URI headers", rest.len() - 1..rest.len())),
        None => (after, None),
    };
    let params = uri_params(params_text).map_err(|f| f.shift(host_at + hp_len))?;
    Ok(SipUri { user, password, host, port, params, headers })
}

/// `host[:port]`, the host being a name, IPv4 address or `[IPv6]` reference.
pub(crate) fn host_port(text: &str) -> Res<(String, Option<u16>)> {
    let (host, port_text) = if text.starts_with('[') {
        let close = text.find(']').ok_or_else(|| Fail::at("unclosed IPv6 reference", 0..text.len()))?;
        let inner = &text[1..close];
        if inner.is_empty() || !inner.bytes().all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.') {
            return Err(Fail::at("bad IPv6 reference", 0..close + 1));
        }
        match &text[close + 1..] {
            "" => (&text[..=close], None),
            p => {
                (&text[..=close], Some(p.strip_prefix(':').ok_or_else(|| Fail::at("bad port", close + 1..text.len()))?))
            }
        }
    } else {
        match text.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (text, None),
        }
    };
    if host.is_empty()
        || !host.starts_with('[') && !host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    {
        return Err(Fail::at("bad host", 0..host.len().max(1)));
    }
    let port = match port_text {
        None => None,
        Some(p) => {
            let at = text.len() - p.len();
            let ok = !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit());
            Some(p.parse::<u16>().ok().filter(|_| ok).ok_or_else(|| Fail::at("bad port", at..text.len()))?)
        }
    };
    Ok((host.to_owned(), port))
}

/// `;name[=value]` URI parameters (no whitespace allowed inside a URI).
fn uri_params(text: &str) -> Res<Vec<Param>> {
    let mut out = Vec::new();
    let mut at = 0;
    for part in text.split(';').skip(1) {
        at += 1;
        let (name, value) = match part.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (part, None),
        };
        if name.is_empty() || value == Some("") {
            return Err(Fail::at("empty URI parameter", at..at + part.len().max(1)));
        }
        out.push(Param { name: name.to_owned(), value: value.map(str::to_owned), quoted: false });
        at += part.len();
    }
    Ok(out)
}

/// Percent-decodes `text` (`%41` → `A`); a `%` not followed by two hex digits stays as is.
pub fn unescape(text: &str) -> Vec<u8> {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (b[i], b.get(i + 1).and_then(|&c| hex(c)), b.get(i + 2).and_then(|&c| hex(c))) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sip(text: &str) -> SipUri {
        Uri::parse(text).unwrap().sip().cloned().unwrap()
    }

    #[test]
    fn plain_and_ipv6() {
        let u = sip("sip:bob@127.0.0.1:5072;transport=udp");
        assert_eq!((u.user.as_deref(), u.host.as_str(), u.port), (Some("bob"), "127.0.0.1", Some(5072)));
        assert_eq!(u.params[0].value.as_deref(), Some("udp"));
        let v6 = sip("sips:alice@[2001:db8::10]:5061");
        assert_eq!((v6.host.as_str(), v6.port), ("[2001:db8::10]", Some(5061)));
    }

    #[test]
    fn user_with_semicolons_and_password() {
        assert_eq!(sip("sip:user;par=u%40example.net@example.com").user.as_deref(), Some("user;par=u%40example.net"));
        let u = sip("sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com");
        assert_eq!(u.user.as_deref(), Some("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*"));
        assert_eq!(u.password.as_deref(), Some("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)"));
    }

    #[test]
    fn headers_and_other_schemes() {
        assert_eq!(
            sip("sip:user@example.com?Route=%3Csip:example.com%3E").headers.as_deref(),
            Some("Route=%3Csip:example.com%3E")
        );
        let tel = Uri::parse("tel:+1-212-555-1212").unwrap();
        assert!(tel.sip().is_none());
        assert_eq!(tel.scheme(), "tel");
        assert!(Uri::parse("soap.beep://192.0.2.103:3002").is_ok());
    }

    #[test]
    fn rejects() {
        for bad in [
            "sip:",
            "sip:@h",
            "sip:a@",
            "sip:a@h:99999",
            "sip:a@h;=x",
            "sip:a@h;t=",
            " sip:a@b",
            "<sip:a>",
            "sip:a b",
            "sip:[::1",
        ] {
            assert!(Uri::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn unescaping() {
        assert_eq!(unescape("cal%6Cer%2"), b"caller%2");
        assert_eq!(unescape("%00"), [0]);
    }

    #[test]
    fn rsip_conversion_is_an_error_not_a_panic() {
        assert_eq!(Uri::parse("sip:bob@h:5060").unwrap().to_rsip().unwrap().user(), Some("bob"));
        assert!(Uri::parse("sip:a@[::1]").unwrap().to_rsip().is_err());
    }
}
