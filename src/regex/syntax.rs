//! A parser of GNU BRE/ERE exactly as glibc's `regcomp` reads them in the C locale.
//!
//! It mirrors the structure of glibc's `regcomp.c` (`parse_reg_exp`, `parse_branch`,
//! `parse_expression`, `parse_dup_op`) so that it accepts and rejects the same
//! patterns and gives every operator the same meaning.

use std::fmt;
use std::ops::Range;

use super::bracket;
use super::byteset::{is_word_byte, posix_class, ByteSet};
use super::posix::Flags;
use super::token::{self, Kind, Token};

pub use super::token::Assertion;

/// Deeper nesting of groups and repetitions is refused rather than recursed into.
pub const MAX_DEPTH: usize = 128;

/// glibc's `RE_DUP_MAX`.
const DUP_MAX: u32 = 0x7fff;

/// A node of the pattern tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    /// Matches the empty string (an empty group or branch, or `x{0}`).
    Empty,
    /// One exact byte.
    Literal(u8),
    /// One byte out of a set: brackets, `\w`, `\s`, or a letter under case folding.
    Class(ByteSet),
    /// `.`: any byte (subjects never contain NUL).
    Any,
    /// A zero-width assertion.
    Assert(Assertion),
    /// A capture group; `index` counts from 1.
    Group {
        /// The group number.
        index: usize,
        /// The group's contents.
        node: Box<Node>,
    },
    /// A sequence.
    Concat(Vec<Node>),
    /// Alternatives, tried as a POSIX leftmost-longest union.
    Alternate(Vec<Node>),
    /// A repetition; `max` is `None` when unbounded.
    Repeat {
        /// What is repeated.
        node: Box<Node>,
        /// The minimum count.
        min: u32,
        /// The maximum count, if any.
        max: Option<u32>,
    },
    /// A back-reference `\N` to group N.
    Backref(usize),
}

/// Why a pattern was rejected; each kind matches one `regcomp` error code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// `REG_BADPAT`: a `[` or `[^` that ends the pattern.
    BadPattern,
    /// `REG_ECOLLATE`: unknown collating element.
    Collate,
    /// `REG_ECTYPE`: unknown character class.
    CharClass,
    /// `REG_EESCAPE`: trailing backslash.
    Escape,
    /// `REG_ESUBREG`: back-reference to a group not closed yet.
    Backref,
    /// `REG_EBRACK`: unterminated bracket expression.
    Bracket,
    /// `REG_EPAREN`: unbalanced group.
    Paren,
    /// `REG_EBRACE`: unterminated interval.
    Brace,
    /// `REG_BADBR`: malformed interval.
    BadInterval,
    /// `REG_ERANGE`: bad range in a bracket expression.
    Range,
    /// `REG_ESIZE`: interval count above 32767.
    TooBig,
    /// `REG_BADRPT`: repetition operator with nothing to repeat.
    BadRepeat,
    /// The empty pattern, which Yate never compiles.
    Empty,
    /// Nesting deeper than [`MAX_DEPTH`]: glibc may accept it, this parser gives up.
    Unsupported,
}

impl ErrorKind {
    /// The `regcomp` error code glibc reports, if this is a glibc error at all.
    pub fn regcomp_code(self) -> Option<i32> {
        Some(match self {
            ErrorKind::BadPattern => libc::REG_BADPAT,
            ErrorKind::Collate => libc::REG_ECOLLATE,
            ErrorKind::CharClass => libc::REG_ECTYPE,
            ErrorKind::Escape => libc::REG_EESCAPE,
            ErrorKind::Backref => libc::REG_ESUBREG,
            ErrorKind::Bracket => libc::REG_EBRACK,
            ErrorKind::Paren => libc::REG_EPAREN,
            ErrorKind::Brace => libc::REG_EBRACE,
            ErrorKind::BadInterval => libc::REG_BADBR,
            ErrorKind::Range => libc::REG_ERANGE,
            ErrorKind::TooBig => 15, // REG_ESIZE, missing from the libc crate
            ErrorKind::BadRepeat => libc::REG_BADRPT,
            ErrorKind::Empty => libc::REG_BADPAT,
            ErrorKind::Unsupported => return None,
        })
    }

