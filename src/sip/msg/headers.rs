//! Header fields: kept in arrival order with their original spelling.
//!
//! A [`Header`] remembers the exact bytes it was parsed from, so printing a parsed
//! message gives back the same bytes (folding, odd spacing around the colon and
//! all). Lookups compare names case-insensitively and expand the compact forms of
//! RFC 3261 §7.3.3 and its extensions, so `get("Call-ID")` finds an `i:` line.

use super::error::Span;

/// Compact header names and the full names they stand for.
///
/// RFC 3261 §7.3.3 (i m e l c f s k t v) plus the extensions listed in the IANA
/// registry (u o r b x a j d y n).
pub const COMPACT_FORMS: [(char, &str); 20] = [
    ('i', "Call-ID"),
    ('m', "Contact"),
    ('e', "Content-Encoding"),
    ('l', "Content-Length"),
    ('c', "Content-Type"),
    ('f', "From"),
    ('s', "Subject"),
    ('k', "Supported"),
    ('t', "To"),
    ('v', "Via"),
    ('u', "Allow-Events"),
    ('o', "Event"),
    ('r', "Refer-To"),
    ('b', "Referred-By"),
    ('x', "Session-Expires"),
    ('a', "Accept-Contact"),
    ('j', "Reject-Contact"),
    ('d', "Request-Disposition"),
    ('y', "Identity"),
    ('n', "Identity-Info"),
];

/// The full name for `name`: a compact form is expanded, anything else is returned as is.
pub fn full_name(name: &str) -> &str {
    // Compact forms are single ASCII letters: any longer name is its own full name.
    match name.as_bytes() {
        &[b] => {
            let c = char::from(b.to_ascii_lowercase());
            COMPACT_FORMS.iter().find(|(k, _)| *k == c).map_or(name, |(_, full)| full)
        }
        _ => name,
    }
}

/// Whether two header names denote the same header (case-insensitive, compact forms expanded).
pub fn same_name(a: &str, b: &str) -> bool {
    // Lookups compare every header of a message with a name: most differ in length.
    // No full name is one letter long, so names of equal length are the same only
    // when spelled alike, and only a one-letter name can stand for a longer one.
    if a.len() == b.len() {
        let first = |s: &str| s.as_bytes().first().map(u8::to_ascii_lowercase);
        return first(a) == first(b) && a.eq_ignore_ascii_case(b);
    }
    if a.len() != 1 && b.len() != 1 {
        return false;
    }
    full_name(a).eq_ignore_ascii_case(full_name(b))
}

/// Whether `b` may appear in a header name (RFC 3261 `token`).
pub fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b)
}

/// One header field.
///
/// Equality compares name and value only: where a header came from does not make
/// two messages different.
#[derive(Clone, Debug)]
pub struct Header {
    name: String,
    value: Vec<u8>,
    span: Span,
    value_span: Span,
    folded: bool,
    /// The exact bytes this header was parsed from, line terminator included, when
    /// they are not `Name: value\r\n`. Cleared by any change, after which the
    /// header prints in that form.
    raw: Option<Box<[u8]>>,
}

impl PartialEq for Header {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.value == other.value
    }
}

impl Eq for Header {}

impl Header {
    /// A header built in code. `name` is kept exactly as given.
    pub fn new(name: impl Into<String>, value: impl Into<Vec<u8>>) -> Header {
        let value = value.into();
        let value_span = Span::default();
        Header { name: name.into(), value, span: Span::default(), value_span, folded: false, raw: None }
    }

    /// A header as parsed: `raw` are its original bytes (terminator included), `value`
    /// the unfolded, trimmed value, `span`/`value_span` where they sit in the message.
    pub(crate) fn parsed(
        name: String,
        value: Vec<u8>,
        raw: &[u8],
        span: Span,
        value_span: Span,
        folded: bool,
    ) -> Header {
        // Most lines are already `Name: value` CRLF, which is how a header without
        // its original bytes prints: those keep no copy.
        let canonical = raw.len() == name.len() + value.len() + 4
            && raw.starts_with(name.as_bytes())
            && raw[name.len()..].starts_with(b": ")
            && raw[name.len() + 2..].starts_with(&value)
            && raw.ends_with(b"\r\n");
        let raw = (!canonical).then(|| raw.into());
        Header { name, value, span, value_span, folded, raw }
    }

    /// The name as written (`v`, `MaX-fOrWaRdS`, ...).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The name with a compact form expanded (`v` → `Via`); other names as written.
    pub fn full_name(&self) -> &str {
        full_name(&self.name)
    }

    /// Whether this header is `name` (case-insensitive, compact forms expanded).
    pub fn is(&self, name: &str) -> bool {
        same_name(&self.name, name)
    }

    /// The value: folding replaced by one space, surrounding whitespace removed.
    pub fn value(&self) -> &[u8] {
        &self.value
    }

