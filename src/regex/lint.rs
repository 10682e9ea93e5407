//! Lint findings: syntax from other regex flavours that glibc silently reads differently.

use std::ops::Range;

use super::bracket;
use super::posix::Flags;
use super::token::{self, Kind, Token};

/// What a finding is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FindingKind {
    /// Perl/PCRE syntax that POSIX does not have (`(?:`, `\d`, lazy quantifiers...).
    Pcre,
    /// An escaped letter or digit with no special meaning: it matches itself.
    LiteralEscape,
    /// An ERE operator written in a BRE, where it is a plain character.
    BreLiteral,
    /// A GNU extension that other POSIX engines reject or read differently.
    GnuExtension,
}

/// One lint finding, located by byte offsets into the pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The bytes concerned.
    pub range: Range<usize>,
    /// What kind of problem it is.
    pub kind: FindingKind,
    /// What glibc does with it.
    pub message: String,
    /// How to write what was probably meant.
    pub help: Option<String>,
}

fn finding(range: Range<usize>, kind: FindingKind, message: String, help: Option<&str>) -> Finding {
    Finding { range, kind, message, help: help.map(str::to_owned) }
}

/// Finds syntax in `pattern` that looks like PCRE or other flavours but that glibc
/// rejects or reads differently in the given mode. The pattern need not be valid.
pub fn pcre_findings(pattern: &[u8], flags: Flags) -> Vec<Finding> {
    let end = pattern.iter().position(|&b| b == 0).unwrap_or(pattern.len());
    let pattern = &pattern[..end];
    let mut out = Vec::new();
    let mut at = 0;
    let mut prev: Option<Token> = None;
    // Whether the previous token ended something a quantifier can apply to.
    let mut repeatable = false;
    let mut prev_quantifier = false;
    while at < pattern.len() {
        let tok = token::peek(pattern, at, flags, false);
        at = tok.end();
        let quantifier = repeatable && is_quantifier(tok);
        match tok.kind {
            Kind::Bracket => {
                at = bracket_end(pattern, tok.end(), flags);
                bracket_escapes(pattern, tok.start..at, &mut out);
            }
            Kind::Open if pattern.get(at) == Some(&b'?') => {
                let message = if flags.extended {
                    "`(?` is Perl group syntax; glibc rejects `?` with nothing to repeat"
                } else {
                    "`\\(?` is not a Perl group: the `?` is a literal question mark"
                };
                out.push(finding(
                    tok.start..(at + 2).min(pattern.len()),
                    FindingKind::Pcre,
                    message.to_owned(),
                    Some("POSIX has no look-around, non-capturing groups or inline flags"),
                ));
            }
            Kind::OpenBrace if pattern.get(at) == Some(&b',') => out.push(finding(
                tok.start..at + 1,
                FindingKind::GnuExtension,
                "an interval with no lower bound is a GNU extension meaning 0".to_owned(),
                Some("write the lower bound: `{0,n}`"),
            )),
            Kind::Question | Kind::Plus if prev_quantifier => out.push(lazy(prev, tok)),
            Kind::Char if tok.len == 2 => out.extend(escape(tok, flags)),
            Kind::Char if !flags.extended => out.extend(bre_literal(pattern, tok)),
            _ => {}
        }
        repeatable = quantifier || !matches!(tok.kind, Kind::Alt | Kind::Open | Kind::Anchor(_) | Kind::OpenBrace);
        prev_quantifier = quantifier;
        prev = Some(tok);
    }
    out
}

/// Where the bracket expression opening before `start` ends (the whole rest if invalid).
fn bracket_end(pattern: &[u8], start: usize, flags: Flags) -> usize {
    bracket::parse(pattern, start, flags).map_or(pattern.len(), |b| b.end)
}

fn is_quantifier(tok: Token) -> bool {
    matches!(tok.kind, Kind::Star | Kind::Plus | Kind::Question | Kind::CloseBrace)
}

