//! Packed actions: a rule's target and assignments in one contiguous record.
//!
//! A rule the index settles by prefix is usually a route: `sip/sip:\1@gw4.example`
//! plus a few literal assignments. In the IR its action is spread over a dozen heap
//! objects (the template, its plan, each piece, each assignment and its name). With
//! ten thousand routes those are outside the CPU caches, and reading them cost more
//! than everything else the route does. Packed, the action of each single rule of a
//! run is one record in a buffer of the run: one or two cache lines.
//!
//! Only what needs no substitution pass but back-references is packed: literal text
//! and `\N` in the first piece, literal `name=value` and `name` assignments. Anything
//! else keeps the IR path.

use crate::ir::{self, Assign, Keyword};

/// The packed actions of one run; a record is found by the offset [`Acts::push`] gave.
#[derive(Debug, Default)]
pub struct Acts {
    bytes: Vec<u8>,
}

/// A packed action, read back.
#[derive(Debug, Clone, Copy)]
pub struct Act<'a> {
    /// The first piece.
    pub first: First<'a>,
    /// The assignments, in order.
    pub assigns: Assigns<'a>,
}

/// What the first piece of a packed action is.
#[derive(Debug, Clone, Copy)]
pub enum First<'a> {
    /// Empty: a set-only rule.
    Nothing,
    /// A target written out in full.
    Target(&'a [u8]),
    /// Text built from literals and captures, classified once built.
    Pieces(Pieces<'a>),
}

/// The pieces of a [`First::Pieces`].
#[derive(Debug, Clone, Copy)]
pub struct Pieces<'a>(&'a [u8]);

/// One piece of a [`First::Pieces`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece<'a> {
    /// Text copied as is.
    Lit(&'a [u8]),
    /// `\N`.
    Cap(u8),
}

/// The assignments of a packed action.
#[derive(Debug, Clone, Copy)]
pub struct Assigns<'a>(&'a [u8]);

/// One packed assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Set<'a> {
    /// `name=value`, with the name's hash and words.
    Param {
        /// The name.
        name: &'a [u8],
        /// Its hash (`ParamName`'s).
        hash: u32,
        /// Its first bytes as words (`ParamName`'s).
        words: [u64; 2],
        /// The value.
        value: &'a [u8],
    },
    /// `name` alone: the parameter is removed.
    Clear(&'a [u8]),
}

const FIRST_NOTHING: u8 = 0;
const FIRST_TARGET: u8 = 1;
const FIRST_PIECES: u8 = 2;
const PIECE_LIT: u8 = 0;
const PIECE_CAP: u8 = 1;
const SET_PARAM: u8 = 0;
const SET_CLEAR: u8 = 1;

/// Reads a record without any way to panic: a short read ends it.
struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    /// Reads one item from `rest` with `read`, moving `rest` past it only when the
    /// whole item was there.
    #[inline]
    fn advance<T>(rest: &mut &'a [u8], read: impl FnOnce(&mut Cursor<'a>) -> Option<T>) -> Option<T> {
        let mut c = Cursor(rest);
        let item = read(&mut c)?;
        *rest = c.0;
        Some(item)
    }

    #[inline]
    fn u8(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }

    /// The next `N` bytes.
    #[inline]
    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.0.split_first_chunk::<N>()?;
        self.0 = rest;
        Some(*head)
    }

    #[inline]
    fn u32(&mut self) -> Option<u32> {
        self.array().map(u32::from_le_bytes)
    }

    #[inline]
    fn take(&mut self, n: u32) -> Option<&'a [u8]> {
        let (head, rest) = self.0.split_at_checked(n as usize)?;
        self.0 = rest;
        Some(head)
    }

    #[inline]
    fn u64(&mut self) -> Option<u64> {
        self.array().map(u64::from_le_bytes)
    }

    #[inline]
    fn text(&mut self) -> Option<&'a [u8]> {
        let n = self.u32()?;
        self.take(n)
    }
}

fn put_text(out: &mut Vec<u8>, text: &[u8]) -> Option<()> {
    out.extend_from_slice(&u32::try_from(text.len()).ok()?.to_le_bytes());
    out.extend_from_slice(text);
    Some(())
}

impl Acts {
    /// No actions.
    pub const EMPTY: Acts = Acts { bytes: Vec::new() };

    /// Packs `rule`'s action; `None` when it is not of the packed kind (or the buffer
    /// would pass 4 GiB). The result is the record's offset.
    pub fn push(&mut self, rule: &ir::Rule) -> Option<u32> {
        let ir::Action::Plain { first, keyword, assigns } = &rule.action else { return None };
        let mut rec = Vec::new();
        match (keyword, first.plan.as_deref()) {
            (Some(Keyword::Nothing), _) => rec.push(FIRST_NOTHING),
            (Some(Keyword::Target(t)), _) => {
                rec.push(FIRST_TARGET);
                put_text(&mut rec, t)?;
            }
            (None, Some(plan)) => {
                let mut pieces = Vec::new();
                for p in &plan.pieces {
                    match p {
                        ir::plan::Piece::Lit(l) => {
                            pieces.push(PIECE_LIT);
                            put_text(&mut pieces, l)?;
                        }
                        ir::plan::Piece::Cap(c) => pieces.extend_from_slice(&[PIECE_CAP, *c]),
                        ir::plan::Piece::Param { .. } | ir::plan::Piece::Func(_) => return None,
                    }
                }
                rec.push(FIRST_PIECES);
                put_text(&mut rec, &pieces)?;
            }
            _ => return None,
        }
        for t in assigns {
            match t.assign.as_ref()? {
                Assign::Nothing => {}
                Assign::Set(name, value) => {
                    rec.push(SET_PARAM);
                    rec.extend_from_slice(&name.hash().to_le_bytes());
                    let [w0, w1] = name.words();
                    rec.extend_from_slice(&w0.to_le_bytes());
                    rec.extend_from_slice(&w1.to_le_bytes());
                    put_text(&mut rec, name.as_bytes())?;
                    put_text(&mut rec, value)?;
                }
                Assign::Clear(name) => {
                    rec.push(SET_CLEAR);
                    put_text(&mut rec, name)?;
                }
                Assign::SetGlobal(..) | Assign::ClearGlobal(_) => return None,
            }
        }
        let at = u32::try_from(self.bytes.len()).ok()?;
        u32::try_from(self.bytes.len() + rec.len() + 4).ok()?;
        put_text(&mut self.bytes, &rec)?;
        Some(at)
    }

