//! Shared pieces of the RFC 3261 §25 grammar: tokens, quoted strings, parameters, comma lists.
//!
//! These work on one header value, already unfolded, and report failures as a
//! byte range of that value; `typed.rs` turns them into [`super::ParseError`]s
//! pointing into the message.

use super::headers::is_token_byte;
use std::ops::Range;

/// Why a header value did not parse, and where in the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fail {
    pub(crate) reason: &'static str,
    pub(crate) range: Range<usize>,
    /// A number that was well-formed but too large for its field.
    pub(crate) overflow: bool,
}

impl Fail {
    pub(crate) fn at(reason: &'static str, range: Range<usize>) -> Fail {
        Fail { reason, range, overflow: false }
    }

    pub(crate) fn overflow(range: Range<usize>) -> Fail {
        Fail { reason: "number too large", range, overflow: true }
    }

    /// The same failure found in a slice starting `by` bytes into the value.
    pub(crate) fn shift(self, by: usize) -> Fail {
        Fail { range: self.range.start + by..self.range.end + by, ..self }
    }
}

pub(crate) type Res<T> = Result<T, Fail>;

/// A `;name=value` parameter, as in `;tag=abc`, `;lr` or `;q = 0.33`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Param {
    /// The name as written.
    pub name: String,
    /// The value with quotes and quoted-pairs removed; `None` for a bare `;lr`.
    pub value: Option<String>,
    /// Whether the value was a quoted string.
    pub quoted: bool,
}

impl Param {
    /// Whether this parameter is `name` (parameter names are case-insensitive).
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }

    /// The wire form, `;name` or `;name=value` (re-quoted if it was quoted).
    pub fn to_wire(&self) -> String {
        let mut out = String::new();
        self.write_wire(&mut out);
        out
    }

    /// Appends [`Param::to_wire`] to `out`.
    pub fn write_wire(&self, out: &mut String) {
        out.push(';');
        out.push_str(&self.name);
        match (&self.value, self.quoted) {
            (None, _) => {}
            (Some(v), false) => {
                out.push('=');
                out.push_str(v);
            }
            (Some(v), true) => {
                out.push('=');
                out.push_str(&quote(v));
            }
        }
    }
}

/// The first parameter called `name` in `params`.
pub(crate) fn find<'a>(params: &'a [Param], name: &str) -> Option<&'a Param> {
    params.iter().find(|p| p.is(name))
}

/// A quoted string for `text`: `"` and `\` escaped.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// A position in one header value.
pub(crate) struct Cursor<'a> {
    pub(crate) s: &'a str,
    pub(crate) pos: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(s: &'a str) -> Cursor<'a> {
        Cursor { s, pos: 0 }
    }

    pub(crate) fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.pos).copied()
    }

    pub(crate) fn at_end(&self) -> bool {
        self.pos >= self.s.len()
    }

    pub(crate) fn rest(&self) -> &'a str {
        self.s.get(self.pos..).unwrap_or("")
    }

    pub(crate) fn eat(&mut self, b: u8) -> bool {
        let hit = self.peek() == Some(b);
        self.pos += usize::from(hit);
        hit
    }

    /// Skips SP and HT (values are unfolded, so no line breaks remain).
    pub(crate) fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    /// The longest run of bytes satisfying `pred` (possibly empty).
    pub(crate) fn take_while(&mut self, pred: impl Fn(u8) -> bool) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(&pred) {
            self.pos += 1;
        }
        self.s.get(start..self.pos).unwrap_or("")
    }

    /// A non-empty token, or a failure naming `what`.
    pub(crate) fn token(&mut self, what: &'static str) -> Res<&'a str> {
        let start = self.pos;
        let t = self.take_while(is_token_byte);
        if t.is_empty() {
            return Err(Fail::at(what, start..start + 1));
        }
        Ok(t)
    }

    /// A quoted string starting at the cursor; returns its unescaped content.
    pub(crate) fn quoted(&mut self) -> Res<String> {
        let start = self.pos;
        if !self.eat(b'"') {
            return Err(Fail::at("expected a quoted string", start..start + 1));
        }
        let bytes = self.s.as_bytes();
        let mut out = Vec::new();
        while let Some(&b) = bytes.get(self.pos) {
            self.pos += 1;
            match b {
                b'"' => return Ok(String::from_utf8_lossy(&out).into_owned()),
                b'\\' => match bytes.get(self.pos) {
                    Some(&next) => {
                        out.push(next);
                        self.pos += 1;
                    }
                    None => break,
                },
                _ => out.push(b),
            }
        }
        Err(Fail::at("unterminated quoted string", start..self.s.len()))
    }

    /// A parameter value: quoted string, `[IPv6]` or token (also allowing `:` for
    /// an unbracketed IPv6 `received`). Returns (value, was quoted).
    fn param_value(&mut self) -> Res<(String, bool)> {
        if self.peek() == Some(b'"') {
            return self.quoted().map(|v| (v, true));
        }
        let start = self.pos;
        let v = self.take_while(|b| is_token_byte(b) || b == b':' || b == b'[' || b == b']');
        if v.is_empty() {
            return Err(Fail::at("parameter value expected after '='", start..start + 1));
        }
        Ok((v.to_owned(), false))
    }

    /// `*( SWS ";" SWS name [ SWS "=" SWS value ] )` up to the end of the value or a
    /// byte in `stop` (which is left unconsumed).
    pub(crate) fn params(&mut self, stop: &[u8]) -> Res<Vec<Param>> {
        let mut out = Vec::new();
        loop {
            self.skip_ws();
            match self.peek() {
                None => return Ok(out),
                Some(b) if stop.contains(&b) => return Ok(out),
                Some(b';') => self.pos += 1,
                Some(_) => return Err(Fail::at("expected ';' before a parameter", self.pos..self.pos + 1)),
            }
            self.skip_ws();
            let name = self.token("parameter name expected after ';'")?.to_owned();
            self.skip_ws();
            let (value, quoted) = if self.eat(b'=') {
                self.skip_ws();
                let (v, q) = self.param_value()?;
                (Some(v), q)
            } else {
                (None, false)
            };
            out.push(Param { name, value, quoted });
        }
    }
}

