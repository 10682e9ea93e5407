//! Authentication header values: `Digest username="alice", realm="Yate", …`.
//!
//! One type serves Authorization / Proxy-Authorization (credentials) and
//! WWW-Authenticate / Proxy-Authenticate (challenges): both are a scheme plus
//! comma-separated `name=value` pairs (RFC 3261 §25.1, RFC 7616). Owned here because
//! rsip 0.4 re-parses the digest `uri` into its URI type and prints it back
//! normalised (`transport=udp` becomes `transport=UDP`), while the response hash
//! must be computed over the uri *exactly as sent*; it also refuses non-Digest
//! schemes outright.

use super::grammar::{quote, split_commas, Cursor, Fail, Res};
use super::headers::is_token_byte;

/// Credentials or a challenge: a scheme and its parameters in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    /// The scheme as written (`Digest`, `Basic`, `NoOneKnowsThisScheme`).
    pub scheme: String,
    /// `(name, value, was quoted)` in order; values unquoted.
    pub params: Vec<(String, String, bool)>,
    /// For schemes whose data is not `name=value` pairs (e.g. Basic's token68),
    /// the text after the scheme.
    pub opaque: Option<String>,
}

impl Credentials {
    /// Whether the scheme is Digest (case-insensitive).
    pub fn is_digest(&self) -> bool {
        self.scheme.eq_ignore_ascii_case("Digest")
    }

    /// The first parameter called `name` (case-insensitive).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(n, _, _)| n.eq_ignore_ascii_case(name)).map(|(_, v, _)| v.as_str())
    }

    /// `username`.
    pub fn username(&self) -> Option<&str> {
        self.get("username")
    }

    /// `realm`.
    pub fn realm(&self) -> Option<&str> {
        self.get("realm")
    }

    /// `nonce`.
    pub fn nonce(&self) -> Option<&str> {
        self.get("nonce")
    }

    /// `uri`, exactly as sent (the digest is computed over this text).
    pub fn uri(&self) -> Option<&str> {
        self.get("uri")
    }

    /// `response`.
    pub fn response(&self) -> Option<&str> {
        self.get("response")
    }

    /// `algorithm` (absent means MD5).
    pub fn algorithm(&self) -> Option<&str> {
        self.get("algorithm")
    }

    /// `qop`.
    pub fn qop(&self) -> Option<&str> {
        self.get("qop")
    }

    /// `nc` (nonce count, 8 hex digits).
    pub fn nc(&self) -> Option<&str> {
        self.get("nc")
    }

    /// `cnonce`.
    pub fn cnonce(&self) -> Option<&str> {
        self.get("cnonce")
    }

    /// `opaque`.
    pub fn opaque_param(&self) -> Option<&str> {
        self.get("opaque")
    }

    /// A Digest challenge or credentials from `(name, value, quoted)` triples.
    pub fn digest(params: &[(&str, &str, bool)]) -> Credentials {
        let params = params.iter().map(|&(n, v, q)| (n.to_owned(), v.to_owned(), q)).collect();
        Credentials { scheme: "Digest".into(), params, opaque: None }
    }

    /// The wire form: `Digest realm="Yate", nonce="…", algorithm=MD5`.
    pub fn to_wire(&self) -> String {
        let mut out = self.scheme.clone();
        if let Some(o) = &self.opaque {
            out.push(' ');
            out.push_str(o);
        }
        for (i, (n, v, q)) in self.params.iter().enumerate() {
            out.push_str(if i == 0 { " " } else { ", " });
            out.push_str(n);
            out.push('=');
            out.push_str(&if *q { quote(v) } else { v.clone() });
        }
        out
    }

    /// Parses one header value. A Digest value must be well-formed pairs; another
    /// scheme whose data is not pairs keeps it in [`opaque`](Self::opaque).
    pub(crate) fn parse(s: &str) -> Res<Credentials> {
        let mut c = Cursor::new(s);
        c.skip_ws();
        let scheme = c.token("authentication scheme expected")?.to_owned();
        let before = c.pos;
        c.skip_ws();
        let rest_at = c.pos;
        let rest = c.rest();
        if rest.is_empty() {
            return Ok(Credentials { scheme, params: Vec::new(), opaque: None });
        }
        if c.pos == before {
            return Err(Fail::at("blank expected after the scheme", before..before + 1));
        }
        match pairs(rest) {
            Ok(params) => Ok(Credentials { scheme, params, opaque: None }),
            Err(_) if !scheme.eq_ignore_ascii_case("Digest") => {
                Ok(Credentials { scheme, params: Vec::new(), opaque: Some(rest.to_owned()) })
            }
            Err(f) => Err(f.shift(rest_at)),
        }
    }
}

/// `name = value` pairs separated by commas; values are tokens or quoted strings.
fn pairs(s: &str) -> Res<Vec<(String, String, bool)>> {
    let mut out = Vec::new();
    for r in split_commas(s)? {
        let mut c = Cursor::new(&s[r.clone()]);
        let name = c.token("parameter name expected").map_err(|f| f.shift(r.start))?.to_owned();
        c.skip_ws();
        if !c.eat(b'=') {
            return Err(Fail::at("'=' expected", r.start + c.pos..r.start + c.pos + 1));
        }
        c.skip_ws();
        let (value, quoted) = if c.peek() == Some(b'"') {
            (c.quoted().map_err(|f| f.shift(r.start))?, true)
        } else {
            let v = c.take_while(|b| is_token_byte(b) || b == b'/' || b == b':');
            (v.to_owned(), false)
        };
        c.skip_ws();
        if !c.at_end() || (!quoted && value.is_empty()) {
            return Err(Fail::at("malformed parameter value", r.clone()));
        }
        out.push((name, value, quoted));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twinkle_and_baresip_styles() {
        let a = Credentials::parse("Digest username=\"alice\",realm=\"Yate\",nonce=\"n.1\",uri=\"sip:127.0.0.1\",response=\"0e33\",algorithm=MD5").unwrap();
        assert!(a.is_digest());
        assert_eq!((a.username(), a.uri(), a.algorithm()), (Some("alice"), Some("sip:127.0.0.1"), Some("MD5")));
        let b = Credentials::parse("Digest username=\"bob\", realm=\"Yate\", nonce=\"n\", uri=\"sip:b@h;transport=udp\", response=\"r\", qop=auth, nc=00000001, cnonce=\"c\"").unwrap();
        assert_eq!((b.uri(), b.nc(), b.qop()), (Some("sip:b@h;transport=udp"), Some("00000001"), Some("auth")));
    }

    #[test]
    fn quoted_commas_and_other_schemes() {
        assert_eq!(Credentials::parse("Digest username=\"a,b\", realm=r").unwrap().username(), Some("a,b"));
        let o = Credentials::parse("NoOneKnowsThisScheme opaque-data=here").unwrap();
        assert_eq!(o.get("opaque-data"), Some("here"));
        let basic = Credentials::parse("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==").unwrap();
        assert_eq!(basic.opaque.as_deref(), Some("QWxhZGRpbjpvcGVuIHNlc2FtZQ=="));
        assert!(Credentials::parse("Digest username=\"x").is_err());
        assert!(Credentials::parse("Digest a b").is_err());
    }

    #[test]
    fn wire_form() {
        let c = Credentials::digest(&[("realm", "Yate", true), ("nonce", "n", true), ("algorithm", "MD5", false)]);
        assert_eq!(c.to_wire(), "Digest realm=\"Yate\", nonce=\"n\", algorithm=MD5");
        assert_eq!(Credentials::parse(&c.to_wire()).unwrap(), c);
    }
}