    fn message(self) -> &'static str {
        match self {
            ErrorKind::BadPattern => "bracket expression cut short by the end of the pattern",
            ErrorKind::Collate => "invalid collation character",
            ErrorKind::CharClass => "invalid character class name",
            ErrorKind::Escape => "trailing backslash",
            ErrorKind::Backref => "invalid back reference",
            ErrorKind::Bracket => "unmatched [, [^, [:, [., or [=",
            ErrorKind::Paren => "unmatched ( or \\(",
            ErrorKind::Brace => "unmatched \\{",
            ErrorKind::BadInterval => "invalid content of \\{\\}",
            ErrorKind::Range => "invalid range end",
            ErrorKind::TooBig => "repetition count above 32767",
            ErrorKind::BadRepeat => "invalid preceding regular expression",
            ErrorKind::Empty => "empty regular expression",
            ErrorKind::Unsupported => "pattern nested too deeply to analyse",
        }
    }
}

/// A rejected pattern: what went wrong and where (byte offsets into the pattern).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// The offending bytes.
    pub range: Range<usize>,
    /// The kind of error.
    pub kind: ErrorKind,
    /// A human-readable message.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at bytes {:?}", self.message, self.range)
    }
}

impl std::error::Error for ParseError {}

/// A parsed pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ast {
    /// The tree.
    pub root: Node,
    /// How many `\(`/`(` groups the pattern opens (glibc's `re_nsub`).
    pub groups: usize,
    /// The flags it was parsed with.
    pub flags: Flags,
    /// Whether `[.x.]` or `[=x=]` appeared.
    pub collating: bool,
}

/// Parses `pattern` (cut at its first NUL, as `regcomp` sees it).
pub fn parse(pattern: &[u8], flags: Flags) -> Result<Ast, ParseError> {
    let end = pattern.iter().position(|&b| b == 0).unwrap_or(pattern.len());
    let pattern = &pattern[..end];
    if pattern.is_empty() {
        return Err(error(ErrorKind::Empty, 0..0));
    }
    let mut p = Parser {
        pattern,
        flags,
        tok: token::peek(pattern, 0, flags, true),
        groups: 0,
        completed: 0,
        depth: 0,
        collating: false,
    };
    let root = p.reg_exp(0)?.unwrap_or(Node::Empty);
    Ok(Ast { root, groups: p.groups, flags, collating: p.collating })
}

fn error(kind: ErrorKind, range: Range<usize>) -> ParseError {
    ParseError { range, kind, message: kind.message().to_owned() }
}

type Parsed = Result<Option<Node>, ParseError>;

struct Parser<'a> {
    pattern: &'a [u8],
    flags: Flags,
    /// The current token; the cursor is at its end.
    tok: Token,
    groups: usize,
    /// Bit N-1 is set once group N (1..=9) has closed; only those can be referenced.
    completed: u16,
    depth: usize,
    collating: bool,
}

