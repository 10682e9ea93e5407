//! A small scanner of POSIX patterns for lint: Perl-only syntax, and "matches anything".
//!
//! This is a stop-gap private helper until the full BRE/ERE parser (`regex::syntax`)
//! lands; glibc itself stays the judge of whether a pattern compiles and how many
//! groups it has (`PosixRegex::group_count`). The scanner only needs to know which
//! bytes are escaped and which lie inside a bracket expression.

use std::ops::Range;

/// One piece of Perl syntax found in a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Byte range in the pattern.
    pub range: Range<usize>,
    /// What the author probably meant, and what glibc does instead.
    pub what: String,
}

/// Escapes that mean something in Perl/PCRE but are a plain letter to glibc.
fn perl_escape(c: u8) -> Option<&'static str> {
    Some(match c {
        b'd' => "a digit in Perl; glibc reads `\\d` as the letter `d` (use `[0-9]`)",
        b'D' => "a non-digit in Perl; glibc reads `\\D` as the letter `D` (use `[^0-9]`)",
        b'h' | b'H' | b'v' | b'V' | b'R' | b'N' => "a Perl character class; glibc reads it as a plain letter",
        b'n' | b't' | b'r' | b'f' | b'e' | b'a' => {
            "a control-character escape in Perl; glibc reads it as a plain letter"
        }
        b'x' => "a hex escape in Perl; glibc reads `\\x` as the letter `x`",
        b'p' | b'P' => "a Unicode property in Perl; glibc reads it as a plain letter",
        b'A' | b'z' | b'Z' | b'G' | b'K' => "a Perl anchor; glibc reads it as a plain letter",
        b'Q' | b'E' => "Perl quoting; glibc reads it as a plain letter",
        _ => return None,
    })
}

/// Perl-only syntax in `pattern`, compiled as ERE when `extended`.
pub fn pcre_findings(pattern: &[u8], extended: bool) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < pattern.len() {
        let c = pattern[i];
        if c == b'\\' {
            if let Some(what) = pattern.get(i + 1).and_then(|&n| perl_escape(n)) {
                out.push(Finding { range: i..i + 2, what: what.to_string() });
            }
            i += 2;
            continue;
        }
        if c == b'[' {
            i = bracket_end(pattern, i, &mut out);
            continue;
        }
        let next = pattern.get(i + 1).copied();
        if let Some(f) = operator_finding(c, next, extended) {
            out.push(Finding { range: i..i + 2, what: f.to_string() });
            i += 2;
            continue;
        }
        i += 1;
    }
    out
}

const LAZY_ERE: &str = "a lazy quantifier in Perl; POSIX ERE has none: the `?` makes the greedy repeat optional";

/// Perl's `(?…)` groups, lazy and possessive quantifiers, at an unescaped byte.
fn operator_finding(c: u8, next: Option<u8>, extended: bool) -> Option<&'static str> {
    match (c, next?) {
        (b'(', b'?') if extended => Some("Perl group syntax (lookaround, non-capturing group, flags); not POSIX"),
        (b'(', b'?') => Some("Perl group syntax; in a basic regex `(` and `?` are literal characters"),
        (b'*' | b'+', b'?') if extended => Some(LAZY_ERE),
        (b'*' | b'+', b'?') => Some("a lazy quantifier in Perl; in a basic regex `?` is a literal character"),
        (b'?' | b'}', b'?') if extended => Some(LAZY_ERE),
        (b'*' | b'+' | b'?' | b'}', b'+') if extended => {
            Some("a possessive quantifier in Perl; in POSIX ERE it is a repeated quantifier")
        }
        _ => None,
    }
}

/// The index just past the bracket expression opening at `open`; notes `[\d]`-style
/// classes on the way (inside brackets a backslash is literal in POSIX).
fn bracket_end(p: &[u8], open: usize, out: &mut Vec<Finding>) -> usize {
    let mut j = open + 1;
    if p.get(j) == Some(&b'^') {
        j += 1;
    }
    if p.get(j) == Some(&b']') {
        j += 1;
    }
    while j < p.len() {
        match p[j] {
            b']' => return j + 1,
            b'[' if matches!(p.get(j + 1), Some(b':' | b'=' | b'.')) => {
                let close = [p[j + 1], b']'];
                j = p[j + 2..].windows(2).position(|w| w == close).map_or(p.len(), |k| j + 2 + k + 2);
            }
            b'\\' if matches!(p.get(j + 1), Some(b'd' | b'D' | b'w' | b'W' | b's' | b'S')) && p[j - 1] != b'\\' => {
                let what = "a Perl class inside brackets; in POSIX brackets `\\` is a literal backslash";
                out.push(Finding { range: j..j + 2, what: what.to_string() });
                j += 2;
            }
            _ => j += 1,
        }
    }
    p.len()
}

/// Whether a compiled, non-negated pattern matches every subject, the empty one too.
///
/// Conservative: `true` only for `.*` and `\(.*\)` (or `(.*)`) optionally between `^`
/// and `$`, and for patterns with no anchor at all that match the empty string (an
/// unanchored search then finds the empty match at offset 0 of any subject).
pub fn matches_everything(pattern: &[u8], extended: bool, matches_empty: bool) -> bool {
    let core = pattern.strip_prefix(b"^").unwrap_or(pattern);
    let core = match core.strip_suffix(b"$") {
        Some(c) if !c.ends_with(b"\\") => c,
        _ => core,
    };
    let group: &[u8] = if extended { b"(.*)" } else { b"\\(.*\\)" };
    if core == b".*" || core == group {
        return true;
    }
    matches_empty && !has_anchor(pattern)
}

/// Any `^`, `$` or GNU word/buffer assertion, escaped or not (conservatively).
fn has_anchor(p: &[u8]) -> bool {
    p.iter().any(|&c| c == b'^' || c == b'$')
        || p.windows(2).any(|w| w[0] == b'\\' && matches!(w[1], b'b' | b'B' | b'<' | b'>' | b'`' | b'\''))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(p: &str, ere: bool) -> Vec<(usize, usize)> {
        pcre_findings(p.as_bytes(), ere).into_iter().map(|f| (f.range.start, f.range.end)).collect()
    }

    #[test]
    fn perl_syntax_is_found() {
        assert_eq!(found("^(?!analog).*$", false), [(1, 3)]);
        assert_eq!(found(r"^\d+$", false), [(1, 3)]);
        assert_eq!(found("^a.*?b", true), [(3, 5)]);
        assert_eq!(found(r"[\d]", false), [(1, 3)]);
        assert_eq!(found("x++", true), [(1, 3)]);
    }

    #[test]
    fn posix_syntax_is_not() {
        for p in [r"^\(0.*\)$", r"^+\?[0-9]*$", r"pidf+xml$", r"\w\s\b\<\>", r"[[:digit:]]\{4\}", r"\\d", r"[\\]d"] {
            assert!(found(p, false).is_empty(), "{p}");
        }
        assert!(found("a+?", false).len() == 1);
        assert!(found("a??", false).is_empty());
    }

    #[test]
    fn everything_matchers() {
        assert!(matches_everything(b".*", false, true));
        assert!(matches_everything(b"^.*$", false, true));
        assert!(matches_everything(b"^\\(.*\\)$", false, true));
        assert!(matches_everything(b"x*", false, true));
        assert!(!matches_everything(b"^$", false, true));
        assert!(!matches_everything(b".", false, false));
        assert!(!matches_everything(b"^x*$", false, true));
    }
}
