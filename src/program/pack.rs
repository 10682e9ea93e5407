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
use crate::runtime::message::ParamName;
use std::collections::HashMap;

/// The packed actions of one context; a record is found by the offset [`Acts::push`]
/// gave.
///
/// Records are kept small, because a route reads one that is rarely in the caches:
/// lengths are LEB128 (one byte below 128), a parameter name is an index into
/// [`names`](Self::names), a text that several records hold (`sip/sip:`,
/// `@gw4.example`, `30000`) is a number in [`shared`](Self::shared), and identical
/// records are stored once.
#[derive(Debug, Default)]
pub struct Acts {
    /// The records, from [`base`](Self::base) on.
    bytes: Vec<u8>,
    /// Where offset 0 is in `bytes`: once finished, at an address that is a multiple of
    /// [`LINE`], so that a record packed within a line is read from one.
    base: usize,
    /// The names the records assign, each once.
    names: Vec<ParamName>,
    /// The texts records share: a few kilobytes that every route reads, and so stay in
    /// the caches, where each record's own copy would be read from memory.
    shared: Shared,
    /// What finds equal names and records while packing; `None` once finished.
    packing: Option<Box<Packing>>,
}

/// The lookup tables of [`Acts::push`].
#[derive(Debug, Default)]
struct Packing {
    /// The index of each name in [`Acts::names`].
    name_ids: HashMap<Vec<u8>, u32>,
    /// The offset of each record already stored.
    stored: HashMap<Vec<u8>, u32>,
    /// The number in [`Acts::shared`] of each text [`plan`](Acts::plan) found in more
    /// than one action.
    shared_ids: HashMap<Vec<u8>, u32>,
}

/// Texts by number, in one buffer.
#[derive(Debug, Default)]
struct Shared {
    bytes: Vec<u8>,
    /// Where each text starts and ends in `bytes`.
    spans: Vec<(u32, u32)>,
}

impl Shared {
    #[inline(always)]
    fn get(&self, id: u32) -> Option<&[u8]> {
        let &(start, end) = self.spans.get(id as usize)?;
        self.bytes.get(start as usize..end as usize)
    }
}

/// Shortest text [`Acts::plan`] shares: a shorter one costs no more bytes in place
/// than its number does.
const MIN_SHARED: usize = 3;

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
pub struct Pieces<'a>(&'a [u8], &'a Shared);

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
pub struct Assigns<'a>(&'a [u8], &'a [ParamName], &'a Shared);

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

    #[inline]
    fn take(&mut self, n: u32) -> Option<&'a [u8]> {
        let (head, rest) = self.0.split_at_checked(n as usize)?;
        self.0 = rest;
        Some(head)
    }

    /// A LEB128 number of at most 32 bits.
    #[inline]
    fn len(&mut self) -> Option<u32> {
        let b = self.u8()?;
        if b < 0x80 {
            return Some(u32::from(b));
        }
        self.len_rest(b)
    }

    /// [`len`](Self::len) past its first byte, out of line: texts are short.
    #[inline(never)]
    fn len_rest(&mut self, first: u8) -> Option<u32> {
        let mut n = u32::from(first & 0x7f);
        for shift in [7, 14, 21, 28] {
            let b = self.u8()?;
            n |= u32::from(b & 0x7f).checked_shl(shift)?;
            if b < 0x80 {
                return Some(n);
            }
        }
        None
    }

    #[inline]
    fn text(&mut self) -> Option<&'a [u8]> {
        let n = self.len()?;
        self.take(n)
    }

    /// A text of a record, written by [`put_text_or_shared`]: twice its length, or
    /// twice its number in `shared` plus one.
    #[inline(always)]
    fn text_or_shared(&mut self, shared: &'a Shared) -> Option<&'a [u8]> {
        let n = self.len()?;
        if n & 1 == 1 {
            shared.get(n >> 1)
        } else {
            self.take(n >> 1)
        }
    }
}