impl Parser<'_> {
    fn peek(&self, at: usize, caret_here: bool) -> Token {
        token::peek(self.pattern, at, self.flags, caret_here)
    }

    /// Moves to the next token (`fetch_token`).
    fn fetch(&mut self, caret_here: bool) {
        self.tok = self.peek(self.tok.end(), caret_here);
    }

    fn fail(&self, kind: ErrorKind) -> ParseError {
        error(kind, self.tok.start..self.tok.end().max(self.tok.start + 1))
    }

    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.fail(ErrorKind::Unsupported));
        }
        Ok(())
    }

    /// Alternatives (`parse_reg_exp`).
    fn reg_exp(&mut self, nest: usize) -> Parsed {
        let initial = self.completed;
        let first = self.branch(nest)?;
        if self.tok.kind != Kind::Alt {
            return Ok(first);
        }
        let mut alts = vec![first.unwrap_or(Node::Empty)];
        while self.tok.kind == Kind::Alt {
            self.fetch(true);
            let kind = self.tok.kind;
            let branch = if kind != Kind::Alt && kind != Kind::End && (nest == 0 || kind != Kind::Close) {
                // A branch may only refer to groups closed before the alternation or in itself.
                let accumulated = self.completed;
                self.completed = initial;
                let branch = self.branch(nest)?;
                self.completed |= accumulated;
                branch
            } else {
                None
            };
            alts.push(branch.unwrap_or(Node::Empty));
        }
        Ok(Some(Node::Alternate(alts)))
    }

    /// A sequence (`parse_branch`).
    fn branch(&mut self, nest: usize) -> Parsed {
        let mut items = Vec::new();
        items.extend(self.expression(nest)?);
        loop {
            let kind = self.tok.kind;
            if kind == Kind::Alt || kind == Kind::End || (nest != 0 && kind == Kind::Close) {
                break;
            }
            items.extend(self.expression(nest)?);
        }
        Ok(match items.len() {
            0 => None,
            1 => items.pop(),
            _ => Some(Node::Concat(items)),
        })
    }

    /// One atom and its repetitions (`parse_expression`).
    fn expression(&mut self, nest: usize) -> Parsed {
        let tok = self.tok;
        let ere = self.flags.extended;
        let atom = match tok.kind {
            Kind::Char | Kind::CloseBrace => self.literal(tok),
            Kind::Open => self.sub_exp(nest + 1)?,
            Kind::Bracket => {
                let parsed = bracket::parse(self.pattern, tok.end(), self.flags)
                    .map_err(|kind| error(kind, tok.start..self.pattern.len()))?;
                self.collating |= parsed.collating;
                self.tok.len = parsed.end - tok.start;
                Node::Class(parsed.set)
            }
            Kind::Backref(n) => {
                if self.completed & (1 << (n - 1)) == 0 {
                    return Err(self.fail(ErrorKind::Backref));
                }
                Node::Backref(n)
            }
            Kind::OpenBrace => return Err(self.fail(ErrorKind::BadRepeat)),
            Kind::Star | Kind::Plus | Kind::Question if ere => {
                return Err(self.fail(ErrorKind::BadRepeat));
            }
            // Nothing to repeat in a BRE: the operator stands for itself.
            Kind::Star | Kind::Plus | Kind::Question => self.literal(tok),
            Kind::Close if ere => self.literal(tok),
            Kind::Close => return Err(self.fail(ErrorKind::Paren)),
            Kind::Anchor(a) => {
                // An anchor is never repeated: what follows starts a new expression.
                self.fetch(false);
                return Ok(Some(Node::Assert(a)));
            }
            Kind::Dot => Node::Any,
            Kind::Word(negated) => Node::Class(perl_class(is_word_byte, negated)),
            Kind::Space(negated) => Node::Class(perl_class(is_space, negated)),
            Kind::Alt | Kind::End => return Ok(None),
            Kind::TrailingBackslash => return Err(self.fail(ErrorKind::Escape)),
        };
        self.fetch(false);
        let mut tree = Some(atom);
        let saved = self.depth;
        while matches!(self.tok.kind, Kind::Star | Kind::Plus | Kind::Question | Kind::OpenBrace) {
            self.enter()?;
            tree = self.dup_op(tree)?;
            // A BRE may not stack `*` or `\{` on another repetition.
            if !ere && matches!(self.tok.kind, Kind::Star | Kind::OpenBrace) {
                return Err(self.fail(ErrorKind::BadRepeat));
            }
        }
        self.depth = saved;
        Ok(tree)
    }

    /// A literal byte; under case folding, the set of subject bytes that fold to it.
    fn literal(&self, tok: Token) -> Node {
        let c = tok.c;
        if !self.flags.insensitive || !c.is_ascii_alphabetic() {
            return Node::Literal(c);
        }
        // Subject bytes are upper-cased before comparing; an escaped lower-case
        // letter (`\q`) kept its case and so matches nothing.
        Node::Class(ByteSet::from_fn(|b| b.to_ascii_uppercase() == c))
    }

    /// A group; the current token is its opening (`parse_sub_exp`).
    fn sub_exp(&mut self, nest: usize) -> Result<Node, ParseError> {
        let open = self.tok;
        self.enter()?;
        let index = self.groups;
        self.groups += 1;
        self.fetch(true);
        let inner = if self.tok.kind == Kind::Close {
            None
        } else {
            let inner = self.reg_exp(nest)?;
            if self.tok.kind != Kind::Close {
                return Err(error(ErrorKind::Paren, open.start..open.end()));
            }
            inner
        };
        if index < 9 {
            self.completed |= 1 << index;
        }
        self.depth -= 1;
        Ok(Node::Group { index: index + 1, node: Box::new(inner.unwrap_or(Node::Empty)) })
    }

    /// A repetition operator applied to `elem` (`parse_dup_op`).
    fn dup_op(&mut self, elem: Option<Node>) -> Parsed {
        let (min, max) = if self.tok.kind == Kind::OpenBrace {
            self.interval()?
        } else {
            let min = u32::from(self.tok.kind == Kind::Plus);
            let max = (self.tok.kind == Kind::Question).then_some(1);
            (min, max)
        };
        self.fetch(false);
        let Some(node) = elem else {
            return Ok(None);
        };
        if max == Some(0) {
            return Ok(None);
        }
        Ok(Some(Node::Repeat { node: Box::new(node), min, max }))
    }

    /// The bounds of `{m,n}`; the cursor ends on the closing brace.
    fn interval(&mut self) -> Result<(u32, Option<u32>), ParseError> {
        let open = self.tok.start;
        let bad = |p: &Self, kind| error(kind, open..p.tok.end().max(open + 1));
        let mut start = self.number();
        if start == Num::Missing {
            if self.tok.is_comma() {
                start = Num::Value(0);
            } else {
                return Err(bad(self, ErrorKind::BadInterval));
            }
        }
        let mut end = Num::Invalid;
        if start != Num::Invalid {
            if self.tok.kind == Kind::CloseBrace {
                end = start;
            } else if self.tok.is_comma() {
                end = self.number();
            }
        }
        let (Num::Value(min), Some(max)) = (start, end.bound()) else {
            let kind = if self.tok.kind == Kind::End { ErrorKind::Brace } else { ErrorKind::BadInterval };
            return Err(bad(self, kind));
        };
        if max.is_some_and(|max| min > max) || self.tok.kind != Kind::CloseBrace {
            return Err(bad(self, ErrorKind::BadInterval));
        }
        if max.unwrap_or(min) > DUP_MAX {
            return Err(bad(self, ErrorKind::TooBig));
        }
        Ok((min, max))
    }

    /// Reads digits up to `}` or `,` (`fetch_number`).
    fn number(&mut self) -> Num {
        let mut num = Num::Missing;
        loop {
            self.fetch(false);
            let tok = self.tok;
            if tok.kind == Kind::End {
                return Num::Invalid;
            }
            if tok.kind == Kind::CloseBrace || tok.c == b',' {
                return num;
            }
            num = match num {
                _ if tok.kind != Kind::Char || !tok.c.is_ascii_digit() => Num::Invalid,
                Num::Invalid => Num::Invalid,
                Num::Missing => Num::Value(u32::from(tok.c - b'0')),
                Num::Value(v) => Num::Value((v * 10 + u32::from(tok.c - b'0')).min(DUP_MAX + 1)),
            };
        }
    }
}

/// A number inside an interval, as `fetch_number` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Num {
    /// No digits (glibc's -1): an absent bound.
    Missing,
    /// Something other than digits (glibc's -2).
    Invalid,
    Value(u32),
}

impl Num {
    /// As an upper bound: `Some(None)` is unbounded, `None` is invalid.
    fn bound(self) -> Option<Option<u32>> {
        match self {
            Num::Missing => Some(None),
            Num::Invalid => None,
            Num::Value(v) => Some(Some(v)),
        }
    }
}

/// C-locale `isspace`.
fn is_space(b: u8) -> bool {
    posix_class(b"space").is_some_and(|s| s.contains(b))
}

fn perl_class(pred: fn(u8) -> bool, negated: bool) -> ByteSet {
    ByteSet::from_fn(|b| pred(b) != negated)
}

#[cfg(test)]
#[path = "syntax_tests.rs"]
pub(crate) mod tests;
