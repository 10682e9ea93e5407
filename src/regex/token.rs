//! The tokenizer of glibc's `regcomp` (`peek_token`), for the two POSIX syntaxes Yate uses.

use super::posix::Flags;

/// A zero-width assertion.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Assertion {
    /// `^`: start of the subject (Yate never sets `REG_NEWLINE`).
    LineStart,
    /// `$`: end of the subject.
    LineEnd,
    /// `` \` ``: start of the subject.
    BufStart,
    /// `\'`: end of the subject.
    BufEnd,
    /// `\<`: a word byte follows and none precedes.
    WordStart,
    /// `\>`: a word byte precedes and none follows.
    WordEnd,
    /// `\b`: word start or word end.
    WordBoundary,
    /// `\B`: both neighbours are word bytes, or neither is.
    NotWordBoundary,
}

/// What a token means in its context.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    End,
    /// A `\` that ends the pattern.
    TrailingBackslash,
    /// A literal byte; the byte is `Token::c`.
    Char,
    Alt,
    Open,
    Close,
    Star,
    Plus,
    Question,
    OpenBrace,
    CloseBrace,
    Bracket,
    Dot,
    Anchor(Assertion),
    /// `\1`..`\9`.
    Backref(usize),
    /// `\w` (false) or `\W` (true).
    Word(bool),
    /// `\s` (false) or `\S` (true).
    Space(bool),
}

/// One token: its meaning, glibc's `opr.c` byte, and where it sits in the pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Token {
    pub kind: Kind,
    /// The byte glibc compares with: upper-cased under `REG_ICASE`, except after `\`.
    pub c: u8,
    pub start: usize,
    pub len: usize,
}

impl Token {
    pub fn end(&self) -> usize {
        self.start + self.len
    }

    /// Whether this is a literal `,`, the separator inside an interval.
    pub fn is_comma(&self) -> bool {
        self.kind == Kind::Char && self.c == b','
    }
}

/// Folds a pattern byte the way glibc's upper-cased copy of the pattern does.
pub(crate) fn fold(b: u8, flags: Flags) -> u8 {
    if flags.insensitive {
        b.to_ascii_uppercase()
    } else {
        b
    }
}

/// The token at `at`. `caret_here` marks the first token of a pattern, group or branch,
/// where a BRE `^` is an anchor.
pub(crate) fn peek(pattern: &[u8], at: usize, flags: Flags, caret_here: bool) -> Token {
    let token = |kind, c, len| Token { kind, c, start: at, len };
    let Some(&raw) = pattern.get(at) else {
        return token(Kind::End, 0, 0);
    };
    if raw == b'\\' {
        return match pattern.get(at + 1) {
            Some(&c2) => token(escape_kind(c2, flags.extended), c2, 2),
            None => token(Kind::TrailingBackslash, raw, 1),
        };
    }
    let ere = flags.extended;
    let kind = match raw {
        b'|' if ere => Kind::Alt,
        b'*' => Kind::Star,
        b'+' if ere => Kind::Plus,
        b'?' if ere => Kind::Question,
        b'{' if ere => Kind::OpenBrace,
        b'}' if ere => Kind::CloseBrace,
        b'(' if ere => Kind::Open,
        b')' if ere => Kind::Close,
        b'[' => Kind::Bracket,
        b'.' => Kind::Dot,
        b'^' if ere || caret_here || at == 0 => Kind::Anchor(Assertion::LineStart),
        b'$' if ere || dollar_is_anchor(pattern, at) => Kind::Anchor(Assertion::LineEnd),
        _ => Kind::Char,
    };
    token(kind, fold(raw, flags), 1)
}

/// A BRE `$` anchors only at the end of the pattern or right before `\|` or `\)`.
fn dollar_is_anchor(pattern: &[u8], at: usize) -> bool {
    match pattern.get(at + 1..) {
        Some([]) | None => true,
        Some([b'\\', b'|' | b')', ..]) => true,
        Some(_) => false,
    }
}

/// The meaning of `\c2`.
fn escape_kind(c2: u8, ere: bool) -> Kind {
    let bre = !ere;
    match c2 {
        b'|' if bre => Kind::Alt,
        b'1'..=b'9' => Kind::Backref(usize::from(c2 - b'0')),
        b'<' => Kind::Anchor(Assertion::WordStart),
        b'>' => Kind::Anchor(Assertion::WordEnd),
        b'b' => Kind::Anchor(Assertion::WordBoundary),
        b'B' => Kind::Anchor(Assertion::NotWordBoundary),
        b'`' => Kind::Anchor(Assertion::BufStart),
        b'\'' => Kind::Anchor(Assertion::BufEnd),
        b'w' => Kind::Word(false),
        b'W' => Kind::Word(true),
        b's' => Kind::Space(false),
        b'S' => Kind::Space(true),
        b'(' if bre => Kind::Open,
        b')' if bre => Kind::Close,
        b'+' if bre => Kind::Plus,
        b'?' if bre => Kind::Question,
        b'{' if bre => Kind::OpenBrace,
        b'}' if bre => Kind::CloseBrace,
        _ => Kind::Char,
    }
}
