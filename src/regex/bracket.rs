//! Bracket expressions (`[...]`), following glibc's `parse_bracket_exp` in the C locale.

use super::byteset::{posix_class, ByteSet};
use super::posix::Flags;
use super::syntax::ErrorKind;
use super::token::fold;

/// glibc's `BRACKET_NAME_BUF_SIZE`: longer `[:name:]` texts are rejected.
const NAME_MAX: usize = 32;

/// A parsed bracket expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Bracket {
    /// The subject bytes it matches, case folding and negation applied.
    pub set: ByteSet,
    /// Whether `[=x=]` or `[.x.]` appeared.
    pub collating: bool,
    /// Offset just past the closing `]`.
    pub end: usize,
}

/// A bracket token (`peek_token_bracket`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tok {
    End,
    Char(u8),
    Range,
    Close,
    Caret,
    /// `[.`, `[=` or `[:`, with its delimiter.
    Open(u8),
}

/// One side of a range, or a single member.
enum Elem {
    Byte(u8),
    Coll(Vec<u8>),
    Equiv(Vec<u8>),
    Class(Vec<u8>),
}

struct Parser<'a> {
    pattern: &'a [u8],
    pos: usize,
    flags: Flags,
    set: ByteSet,
    collating: bool,
}

/// Parses the bracket expression whose `[` ends just before `start`.
pub(crate) fn parse(pattern: &[u8], start: usize, flags: Flags) -> Result<Bracket, ErrorKind> {
    let mut p = Parser { pattern, pos: start, flags, set: ByteSet::EMPTY, collating: false };
    let negated = p.peek() == (Tok::Caret, 1);
    if negated {
        p.pos += 1;
    }
    if p.peek().0 == Tok::End {
        return Err(ErrorKind::BadPattern);
    }
    p.members()?;
    let raw = p.set;
    // The subject is upper-cased too before it is looked up in the set.
    let set = ByteSet::from_fn(|b| raw.contains(fold(b, flags)) != negated);
    Ok(Bracket { set, collating: p.collating, end: p.pos })
}

impl Parser<'_> {
    fn byte(&self, at: usize) -> Option<u8> {
        self.pattern.get(at).copied()
    }

    /// The token at the cursor and its length.
    fn peek(&self) -> (Tok, usize) {
        let Some(c) = self.byte(self.pos) else {
            return (Tok::End, 0);
        };
        if c == b'[' {
            return match self.byte(self.pos + 1) {
                Some(d @ (b'.' | b'=' | b':')) => (Tok::Open(d), 2),
                _ => (Tok::Char(fold(c, self.flags)), 1),
            };
        }
        let tok = match c {
            b'-' => Tok::Range,
            b']' => Tok::Close,
            b'^' => Tok::Caret,
            _ => Tok::Char(fold(c, self.flags)),
        };
        (tok, 1)
    }

    /// The member loop; the cursor ends just past the closing `]`.
    fn members(&mut self) -> Result<(), ErrorKind> {
        let (mut tok, mut len) = self.peek();
        // A `]` first in the list is a member.
        if tok == Tok::Close {
            tok = Tok::Char(b']');
        }
        let mut first = true;
        loop {
            let start = self.element(tok, len, first)?;
            first = false;
            (tok, len) = self.peek();
            let mut range_end = None;
            if !matches!(start, Elem::Class(_) | Elem::Equiv(_)) {
                if tok == Tok::End {
                    return Err(ErrorKind::Bracket);
                }
                if tok == Tok::Range {
                    self.pos += 1;
                    let (tok2, len2) = self.peek();
                    match tok2 {
                        Tok::End => return Err(ErrorKind::Bracket),
                        // A `-` right before the closing `]` is a member.
                        Tok::Close => {
                            self.pos -= 1;
                            tok = Tok::Char(b'-');
                        }
                        _ => range_end = Some((tok2, len2)),
                    }
                }
            }
            if let Some((tok2, len2)) = range_end {
                let end = self.element(tok2, len2, true)?;
                (tok, len) = self.peek();
                self.add_range(start, end)?;
            } else {
                self.add(start)?;
            }
            match tok {
                Tok::End => return Err(ErrorKind::Bracket),
                Tok::Close => {
                    self.pos += len;
                    return Ok(());
                }
                _ => {}
            }
        }
    }

    /// Consumes the element starting with `tok` (`parse_bracket_element`).
    fn element(&mut self, tok: Tok, len: usize, accept_hyphen: bool) -> Result<Elem, ErrorKind> {
        self.pos += len;
        let c = match tok {
            Tok::Open(delim) => return self.symbol(delim),
            Tok::Range if !accept_hyphen => {
                // A `-` may only stand for itself right before the closing `]`.
                return match self.peek().0 {
                    Tok::Close => Ok(Elem::Byte(b'-')),
                    _ => Err(ErrorKind::Range),
                };
            }
            Tok::Char(c) => c,
            Tok::Range => b'-',
            Tok::Close => b']',
            Tok::Caret => b'^',
            Tok::End => 0,
        };
        Ok(Elem::Byte(c))
    }

    /// The name of `[.name.]`, `[=name=]` or `[:name:]` (`parse_bracket_symbol`).
    fn symbol(&mut self, delim: u8) -> Result<Elem, ErrorKind> {
        let mut name = Vec::new();
        if self.pos >= self.pattern.len() {
            return Err(ErrorKind::Bracket);
        }
        loop {
            if name.len() >= NAME_MAX {
                return Err(ErrorKind::Bracket);
            }
            let raw = self.byte(self.pos).ok_or(ErrorKind::Bracket)?;
            // Class names are read as written; the other two see the upper-cased pattern.
            let ch = if delim == b':' { raw } else { fold(raw, self.flags) };
            self.pos += 1;
            let next = self.byte(self.pos).ok_or(ErrorKind::Bracket)?;
            if ch == delim && next == b']' {
                break;
            }
            name.push(ch);
        }
        self.pos += 1;
        Ok(match delim {
            b'.' => Elem::Coll(name),
            b'=' => Elem::Equiv(name),
            _ => Elem::Class(name),
        })
    }

    fn add(&mut self, elem: Elem) -> Result<(), ErrorKind> {
        match elem {
            Elem::Byte(c) => self.set.insert(c),
            Elem::Coll(name) | Elem::Equiv(name) => {
                self.collating = true;
                self.set.insert(single(&name)?);
            }
            Elem::Class(name) => {
                let name: &[u8] = match name.as_slice() {
                    b"upper" | b"lower" if self.flags.insensitive => b"alpha",
                    other => other,
                };
                let class = posix_class(name).ok_or(ErrorKind::CharClass)?;
                self.set = self.set.union(&class);
            }
        }
        Ok(())
    }

    fn add_range(&mut self, start: Elem, end: Elem) -> Result<(), ErrorKind> {
        let lo = self.endpoint(start)?;
        let hi = self.endpoint(end)?;
        if lo > hi {
            return Err(ErrorKind::Range);
        }
        self.set.insert_range(lo, hi);
        Ok(())
    }

    fn endpoint(&mut self, elem: Elem) -> Result<u8, ErrorKind> {
        match elem {
            Elem::Byte(c) => Ok(c),
            Elem::Coll(name) => {
                self.collating = true;
                single(&name)
            }
            Elem::Equiv(_) | Elem::Class(_) => Err(ErrorKind::Range),
        }
    }
}

/// The C locale knows only one-byte collating elements.
fn single(name: &[u8]) -> Result<u8, ErrorKind> {
    match name {
        [c] => Ok(*c),
        _ => Err(ErrorKind::Collate),
    }
}