    /// The record at `at`.
    #[inline]
    pub fn get(&self, at: u32) -> Option<Act<'_>> {
        let mut c = Cursor(self.bytes.get(at as usize..)?);
        let mut rec = Cursor(c.text()?);
        let first = match rec.u8()? {
            FIRST_NOTHING => First::Nothing,
            FIRST_TARGET => First::Target(rec.text()?),
            FIRST_PIECES => First::Pieces(Pieces(rec.text()?)),
            _ => return None,
        };
        Some(Act { first, assigns: Assigns(rec.0) })
    }

    /// Bytes held (for the disassembly).
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether nothing is packed.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

impl<'a> Iterator for Pieces<'a> {
    type Item = Piece<'a>;

    #[inline]
    fn next(&mut self) -> Option<Piece<'a>> {
        Cursor::advance(&mut self.0, |c| match c.u8()? {
            PIECE_LIT => Some(Piece::Lit(c.text()?)),
            PIECE_CAP => Some(Piece::Cap(c.u8()?)),
            _ => None,
        })
    }
}

impl<'a> Iterator for Assigns<'a> {
    type Item = Set<'a>;

    #[inline]
    fn next(&mut self) -> Option<Set<'a>> {
        Cursor::advance(&mut self.0, |c| match c.u8()? {
            SET_PARAM => {
                let hash = c.u32()?;
                let words = [c.u64()?, c.u64()?];
                let name = c.text()?;
                Some(Set::Param { name, hash, words, value: c.text()? })
            }
            SET_CLEAR => Some(Set::Clear(c.text()?)),
            _ => None,
        })
    }
}

/// The hash a packed name carries, for tests.
#[cfg(test)]
fn hash_of(name: &[u8]) -> u32 {
    crate::runtime::message::ParamName::new(name).hash()
}

/// The words a packed name carries, for tests.
#[cfg(test)]
fn words_of(name: &[u8]) -> [u64; 2] {
    crate::runtime::message::ParamName::new(name).words()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(key: &str, value: &str) -> ir::Rule {
        let text = format!("[c]\n{key}={value}\n");
        let doc = crate::ini::load_str("t.conf", &text, &crate::ini::LoadOptions::default());
        let ir = crate::ir::lower(&doc, &crate::syntax::parse(&doc));
        let Some(r) = ir.contexts.first().and_then(|c| c.rules.first()) else { panic!("no rule") };
        r.clone()
    }

    #[test]
    fn routes_pack_and_read_back() {
        let mut acts = Acts::default();
        let r = rule(r"^0049\(.*\)$", r"sip/sip:\1@gw4.example;maxcall=60;osip_X=a b;drop");
        let Some(at) = acts.push(&r) else { panic!("not packed") };
        let Some(act) = acts.get(at) else { panic!("unreadable") };
        let First::Pieces(p) = act.first else { panic!("not pieces: {:?}", act.first) };
        let pieces: Vec<Piece<'_>> = p.collect();
        assert_eq!(pieces, [Piece::Lit(b"sip/sip:"), Piece::Cap(1), Piece::Lit(b"@gw4.example")]);
        let sets: Vec<Set<'_>> = act.assigns.collect();
        assert_eq!(
            sets,
            [
                Set::Param { name: b"maxcall", hash: hash_of(b"maxcall"), words: words_of(b"maxcall"), value: b"60" },
                Set::Param { name: b"osip_X", hash: hash_of(b"osip_X"), words: words_of(b"osip_X"), value: b"a b" },
                Set::Clear(b"drop"),
            ]
        );
        let second = rule(".*", "-;error=noroute");
        let Some(at2) = acts.push(&second) else { panic!("not packed") };
        assert!(matches!(acts.get(at2).map(|a| a.first), Some(First::Target(b"-"))));
        assert!(matches!(acts.get(at).map(|a| a.first), Some(First::Pieces(_))));
    }

    #[test]
    fn substitutions_beyond_captures_stay_unpacked() {
        let mut acts = Acts::default();
        assert!(acts.push(&rule(".*", r"sip/${called}@gw")).is_none());
        assert!(acts.push(&rule(".*", r"sip/x;when=$(message,time)")).is_none());
        assert!(acts.push(&rule(".*", r"sip/x;${a}=b")).is_none());
        assert!(acts.push(&rule(".*", r"sip/x;$g=1")).is_none());
        assert!(acts.push(&rule(".*", "echo hi")).is_none());
        assert!(acts.push(&rule(".*", ";a=1")).is_some());
        assert!(!acts.is_empty() && acts.len() >= 8);
        assert!(acts.get(u32::MAX).is_none());
    }
}