/// Appends `n` as LEB128.
fn put_len(out: &mut Vec<u8>, n: usize) -> Option<()> {
    let mut n = u32::try_from(n).ok()?;
    while n >= 0x80 {
        out.push((n & 0x7f) as u8 | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
    Some(())
}

/// Bytes of a cache line.
const LINE: usize = 64;

/// How many bytes [`put_len`] writes for `n`.
fn len_size(n: usize) -> usize {
    let mut size = 1;
    let mut n = n >> 7;
    while n > 0 {
        size += 1;
        n >>= 7;
    }
    size
}

fn put_text(out: &mut Vec<u8>, text: &[u8]) -> Option<()> {
    put_len(out, text.len())?;
    out.extend_from_slice(text);
    Some(())
}

/// Appends a text of a record: its number when it is shared, else the text itself.
fn put_text_or_shared(out: &mut Vec<u8>, text: &[u8], shared: &HashMap<Vec<u8>, u32>) -> Option<()> {
    if let Some(&id) = shared.get(text) {
        return put_len(out, (id as usize).checked_mul(2)? + 1);
    }
    put_len(out, text.len().checked_mul(2)?)?;
    out.extend_from_slice(text);
    Some(())
}

/// The texts an action's record would hold, for [`Acts::plan`]. It follows the cases
/// of [`Acts::push`] without building the record; where the two differed, a text would
/// only be kept in its record instead of shared, never read wrongly (`push` looks each
/// text up as it writes it).
fn texts(rule: &ir::Rule) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let ir::Action::Plain { first, keyword, assigns } = &rule.action else { return out };
    match (keyword, first.plan.as_deref()) {
        (Some(Keyword::Target(t)), _) => out.push(&t[..]),
        (None, Some(plan)) => {
            for p in &plan.pieces {
                if let ir::plan::Piece::Lit(l) = p {
                    out.push(&l[..]);
                }
            }
        }
        _ => {}
    }
    for t in assigns {
        match t.assign.as_ref() {
            Some(Assign::Set(_, value)) => out.push(&value[..]),
            Some(Assign::Clear(name)) => out.push(name),
            _ => {}
        }
    }
    out
}

impl Acts {
    /// No actions.
    pub const EMPTY: Acts = Acts {
        bytes: Vec::new(),
        base: 0,
        names: Vec::new(),
        shared: Shared { bytes: Vec::new(), spans: Vec::new() },
        packing: None,
    };

    /// Reads the actions of `rules` before they are packed: each text that more than
    /// one holds is then shared (see [`shared`](Self::shared)).
    pub fn plan(&mut self, rules: &[ir::Rule]) {
        let mut counts: HashMap<&[u8], u32> = HashMap::new();
        for r in rules {
            for t in texts(r) {
                if t.len() >= MIN_SHARED {
                    *counts.entry(t).or_default() += 1;
                }
            }
        }
        let mut many: Vec<(&[u8], u32)> = counts.into_iter().filter(|&(_, n)| n > 1).collect();
        // The most held first: a number below 64 is one byte in a record, and is read
        // without the longer form's loop. Equal counts in byte order: the program, and
        // its disassembly, must not vary from run to run.
        many.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let packing = self.packing.get_or_insert_with(Box::default);
        for (t, _) in many {
            let (Ok(id), Ok(start), Ok(end)) = (
                u32::try_from(self.shared.spans.len()),
                u32::try_from(self.shared.bytes.len()),
                u32::try_from(self.shared.bytes.len() + t.len()),
            ) else {
                break;
            };
            self.shared.bytes.extend_from_slice(t);
            self.shared.spans.push((start, end));
            packing.shared_ids.insert(t.to_vec(), id);
        }
    }

    /// Packs `rule`'s action; `None` when it is not of the packed kind (or the buffer
    /// would pass 4 GiB). The result is the record's offset.
    pub fn push(&mut self, rule: &ir::Rule) -> Option<u32> {
        let ir::Action::Plain { first, keyword, assigns } = &rule.action else { return None };
        let packing = self.packing.get_or_insert_with(Box::default);
        let mut rec = Vec::new();
        match (keyword, first.plan.as_deref()) {
            (Some(Keyword::Nothing), _) => rec.push(FIRST_NOTHING),
            (Some(Keyword::Target(t)), _) => {
                rec.push(FIRST_TARGET);
                put_text_or_shared(&mut rec, t, &packing.shared_ids)?;
            }
            (None, Some(plan)) => {
                let mut pieces = Vec::new();
                for p in &plan.pieces {
                    match p {
                        ir::plan::Piece::Lit(l) => {
                            pieces.push(PIECE_LIT);
                            put_text_or_shared(&mut pieces, l, &packing.shared_ids)?;
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
                // Refused, with its warning, on the IR path.
                Assign::Set(_, value) if value.len() > crate::runtime::vm::MAX_VALUE => return None,
                Assign::Set(name, value) => {
                    rec.push(SET_PARAM);
                    let next = u32::try_from(self.names.len()).ok()?;
                    let id = *packing.name_ids.entry(name.as_bytes().to_vec()).or_insert(next);
                    if id == next {
                        self.names.push(name.clone());
                    }
                    put_len(&mut rec, id as usize)?;
                    put_text_or_shared(&mut rec, value, &packing.shared_ids)?;
                }
                Assign::Clear(name) => {
                    rec.push(SET_CLEAR);
                    put_text_or_shared(&mut rec, name, &packing.shared_ids)?;
                }
                Assign::SetGlobal(..) | Assign::ClearGlobal(_) => return None,
            }
        }
        if let Some(&at) = packing.stored.get(&rec) {
            return Some(at);
        }
        // A record that would straddle one more cache line than its size needs starts
        // on the next line: the route that reads it waits for each line it touches
        // (at 10,000 generated rules, a third more bytes and 0.2 fewer misses a route).
        let size = len_size(rec.len()) + rec.len();
        let start = (self.bytes.len() - self.base) % LINE;
        if start + size > size.div_ceil(LINE) * LINE {
            self.bytes.resize(self.bytes.len() + LINE - start, 0);
        }
        let at = u32::try_from(self.bytes.len() - self.base).ok()?;
        u32::try_from(self.bytes.len() + rec.len() + 5).ok()?;
        put_text(&mut self.bytes, &rec)?;
        packing.stored.insert(rec, at);
        Some(at)
    }

    /// Ends packing: the tables that found equal names and records are dropped, and
    /// the records move to where offset 0 is at the start of a cache line.
    pub fn finish(&mut self) {
        self.packing = None;
        let records = self.bytes.get(self.base..).unwrap_or_default();
        if records.is_empty() {
            return;
        }
        let mut aligned = Vec::with_capacity(records.len() + LINE - 1);
        let base = (LINE - aligned.as_ptr() as usize % LINE) % LINE;
        aligned.resize(base, 0);
        aligned.extend_from_slice(records);
        self.bytes = aligned;
        self.base = base;
    }

    /// The record at `at`, as stored (its length, then its bytes), for a copy that
    /// [`read`](Self::read) reads back.
    pub fn record(&self, at: u32) -> Option<&[u8]> {
        let rest = self.bytes.get(self.base + at as usize..)?;
        let mut c = Cursor(rest);
        let rec = c.text()?;
        rest.get(..rest.len() - c.0.len()).filter(|whole| whole.len() > rec.len())
    }

    /// The record at `at`.
    // Always inline: the VM reads a record where it acts on it, and the call's frame
    // would cost about what the read does.
    #[inline(always)]
    pub fn get(&self, at: u32) -> Option<Act<'_>> {
        self.read(self.bytes.get(self.base + at as usize..)?)
    }

    /// The record that `stored` starts with: one of these or a copy of it (see
    /// [`record`](Self::record)).
    #[inline(always)]
    pub fn read<'s>(&'s self, stored: &'s [u8]) -> Option<Act<'s>> {
        let mut c = Cursor(stored);
        let mut rec = Cursor(c.text()?);
        let first = match rec.u8()? {
            FIRST_NOTHING => First::Nothing,
            FIRST_TARGET => First::Target(rec.text_or_shared(&self.shared)?),
            FIRST_PIECES => First::Pieces(Pieces(rec.text()?, &self.shared)),
            _ => return None,
        };
        Some(Act { first, assigns: Assigns(rec.0, &self.names, &self.shared) })
    }

    /// Bytes held (for the disassembly).
    pub fn len(&self) -> usize {
        self.bytes.len() - self.base
    }

    /// How many texts the records share (for the disassembly).
    pub fn shared_count(&self) -> usize {
        self.shared.spans.len()
    }

    /// Bytes of the texts the records share (for the disassembly).
    pub fn shared_len(&self) -> usize {
        self.shared.bytes.len()
    }

    /// Whether nothing is packed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<'a> Iterator for Pieces<'a> {
    type Item = Piece<'a>;

    #[inline]
    fn next(&mut self) -> Option<Piece<'a>> {
        let shared = self.1;
        Cursor::advance(&mut self.0, |c| match c.u8()? {
            PIECE_LIT => Some(Piece::Lit(c.text_or_shared(shared)?)),
            PIECE_CAP => Some(Piece::Cap(c.u8()?)),
            _ => None,
        })
    }
}

impl<'a> Iterator for Assigns<'a> {
    type Item = Set<'a>;

    #[inline]
    fn next(&mut self) -> Option<Set<'a>> {
        let (names, shared) = (self.1, self.2);
        Cursor::advance(&mut self.0, |c| match c.u8()? {
            SET_PARAM => {
                let name = names.get(c.len()? as usize)?;
                let value = c.text_or_shared(shared)?;
                Some(Set::Param { name: name.as_bytes(), hash: name.hash(), words: name.words(), value })
            }
            SET_CLEAR => Some(Set::Clear(c.text_or_shared(shared)?)),
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

    /// Equal records are stored once; texts of any length read back whole.
    #[test]
    fn records_are_shared_and_long_texts_survive() {
        let mut acts = Acts::default();
        let (a, b) = (rule("^1", "sip/x;timeout=30"), rule("^2", "sip/x;timeout=30"));
        let (Some(at_a), Some(at_b)) = (acts.push(&a), acts.push(&b)) else { panic!("not packed") };
        assert_eq!(at_a, at_b, "one record for equal actions");
        let long = "v".repeat(70_000);
        let c = rule("^3", &format!("sip/{};timeout={long}", "y".repeat(200)));
        let Some(at_c) = acts.push(&c) else { panic!("not packed") };
        acts.finish();
        let Some(act) = acts.get(at_c) else { panic!("unreadable") };
        let First::Target(t) = act.first else { panic!("not a target") };
        assert_eq!(t.len(), 204);
        let sets: Vec<Set<'_>> = act.assigns.collect();
        assert!(matches!(sets.as_slice(), [Set::Param { name: b"timeout", value, .. }] if value.len() == 70_000));
        assert_eq!(acts.get(at_a).map(|x| x.assigns.count()), Some(1));
        let mut cur = Cursor(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x01]);
        assert_eq!(cur.len(), None, "a length over 32 bits");
    }

    /// A text that more than one action holds is stored once, in the shared texts,
    /// and read back from there; one held once stays in its record.
    #[test]
    fn texts_several_actions_hold_are_shared() {
        let rules = [
            rule(r"^1\(.*\)$", r"sip/sip:\1@gw4.example;timeout=30000;osip_X=only-here"),
            rule(r"^2\(.*\)$", r"sip/sip:\1@gw4.example;timeout=30000;drop"),
            rule(r"^3\(.*\)$", r"sip/sip:\1@gw5.example;timeout=30;drop"),
            rule("^4", "sip/sip:4@gw4.example"),
        ];
        let mut plain = Acts::default();
        let mut acts = Acts::default();
        acts.plan(&rules);
        let shared: Vec<&[u8]> = (0..acts.shared_count() as u32).filter_map(|i| acts.shared.get(i)).collect();
        let want: [&[u8]; 4] = [b"sip/sip:", b"30000", b"@gw4.example", b"drop"];
        assert_eq!(shared, want, "the most held first; `30`, `@gw5.example` and `only-here` are held once");
        for (n, r) in rules.iter().enumerate() {
            let (Some(a), Some(b)) = (plain.push(r), acts.push(r)) else { panic!("not packed") };
            let (Some(x), Some(y)) = (plain.get(a), acts.get(b)) else { panic!("unreadable") };
            let texts = |act: Act<'_>| {
                let first: Vec<Vec<u8>> = match act.first {
                    First::Pieces(p) => p.map(|x| format!("{x:?}").into_bytes()).collect(),
                    First::Target(t) => vec![t.to_vec()],
                    First::Nothing => Vec::new(),
                };
                (first, act.assigns.collect::<Vec<_>>().len(), format!("{:?}", act.assigns.collect::<Vec<_>>()))
            };
            assert_eq!(texts(x), texts(y), "read back alike");
            let (Some(long), Some(short)) = (plain.record(a), acts.record(b)) else { panic!("no record") };
            // The last target is one text, held once.
            assert_eq!(short.len() < long.len(), n < 3, "{} bytes sharing, {} not", short.len(), long.len());
        }
        assert!(acts.len() < plain.len());
    }

    /// A record's stored bytes, copied elsewhere, read back as the record itself.
    #[test]
    fn a_copied_record_reads_as_the_original() {
        let mut acts = Acts::default();
        let rules = [rule(r"^0049\(.*\)$", r"sip/\1@gw4.example;maxcall=60;drop"), rule(".*", "-;error=noroute")];
        acts.plan(&rules);
        let at: Vec<u32> = rules.iter().filter_map(|r| acts.push(r)).collect();
        acts.finish();
        for &a in &at {
            let Some(stored) = acts.record(a) else { panic!("no record at {a}") };
            let copy = stored.to_vec();
            let (Some(x), Some(y)) = (acts.get(a), acts.read(&copy)) else { panic!("unreadable") };
            assert_eq!(
                format!("{:?}{:?}", x.first, x.assigns.collect::<Vec<_>>()),
                format!("{:?}{:?}", y.first, y.assigns.collect::<Vec<_>>())
            );
            let inline = crate::program::Inline::of(stored);
            assert_eq!(inline.get(), Some(stored), "short enough to be held in an entry");
        }
        assert!(crate::program::Inline::of(&[7; 40]).get().is_none(), "too long for an entry");
        assert!(crate::program::Inline::of(&[]).get().is_none());
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
        assert!(!acts.is_empty() && acts.len() >= 4);
        assert!(acts.get(u32::MAX).is_none());
    }

    /// Once finished, a record no longer than a cache line lies within one, and a
    /// longer one touches no more lines than its size needs; each reads back whole.
    #[test]
    fn records_do_not_straddle_more_lines_than_they_need() {
        let mut acts = Acts::default();
        let mut packed = Vec::new();
        for n in 0..300usize {
            let target = format!("sip/sip:\\1@gw{n}.{}", "x".repeat(n % 97));
            let r = rule(&format!("^{n}\\(.*\\)$"), &format!("{target};maxcall={n}"));
            let Some(at) = acts.push(&r) else { panic!("not packed") };
            packed.push((at, target));
        }
        acts.finish();
        let origin = acts.bytes.as_ptr() as usize + acts.base;
        assert_eq!(origin % LINE, 0, "offset 0 starts a line");
        for (at, target) in packed {
            let Some(rest) = acts.bytes.get(acts.base + at as usize..) else { panic!("offset past the end") };
            let mut c = Cursor(rest);
            let Some(rec) = c.text() else { panic!("no record at {at}") };
            let size = len_size(rec.len()) + rec.len();
            let first_line = (origin + at as usize) / LINE;
            let last_line = (origin + at as usize + size - 1) / LINE;
            assert_eq!(last_line - first_line + 1, size.div_ceil(LINE), "record at {at}, {size} bytes");
            let Some(act) = acts.get(at) else { panic!("unreadable") };
            let First::Pieces(p) = act.first else { panic!("not pieces") };
            let lits: Vec<u8> = p
                .flat_map(|x| match x {
                    Piece::Lit(l) => l.to_vec(),
                    Piece::Cap(_) => Vec::new(),
                })
                .collect();
            assert_eq!(lits, target.replace("\\1", "").into_bytes());
        }
    }
}
