//! Typed header accessors: Call-ID, CSeq, From/To, Via, Contact, Expires, … on [`Headers`].
//!
//! Each accessor reads the header's unfolded value and returns a [`ParseError`]
//! pointing into the message when it is absent (if required), duplicated with
//! different values (single-valued headers), not UTF-8 or malformed. Numbers too
//! large for their field are [`ErrorKind::NumberOutOfRange`], except Expires and
//! the Contact `expires` parameter, which saturate at `u32::MAX` as "as long as
//! possible" (RFC 4475 §3.1.2.4 expects that tolerance).

use super::addr::{parse_contacts, parse_list, Contact, NameAddr};
use super::auth::Credentials;
use super::error::{ErrorKind, ParseError};
use super::grammar::{find, saturating_digits, Cursor, Fail, Param, Res};
use super::headers::{Header, Headers};
use super::via::{parse_vias, Via};
use super::Method;

/// The CSeq header: sequence number and method.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CSeq {
    /// The sequence number (below 2^31, RFC 3261 §8.1.1.5).
    pub seq: u32,
    /// The method, which a request's own method should equal.
    pub method: Method,
}

/// A Content-Type value: `type/subtype;params`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaType {
    /// The top-level type as written (`text`, `application`, `multipart`).
    pub kind: String,
    /// The subtype as written (`plain`, `sdp`, `pidf+xml`).
    pub subtype: String,
    /// Parameters (`charset`, `boundary`, …).
    pub params: Vec<Param>,
}

impl MediaType {
    /// `type/subtype` in lower case, without parameters (Yate's `xsip_type`).
    pub fn essence(&self) -> String {
        let mut e = String::with_capacity(self.kind.len() + 1 + self.subtype.len());
        e.push_str(&self.kind);
        e.push('/');
        e.push_str(&self.subtype);
        e.make_ascii_lowercase();
        e
    }

    /// Whether the essence is `mime` (case-insensitive).
    pub fn is(&self, mime: &str) -> bool {
        self.essence().eq_ignore_ascii_case(mime)
    }

    /// The first parameter called `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        find(&self.params, name)?.value.as_deref()
    }

    /// Parses a Content-Type value.
    pub(crate) fn parse(s: &str) -> Res<MediaType> {
        let mut c = Cursor::new(s);
        c.skip_ws();
        let kind = c.token("media type expected")?.to_owned();
        c.skip_ws();
        if !c.eat(b'/') {
            return Err(Fail::at("'/' expected in media type", c.pos..c.pos + 1));
        }
        c.skip_ws();
        let subtype = c.token("media subtype expected")?.to_owned();
        let params = c.params(b"")?;
        Ok(MediaType { kind, subtype, params })
    }
}

/// The error for a malformed value of `header`.
fn fail(h: &Header, header: &'static str, f: Fail) -> ParseError {
    let kind = if f.overflow {
        ErrorKind::NumberOutOfRange(header)
    } else {
        ErrorKind::BadHeaderValue { header, reason: f.reason }
    };
    ParseError::new(kind, h.span_of(f.range))
}

fn text(h: &Header) -> Result<&str, ParseError> {
    h.as_str().ok_or_else(|| ParseError::new(ErrorKind::InvalidUtf8, h.value_span()))
}

impl Headers {
    /// A single-valued header: its first copy, after checking that any other copy
    /// has the same value (RFC 4475 §3.3.8 treats differing copies as malformed).
    fn single(&self, name: &'static str) -> Result<Option<(&Header, &str)>, ParseError> {
        let mut all = self.get_all(name);
        let Some(first) = all.next() else { return Ok(None) };
        if let Some(other) = all.find(|h| h.value() != first.value()) {
            return Err(ParseError::new(ErrorKind::DuplicateHeader(name), other.span()));
        }
        Ok(Some((first, text(first)?)))
    }

    fn required(&self, name: &'static str) -> Result<(&Header, &str), ParseError> {
        self.single(name)?.ok_or_else(|| ParseError::new(ErrorKind::MissingHeader(name), Default::default()))
    }

    /// Every copy of a list header, each split into its comma-separated values.
    fn list<T>(&self, name: &'static str, parse: fn(&str) -> Res<Vec<T>>) -> Result<Vec<T>, ParseError> {
        let mut out = Vec::new();
        for h in self.get_all(name) {
            out.extend(parse(text(h)?).map_err(|f| fail(h, name, f))?);
        }
        Ok(out)
    }

