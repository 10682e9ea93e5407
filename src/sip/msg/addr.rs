//! Addresses: the `name-addr / addr-spec` values of From, To, Contact, Route and friends.
//!
//! Owned here rather than taken from rsip 0.4, whose tokenizer splits at the first
//! `<` even inside a quoted display name, keeps the quotes in the display name,
//! refuses blanks before the first token and cannot read a comma list.

use super::grammar::{find, quote, saturating_digits, split_commas, Cursor, Fail, Param, Res};
use super::headers::is_token_byte;
use super::uri::Uri;

/// `[display] <uri> ;params` or `uri ;params`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameAddr {
    /// The display name with quotes and quoted-pairs removed (`Alice` for `"Alice"`);
    /// an unquoted one has its words joined by single spaces.
    pub display: Option<String>,
    /// The URI.
    pub uri: Uri,
    /// Header parameters after the address (`tag`, `expires`, `q`, …).
    pub params: Vec<Param>,
}

/// One Contact value: an address, or `*` (REGISTER's "all bindings").
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Contact {
    /// `Contact: *`.
    Star,
    /// A contact address (boxed: `*` needs no room).
    Addr(Box<NameAddr>),
}

impl NameAddr {
    /// An address for `uri` with no display name and no parameter.
    pub fn new(uri: Uri) -> NameAddr {
        NameAddr { display: None, uri, params: Vec::new() }
    }

    /// The `tag` parameter.
    pub fn tag(&self) -> Option<&str> {
        self.param("tag")?.value.as_deref()
    }

    /// The first header parameter called `name` (case-insensitive).
    pub fn param(&self, name: &str) -> Option<&Param> {
        find(&self.params, name)
    }

    /// The `expires` parameter in seconds, values above `u32::MAX` saturating.
    ///
    /// Contacts from [`super::Headers::contacts`] have had it checked, so `None`
    /// means absent there.
    pub fn expires(&self) -> Option<u32> {
        let v = self.param("expires")?.value.as_deref()?;
        saturating_digits(v, u64::from(u32::MAX)).and_then(|n| u32::try_from(n).ok())
    }

    /// The wire form: `"display" <uri>;params`.
    pub fn to_wire(&self) -> String {
        let mut out = String::new();
        if let Some(d) = &self.display {
            out.push_str(&quote(d));
            out.push(' ');
        }
        out.push('<');
        out.push_str(self.uri.as_str());
        out.push('>');
        for p in &self.params {
            out.push_str(&p.to_wire());
        }
        out
    }

    /// Parses one address (not a list).
    pub(crate) fn parse(s: &str) -> Res<NameAddr> {
        let mut c = Cursor::new(s);
        c.skip_ws();
        let display = display_name(&mut c)?;
        let (uri, bracketed) = if c.peek() == Some(b'<') {
            (bracketed_uri(&mut c)?, true)
        } else if display.is_some() {
            return Err(Fail::at("expected '<' after the display name", c.pos..c.pos + 1));
        } else {
            (bare_uri(&mut c)?, false)
        };
        let params = c.params(b"")?;
        if !bracketed && uri.sip().is_some_and(|s| s.headers.is_some()) {
            // RFC 3261 §20: a URI with '?', ',' or ';' must be in angle brackets;
            // unbracketed, its meaning is ambiguous (RFC 4475 §3.1.2.13).
            return Err(Fail::at("a URI with headers must be enclosed in '<' '>'", 0..s.len()));
        }
        Ok(NameAddr { display, uri, params })
    }
}

/// A quoted display name, or words followed by `<`; `None` (cursor unmoved) otherwise.
fn display_name(c: &mut Cursor<'_>) -> Res<Option<String>> {
    if c.peek() == Some(b'"') {
        let d = c.quoted()?;
        c.skip_ws();
        return Ok(Some(d));
    }
    let start = c.pos;
    let mut words = Vec::new();
    loop {
        let w = c.take_while(is_token_byte);
        if w.is_empty() {
            break;
        }
        words.push(w);
        c.skip_ws();
    }
    if c.peek() == Some(b'<') {
        return Ok((!words.is_empty()).then(|| words.join(" ")));
    }
    c.pos = start;
    Ok(None)
}

/// `<uri>`: no blanks allowed inside the brackets (RFC 4475 §3.1.2.14).
fn bracketed_uri(c: &mut Cursor<'_>) -> Res<Uri> {
    let open = c.pos;
    c.pos += 1;
    let rest = c.rest();
    let close = rest.find('>').ok_or_else(|| Fail::at("unclosed '<'", open..c.s.len()))?;
    let uri = Uri::parse_fail(&rest[..close]).map_err(|f| f.shift(open + 1))?;
    c.pos += close + 1;
    Ok(uri)
}