fn lazy(prev: Option<Token>, tok: Token) -> Finding {
    let start = prev.map_or(tok.start, |p| p.start);
    let (what, does) = if tok.kind == Kind::Question {
        ("lazy", "makes the repetition optional")
    } else {
        ("possessive", "repeats the repetition")
    };
    finding(
        start..tok.end(),
        FindingKind::Pcre,
        format!("POSIX has no {what} quantifiers: this {does}, and matching stays greedy"),
        Some("capture positions follow POSIX leftmost-longest rules"),
    )
}

/// Escapes inside brackets, where a backslash is an ordinary member.
fn bracket_escapes(pattern: &[u8], range: Range<usize>, out: &mut Vec<Finding>) {
    let text = pattern.get(range.clone()).unwrap_or_default();
    for (i, pair) in text.windows(2).enumerate() {
        if pair[0] == b'\\' && b"dDwWsSntrxbB".contains(&pair[1]) {
            let at = range.start + i;
            out.push(finding(
                at..at + 2,
                FindingKind::Pcre,
                format!("inside brackets `\\` is literal: this adds `\\` and `{}` to the set", char::from(pair[1])),
                Some("use a class such as `[[:digit:]]` or `[[:space:]]`"),
            ));
        }
    }
}

/// An escape that `token` read as a literal character.
fn escape(tok: Token, flags: Flags) -> Option<Finding> {
    let c = tok.c;
    if !c.is_ascii_alphanumeric() {
        return None;
    }
    let (kind, what, help) = escape_meaning(c);
    let mut message = format!("`\\{}` {what}", char::from(c));
    if flags.insensitive && c.is_ascii_lowercase() {
        // glibc upper-cases the subject but not escaped pattern letters.
        message.push_str("; with insensitive=yes it matches nothing at all");
    }
    Some(finding(tok.start..tok.end(), kind, message, help))
}

fn escape_meaning(c: u8) -> (FindingKind, String, Option<&'static str>) {
    let letter = char::from(c);
    let pcre = |help| {
        let what = format!("is Perl syntax; glibc matches a literal `{letter}`");
        (FindingKind::Pcre, what, Some(help))
    };
    match c {
        b'd' => pcre("use `[0-9]` or `[[:digit:]]`"),
        b'D' => pcre("use `[^0-9]`"),
        b'A' => pcre("use `^` (or `\\``) for the start of the subject"),
        b'z' | b'Z' => pcre("use `$` (or `\\'`) for the end of the subject"),
        b'x' => pcre("write the byte itself; there are no `\\xHH` escapes"),
        b'n' | b't' | b'r' | b'f' | b'v' | b'e' | b'a' => {
            pcre("write the control character itself, or use `[[:space:]]`/`[[:cntrl:]]`")
        }
        b'h' | b'H' | b'R' | b'K' | b'Q' | b'E' | b'p' | b'P' | b'X' | b'C' | b'N' | b'G' | b'g' | b'k' => {
            pcre("POSIX has no such escape")
        }
        b'0' => {
            (FindingKind::LiteralEscape, "matches a literal `0`: back-references are `\\1` to `\\9`".to_owned(), None)
        }
        _ => (
            FindingKind::LiteralEscape,
            format!("has no special meaning and matches a literal `{letter}`"),
            Some("drop the backslash"),
        ),
    }
}

/// ERE syntax written in a BRE, where `|` and `(` are ordinary characters.
fn bre_literal(pattern: &[u8], tok: Token) -> Option<Finding> {
    match pattern.get(tok.start..)? {
        [b'|', ..] => Some(finding(
            tok.start..tok.end(),
            FindingKind::BreLiteral,
            "in a basic regex `|` is a literal character".to_owned(),
            Some("write `\\|` for alternation (with `\\(` `\\)` groups), or use extended=yes"),
        )),
        [b'(', b'?', ..] => Some(finding(
            tok.start..(tok.start + 3).min(pattern.len()),
            FindingKind::Pcre,
            "`(?` is Perl group syntax; in a basic regex it is literal text".to_owned(),
            Some("POSIX has no look-around, non-capturing groups or inline flags"),
        )),
        _ => None,
    }
}

#[cfg(test)]
#[path = "lint_tests.rs"]
mod tests;