    /// Call-ID (required).
    pub fn call_id(&self) -> Result<&str, ParseError> {
        let (h, v) = self.required("Call-ID")?;
        if v.is_empty() || v.contains([' ', '\t']) {
            return Err(fail(h, "Call-ID", Fail::at("a Call-ID is one word", 0..v.len())));
        }
        Ok(v)
    }

    /// CSeq (required): `<number> <method>`.
    pub fn cseq(&self) -> Result<CSeq, ParseError> {
        let (h, v) = self.required("CSeq")?;
        let parse = || -> Res<CSeq> {
            let mut c = Cursor::new(v);
            c.skip_ws();
            let start = c.pos;
            let digits = c.take_while(|b| b.is_ascii_digit());
            if digits.is_empty() {
                return Err(Fail::at("sequence number expected", start..start + 1));
            }
            let seq = saturating_digits(digits, 1 << 31).filter(|&n| n < 1 << 31);
            let seq = seq.ok_or_else(|| Fail::overflow(start..c.pos))? as u32;
            let before = c.pos;
            c.skip_ws();
            if c.pos == before {
                return Err(Fail::at("blank expected before the method", c.pos..c.pos + 1));
            }
            let method = Method::new(c.token("method expected")?);
            c.skip_ws();
            if !c.at_end() {
                return Err(Fail::at("unexpected text after the method", c.pos..v.len()));
            }
            Ok(CSeq { seq, method })
        };
        parse().map_err(|f| fail(h, "CSeq", f))
    }

    /// From (required).
    pub fn from_addr(&self) -> Result<NameAddr, ParseError> {
        let (h, v) = self.required("From")?;
        NameAddr::parse(v).map_err(|f| fail(h, "From", f))
    }

    /// To (required).
    pub fn to_addr(&self) -> Result<NameAddr, ParseError> {
        let (h, v) = self.required("To")?;
        NameAddr::parse(v).map_err(|f| fail(h, "To", f))
    }

    /// Every Via value, topmost first, across all Via lines and comma lists.
    pub fn vias(&self) -> Result<Vec<Via>, ParseError> {
        self.list("Via", parse_vias)
    }

    /// The Via values of one Via line, the header at `index` (`None` if there is none).
    pub fn vias_of_line(&self, index: usize) -> Option<Result<Vec<Via>, ParseError>> {
        let h = self.iter().nth(index)?;
        Some(text(h).and_then(|t| parse_vias(t).map_err(|f| fail(h, "Via", f))))
    }

    /// The topmost Via (required).
    pub fn top_via(&self) -> Result<Via, ParseError> {
        let h = self.get("Via").ok_or_else(|| ParseError::new(ErrorKind::MissingHeader("Via"), Default::default()))?;
        let vias = parse_vias(text(h)?).map_err(|f| fail(h, "Via", f))?;
        vias.into_iter().next().ok_or_else(|| ParseError::new(ErrorKind::MissingHeader("Via"), h.span()))
    }

    /// Every Contact value in order; `*` comes back as [`Contact::Star`]. Empty if absent.
    pub fn contacts(&self) -> Result<Vec<Contact>, ParseError> {
        self.list("Contact", parse_contacts)
    }

    /// The addresses of a list header such as Route or Record-Route.
    pub fn addr_list(&self, name: &'static str) -> Result<Vec<NameAddr>, ParseError> {
        self.list(name, parse_list)
    }

    /// Expires in seconds, values above `u32::MAX` saturating.
    pub fn expires(&self) -> Result<Option<u32>, ParseError> {
        self.seconds("Expires", u64::from(u32::MAX)).map(|n| n.map(|n| n as u32))
    }

    /// Max-Forwards (0..=255).
    pub fn max_forwards(&self) -> Result<Option<u8>, ParseError> {
        let Some((h, v)) = self.single("Max-Forwards")? else { return Ok(None) };
        let n = saturating_digits(v, 256)
            .ok_or_else(|| fail(h, "Max-Forwards", Fail::at("a number expected", 0..v.len())))?;
        u8::try_from(n).map(Some).map_err(|_| fail(h, "Max-Forwards", Fail::overflow(0..v.len())))
    }

    fn seconds(&self, name: &'static str, max: u64) -> Result<Option<u64>, ParseError> {
        let Some((h, v)) = self.single(name)? else { return Ok(None) };
        saturating_digits(v, max)
            .map(Some)
            .ok_or_else(|| fail(h, name, Fail::at("a number of seconds expected", 0..v.len())))
    }

    /// Content-Type.
    pub fn content_type(&self) -> Result<Option<MediaType>, ParseError> {
        let Some((h, v)) = self.single("Content-Type")? else { return Ok(None) };
        MediaType::parse(v).map(Some).map_err(|f| fail(h, "Content-Type", f))
    }