/// An addr-spec without brackets: the URI ends at the first `;` (header parameters follow).
fn bare_uri(c: &mut Cursor<'_>) -> Res<Uri> {
    let start = c.pos;
    let text = c.take_while(|b| b != b';' && b != b' ' && b != b'\t');
    if text.contains(',') {
        return Err(Fail::at("a URI with ',' must be enclosed in '<' '>'", start..c.pos));
    }
    Uri::parse_fail(text).map_err(|f| f.shift(start))
}

/// A Contact header value: `*` or a comma list of addresses, each `expires` checked.
pub(crate) fn parse_contacts(s: &str) -> Res<Vec<Contact>> {
    if s.trim_matches([' ', '\t']) == "*" {
        return Ok(vec![Contact::Star]);
    }
    let mut out = Vec::new();
    for r in split_commas(s)? {
        let start = r.start;
        let addr = NameAddr::parse(&s[r]).map_err(|f| f.shift(start))?;
        if let Some(p) = addr.param("expires") {
            let ok = p.value.as_deref().and_then(|v| saturating_digits(v, u64::from(u32::MAX))).is_some();
            if !ok {
                return Err(Fail::at("expires must be a number of seconds", start..s.len()));
            }
        }
        out.push(Contact::Addr(Box::new(addr)));
    }
    Ok(out)
}

/// A comma list of addresses (Route, Record-Route, …).
pub(crate) fn parse_list(s: &str) -> Res<Vec<NameAddr>> {
    split_commas(s)?.into_iter().map(|r| NameAddr::parse(&s[r.clone()]).map_err(|f| f.shift(r.start))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn na(s: &str) -> NameAddr {
        NameAddr::parse(s).unwrap()
    }

    #[test]
    fn forms_from_the_torture_tests() {
        let a = na("\"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com> ; tag = 98asjd8");
        assert_eq!(a.display.as_deref(), Some("J Rosenberg \\\""));
        assert_eq!(a.tag(), Some("98asjd8"));
        let b = na("sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n");
        assert_eq!((b.display.as_deref(), b.tag()), (None, Some("1918181833n")));
        assert_eq!(na("caller<sip:caller@example.com>;tag=323").display.as_deref(), Some("caller"));
        let c = na("token1~` token2'+_ token3*%!.- <sip:mundane@example.com>;fromParam''~+*_!.-%=\"работающий\";tag=x");
        assert_eq!(c.display.as_deref(), Some("token1~` token2'+_ token3*%!.-"));
        assert_eq!(c.params[0].value.as_deref(), Some("работающий"));
        assert_eq!(na("isbn:2983792873").uri.scheme(), "isbn");
    }

    #[test]
    fn invalid_forms() {
        for bad in [
            "\"Mr. J. User <sip:j.user@example.com>",
            "\"Watson, Thomas\" < sip:t.watson@example.org >",
            "Bell, Alexander <sip:a.g.bell@example.com>;tag=43",
            "sip:user@example.com?Route=%3Csip:sip.example.com%3E",
            "\"Joe\" <sip:joe@example.org>;;;;",
            "<sip:a@b",
            "",
        ] {
            assert!(NameAddr::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn contacts() {
        assert_eq!(parse_contacts(" * ").unwrap(), [Contact::Star]);
        let list = parse_contacts("<sip:a@b>;expires=0, \"X\" <sip:c@d>;q=0.5").unwrap();
        assert_eq!(list.len(), 2);
        let Contact::Addr(a) = &list[0] else { panic!() };
        assert_eq!(a.expires(), Some(0));
        assert!(parse_contacts("<sip:a@b>;expires=soon").is_err());
        let Contact::Addr(big) = &parse_contacts("<sip:u@h>;expires=280297596632815").unwrap()[0] else { panic!() };
        assert_eq!(big.expires(), Some(u32::MAX));
    }

    #[test]
    fn wire_form() {
        let a = na("\"A \\\"B\\\"\" <sip:a@b>;tag=1");
        assert_eq!(a.to_wire(), "\"A \\\"B\\\"\" <sip:a@b>;tag=1");
        assert_eq!(parse_list("<sip:p1;lr>, <sip:p2;lr>").unwrap().len(), 2);
    }
}