/// Splits a header value at the commas that separate list elements, skipping
/// commas inside quoted strings and `<…>`. Returns each element's range, trimmed;
/// an empty element is a failure.
pub(crate) fn split_commas(s: &str) -> Res<Vec<Range<usize>>> {
    let bytes = s.as_bytes();
    let (mut out, mut start, mut i) = (Vec::new(), 0, 0);
    let (mut quoted, mut angle) = (false, false);
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quoted => i += 1,
            b'"' => quoted = !quoted,
            b'<' if !quoted => angle = true,
            b'>' if !quoted => angle = false,
            b',' if !quoted && !angle => {
                out.push(trimmed(s, start..i)?);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    out.push(trimmed(s, start..s.len())?);
    Ok(out)
}

fn trimmed(s: &str, r: Range<usize>) -> Res<Range<usize>> {
    let part = s.get(r.clone()).unwrap_or("");
    let lead = part.len() - part.trim_start_matches([' ', '\t']).len();
    let body = part.trim_matches([' ', '\t']);
    if body.is_empty() {
        return Err(Fail::at("empty list element", r));
    }
    Ok(r.start + lead..r.start + lead + body.len())
}

/// Decimal digits to a number, saturating at `max` (for Expires-like fields where
/// RFC 3261 says an overlarge value means "as long as possible").
pub(crate) fn saturating_digits(s: &str, max: u64) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(s.bytes().fold(0u64, |n, d| n.saturating_mul(10).saturating_add(u64::from(d - b'0')).min(max)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_with_spaces_and_quotes() {
        let mut c = Cursor::new(" ;   tag    = 19n ; x=\"a;b\\\"\";lr");
        let p = c.params(b"").unwrap();
        assert_eq!(p.len(), 3);
        assert_eq!(p[0].value.as_deref(), Some("19n"));
        assert_eq!(p[1].value.as_deref(), Some("a;b\""));
        assert!(p[1].quoted);
        assert_eq!(p[2], Param { name: "lr".into(), value: None, quoted: false });
        assert_eq!(p[1].to_wire(), ";x=\"a;b\\\"\"");
    }

    #[test]
    fn empty_params_fail() {
        assert!(Cursor::new(";;").params(b"").is_err());
        assert!(Cursor::new(";a=").params(b"").is_err());
        assert!(Cursor::new("x").params(b"").is_err());
    }

    #[test]
    fn commas_respect_quotes_and_brackets() {
        let s = "\"a,b\" <sip:x,y>;p=1 , <sip:z>";
        let parts: Vec<_> = split_commas(s).unwrap().into_iter().map(|r| &s[r]).collect();
        assert_eq!(parts, ["\"a,b\" <sip:x,y>;p=1", "<sip:z>"]);
        assert!(split_commas("a,,b").is_err());
    }

    #[test]
    fn quoted_pairs_and_unterminated() {
        assert_eq!(Cursor::new("\"BEL:\\\x07 x\"").quoted().unwrap(), "BEL:\x07 x");
        assert!(Cursor::new("\"open").quoted().is_err());
    }

    #[test]
    fn saturating() {
        assert_eq!(saturating_digits("0068", 255), Some(68));
        assert_eq!(saturating_digits(&"9".repeat(60), u64::from(u32::MAX)), Some(u64::from(u32::MAX)));
        assert_eq!(saturating_digits("-1", 9), None);
    }
}