    /// Content-Length (already validated when the message was parsed).
    pub fn content_length(&self) -> Result<Option<usize>, ParseError> {
        let Some((h, v)) = self.single("Content-Length")? else { return Ok(None) };
        let n = saturating_digits(v, u64::MAX).and_then(|n| usize::try_from(n).ok());
        n.map(Some).ok_or_else(|| fail(h, "Content-Length", Fail::at("a byte count expected", 0..v.len())))
    }

    /// Every Authorization value, in order.
    pub fn authorization(&self) -> Result<Vec<Credentials>, ParseError> {
        self.credentials("Authorization")
    }

    /// Every Proxy-Authorization value, in order.
    pub fn proxy_authorization(&self) -> Result<Vec<Credentials>, ParseError> {
        self.credentials("Proxy-Authorization")
    }

    /// Every WWW-Authenticate challenge, in order.
    pub fn www_authenticate(&self) -> Result<Vec<Credentials>, ParseError> {
        self.credentials("WWW-Authenticate")
    }

    /// Every Proxy-Authenticate challenge, in order.
    pub fn proxy_authenticate(&self) -> Result<Vec<Credentials>, ParseError> {
        self.credentials("Proxy-Authenticate")
    }

    /// One credentials value per header line: a Digest value's own commas separate
    /// its parameters, so lines are not split at commas.
    fn credentials(&self, name: &'static str) -> Result<Vec<Credentials>, ParseError> {
        self.get_all(name).map(|h| Credentials::parse(text(h)?).map_err(|f| fail(h, name, f))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;

    fn headers(lines: &str) -> Headers {
        let text = format!("OPTIONS sip:a SIP/2.0\r\n{lines}\r\n\r\n");
        parse(text.as_bytes()).unwrap().headers().clone()
    }

    #[test]
    fn cseq_forms() {
        let c = headers("cseq: 0009\r\n  INVITE").cseq().unwrap();
        assert_eq!((c.seq, c.method.as_str()), (9, "INVITE"));
        assert_eq!(headers("CSeq: 1 NEWMETHOD").cseq().unwrap().method.as_str(), "NEWMETHOD");
        let big = headers("CSeq: 36893488147419103232 REGISTER").cseq().unwrap_err();
        assert_eq!(big.kind(), &ErrorKind::NumberOutOfRange("CSeq"));
        assert!(headers("CSeq: 2147483648 X").cseq().is_err());
        assert!(headers("CSeq: fhdjkgfhdkjhgkj").cseq().is_err());
        assert_eq!(headers("X: y").cseq().unwrap_err().kind(), &ErrorKind::MissingHeader("CSeq"));
    }

    #[test]
    fn scalars() {
        let h = headers("Max-Forwards: 0068\r\nExpires: 1000000000000000000000\r\nc: text/plain ; charset=utf-8");
        assert_eq!(h.max_forwards().unwrap(), Some(68));
        assert_eq!(h.expires().unwrap(), Some(u32::MAX));
        let ct = h.content_type().unwrap().unwrap();
        assert_eq!((ct.essence(), ct.param("charset")), ("text/plain".to_owned(), Some("utf-8")));
        assert!(headers("Max-Forwards: 300").max_forwards().is_err());
        assert_eq!(headers("X: 1").expires().unwrap(), None);
    }

    #[test]
    fn duplicates_and_error_spans() {
        let h = headers("i: a@b\r\nCall-ID: c@d");
        assert_eq!(h.call_id().unwrap_err().kind(), &ErrorKind::DuplicateHeader("Call-ID"));
        assert_eq!(headers("i: a@b\r\nCall-ID: a@b").call_id().unwrap(), "a@b");
        let text = b"OPTIONS sip:a SIP/2.0\r\nTo: <sip:a@b>;;\r\n\r\n";
        let e = parse(text).unwrap().headers().to_addr().unwrap_err();
        assert_eq!(&text[e.span().range()], b";");
    }

    #[test]
    fn lists_across_lines() {
        let h = headers("v: SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/TCP b\r\nVia: SIP/2.0/UDP c\r\nm: *");
        assert_eq!(h.vias().unwrap().len(), 3);
        assert_eq!(h.top_via().unwrap().host, "a");
        assert_eq!(h.contacts().unwrap(), [Contact::Star]);
        let auth = headers("Authorization: Digest username=\"a\", uri=\"sip:x\"").authorization().unwrap();
        assert_eq!(auth[0].uri(), Some("sip:x"));
    }
}