    /// The value as text, if it is UTF-8.
    pub fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.value).ok()
    }

    /// Where the whole header sits in the message it was parsed from (`0..0` if built).
    pub fn span(&self) -> Span {
        self.span
    }

    /// Where the value sits in the message it was parsed from (`0..0` if built).
    pub fn value_span(&self) -> Span {
        self.value_span
    }

    /// The message span of `range`, a byte range of [`value`](Self::value).
    ///
    /// Exact for unfolded headers; for folded ones the whole value span, since
    /// unfolding moved bytes around.
    pub fn span_of(&self, range: std::ops::Range<usize>) -> Span {
        if self.folded || self.value_span.is_empty() {
            return self.value_span;
        }
        Span::new(range.start, range.end).shift(self.value_span.start as usize)
    }

    /// Replaces the value; the header then prints in canonical form.
    pub fn set_value(&mut self, value: impl Into<Vec<u8>>) {
        self.value = value.into();
        self.raw = None;
        self.folded = false;
    }

    /// The original bytes, while the header is unchanged since parsing and they
    /// differ from how it prints otherwise (`Name: value` CRLF).
    pub fn raw(&self) -> Option<&[u8]> {
        self.raw.as_deref()
    }

    /// Appends this header's wire form to `out`.
    pub(crate) fn write_to(&self, out: &mut Vec<u8>) {
        match &self.raw {
            Some(raw) => out.extend_from_slice(raw),
            None => {
                out.extend_from_slice(self.name.as_bytes());
                out.extend_from_slice(b": ");
                out.extend_from_slice(&self.value);
                out.extend_from_slice(b"\r\n");
            }
        }
    }
}

/// The header fields of a message, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Headers {
    list: Vec<Header>,
}

impl Headers {
    /// No headers.
    pub fn new() -> Headers {
        Headers::default()
    }

    /// Number of header lines (a comma list counts once).
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether there is no header.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// All headers in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Header> {
        self.list.iter()
    }

    /// All headers in order, mutably.
    pub fn iter_mut(&mut self) -> std::slice::IterMut<'_, Header> {
        self.list.iter_mut()
    }

    /// The first header called `name`.
    pub fn get(&self, name: &str) -> Option<&Header> {
        self.list.iter().find(|h| h.is(name))
    }

    /// The first header called `name`, mutably.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut Header> {
        self.list.iter_mut().find(|h| h.is(name))
    }

    /// Every header called `name`, in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Header> + 'a {
        self.list.iter().filter(move |h| h.is(name))
    }

    /// The value of the first header called `name`.
    pub fn value(&self, name: &str) -> Option<&[u8]> {
        self.get(name).map(Header::value)
    }

    /// The value of the first header called `name`, if present and UTF-8.
    pub fn str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(Header::as_str)
    }

    /// Whether a header called `name` is present.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Appends a header.
    pub fn push(&mut self, header: Header) {
        self.list.push(header);
    }

    /// Appends `name: value`.
    pub fn append(&mut self, name: impl Into<String>, value: impl Into<Vec<u8>>) {
        self.push(Header::new(name, value));
    }

    /// Inserts a header at `index` (clamped to the end).
    pub fn insert(&mut self, index: usize, header: Header) {
        self.list.insert(index.min(self.list.len()), header);
    }

    /// Sets `name` to one line with `value`: the first such header is replaced where
    /// it stands (keeping its spelling), later ones are removed; appended if absent.
    pub fn set(&mut self, name: &str, value: impl Into<Vec<u8>>) {
        let value = value.into();
        match self.list.iter().position(|h| h.is(name)) {
            Some(i) => {
                self.list[i].set_value(value);
                let mut seen = 0;
                self.list.retain(|h| {
                    !h.is(name) || {
                        seen += 1;
                        seen == 1
                    }
                });
            }
            None => self.append(name, value),
        }
    }

    /// Removes every header called `name`; returns how many were removed.
    pub fn remove(&mut self, name: &str) -> usize {
        let before = self.list.len();
        self.list.retain(|h| !h.is(name));
        before - self.list.len()
    }

    pub(crate) fn write_to(&self, out: &mut Vec<u8>) {
        for h in &self.list {
            h.write_to(out);
        }
    }
}

impl<'a> IntoIterator for &'a Headers {
    type Item = &'a Header;
    type IntoIter = std::slice::Iter<'a, Header>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl FromIterator<Header> for Headers {
    fn from_iter<I: IntoIterator<Item = Header>>(iter: I) -> Self {
        Headers { list: iter.into_iter().collect() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_forms_expand() {
        for (c, full) in COMPACT_FORMS {
            assert_eq!(full_name(&c.to_string()), full);
            assert_eq!(full_name(&c.to_ascii_uppercase().to_string()), full);
        }
        assert_eq!(full_name("q"), "q");
        assert_eq!(full_name("Via"), "Via");
        assert!(same_name("i", "call-id"));
        assert!(same_name("V", "VIA"));
        assert!(!same_name("C%6Fntact", "Contact"));
    }

    #[test]
    fn set_replaces_first_and_drops_others() {
        let mut h = Headers::new();
        h.append("v", "a");
        h.append("X", "1");
        h.append("Via", "b");
        h.set("VIA", "c");
        let names: Vec<_> = h.iter().map(|h| (h.name(), h.value())).collect();
        assert_eq!(names, [("v", &b"c"[..]), ("X", &b"1"[..])]);
        assert_eq!(h.remove("via"), 1);
        assert_eq!(h.len(), 1);
    }

    #[test]
    fn built_header_prints_canonically() {
        let mut out = Vec::new();
        Header::new("Subject", "hi").write_to(&mut out);
        assert_eq!(out, b"Subject: hi\r\n");
    }

    #[test]
    fn span_of_maps_value_offsets() {
        let h =
            Header::parsed("To".into(), b"abc".to_vec(), b"To: abc\r\n", Span::new(10, 17), Span::new(14, 17), false);
        assert_eq!(h.span_of(1..2), Span::new(15, 16));
        let folded =
            Header::parsed("To".into(), b"a b".to_vec(), b"To: a\r\n b\r\n", Span::new(0, 9), Span::new(4, 9), true);
        assert_eq!(folded.span_of(0..1), Span::new(4, 9));
    }
}
