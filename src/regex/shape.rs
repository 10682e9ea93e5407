//! Anchored byte-sequence patterns, whose match and sub-matches are unique, matched
//! without glibc.
//!
//! Dialplans are mostly `^0049\(.*\)$`, `^11[02]$`, `^\(1790.*\)$`, `^779[0-9]*$`,
//! and feature codes `^\*98\([0-9]\{2,4\}\)$`: a leading `^`, then single-byte items
//! (a literal, a class, `.`), at most one of them repeated a variable number of times
//! (`*`, `\+`, `\?`, `\{n,\}`, `\{n,m\}`), groups around any run of those, and an
//! optional final `$`. Such a pattern can match a subject in one way only: the items
//! before the repeat take fixed positions from the start, those after it fixed
//! positions from the end (with `$`), and the repeat takes what lies between, if that
//! is within its bounds (without `$` nothing may follow it, and it takes the longest
//! run its bound allows, as POSIX's longest match must). So glibc's leftmost-longest
//! sub-matches are the only possible ones, and a direct scan gives the same slots.
//!
//! Excluded, because a sub-match could then be placed in more than one way: two
//! variable repeats, alternation, repeated groups, back-references, assertions other
//! than the leading `^` and final `$`.

use super::byteset::ByteSet;
use super::posix::Slots;
use super::syntax::{Assertion, Ast, Node};

/// Longest exact count unrolled (`[0-9]\{4\}`); longer ones are left to glibc.
const MAX_UNROLL: u32 = 64;

/// One step of the scan; four bytes, so a whole pattern takes a cache line or two.
#[derive(Clone, Copy, Debug)]
enum Item {
    /// Exactly this byte.
    Byte(u8),
    /// Exactly one byte of `sets[i]`.
    One(u16),
    /// Bytes of `sets[i]`, as many as [`Shape::most`] allows: the single
    /// variable-width item.
    Many(u16),
    /// Group `n` (1..=8) starts here; groups past 8 are not reported and not kept.
    Open(u8),
    /// Group `n` ends here.
    Close(u8),
}

/// A pattern of the class described in the module documentation.
#[derive(Clone, Debug)]
pub struct Shape {
    items: Vec<Item>,
    /// The byte sets the items refer to.
    sets: Vec<ByteSet>,
    /// Whether the pattern ends with `$`.
    end: bool,
    /// Single-byte items before the repeat (all of them when there is none).
    before: usize,
    /// Single-byte items after the repeat.
    after: usize,
    /// Whether there is a repeat.
    many: bool,
    /// The most bytes the repeat may take (`None`: no bound).
    most: Option<usize>,
}

impl Shape {
    /// The shape of `ast`, when it is in the class; `None` otherwise.
    pub fn of(ast: &Ast) -> Option<Shape> {
        if ast.collating {
            return None;
        }
        let mut b = Builder::default();
        let mut nodes = Vec::new();
        super::ast::open_sequences(&ast.root, &mut nodes);
        let starts = nodes.iter().take_while(|n| is_start(n)).count();
        if starts == 0 {
            return None;
        }
        let mut rest = &nodes[starts..];
        let mut end = false;
        if let Some((last, init)) = rest.split_last() {
            if matches!(last, Node::Assert(Assertion::LineEnd | Assertion::BufEnd)) {
                end = true;
                rest = init;
            }
        }
        for n in rest {
            b.linear(n)?;
        }
        let Builder { items, sets, most } = b;
        let many_at = items.iter().position(|i| matches!(i, Item::Many(_)));
        let ones = |items: &[Item]| items.iter().filter(|i| matches!(i, Item::One(_) | Item::Byte(_))).count();
        let (before, after, many) = match many_at {
            Some(at) => {
                let (head, tail) = (&items[..at], &items[at + 1..]);
                if tail.iter().any(|i| matches!(i, Item::Many(_))) {
                    return None;
                }
                // Without `$`, the repeat must be last (group ends aside) for its
                // longest run to be the longest match.
                if !end && ones(tail) > 0 {
                    return None;
                }
                (ones(head), ones(tail), true)
            }
            None => (ones(&items), 0, false),
        };
        Some(Shape { items, sets, end, before, after, many, most })
    }

    /// The slots glibc's `regexec` reports for `subject` (already cut at its first NUL).
    pub fn captures(&self, subject: &[u8]) -> Option<Slots> {
        let len = subject.len();
        let fixed = self.before + self.after;
        if len < fixed || (self.end && !self.many && len != fixed) {
            return None;
        }
        let mut slots: Slots = [None; 9];
        let mut opened: [usize; 9] = [0; 9];
        let mut pos = 0usize;
        for &item in &self.items {
            match item {
                Item::Byte(b) => {
                    if *subject.get(pos)? != b {
                        return None;
                    }
                    pos += 1;
                }
                Item::One(set) => {
                    if !self.sets.get(usize::from(set))?.contains(*subject.get(pos)?) {
                        return None;
                    }
                    pos += 1;
                }
                Item::Many(set) => {
                    let set = self.sets.get(usize::from(set))?;
                    let stop = if self.end { len - self.after } else { len };
                    let room = subject.get(pos..stop)?;
                    // As much of the room as the bound allows; with `$`, the check
                    // below then asks that this be all of it.
                    let room = match self.most {
                        Some(most) => room.get(..most).unwrap_or(room),
                        None => room,
                    };
                    let run = room.iter().take_while(|&&b| set.contains(b)).count();
                    if self.end && pos + run != stop {
                        return None;
                    }
                    pos += run;
                }
                Item::Open(n) => {
                    if let Some(o) = opened.get_mut(usize::from(n)) {
                        *o = pos;
                    }
                }
                Item::Close(n) => {
                    if let (Some(s), Some(&o)) = (slots.get_mut(usize::from(n)), opened.get(usize::from(n))) {
                        *s = Some((o, pos));
                    }
                }
            }
        }
        if self.end && pos != len {
            return None;
        }
        slots[0] = Some((0, pos));
        Some(slots)
    }

    /// Whether `subject` (already cut at its first NUL) matches.
    pub fn is_match(&self, subject: &[u8]) -> bool {
        self.captures(subject).is_some()
    }
}

fn is_start(n: &Node) -> bool {
    matches!(n, Node::Assert(Assertion::LineStart | Assertion::BufStart))
}

/// One byte's set, for the single-byte nodes.
fn byte_set(node: &Node) -> Option<ByteSet> {
    match node {
        Node::Literal(b) => Some(ByteSet::from_fn(|x| x == *b)),
        Node::Class(set) => Some(*set),
        // Subjects are cut at their first NUL, so "any byte" never meets one.
        Node::Any => Some(ByteSet::from_fn(|_| true)),
        _ => None,
    }
}

/// Items and the sets they refer to, as a pattern is taken apart.
#[derive(Default)]
struct Builder {
    items: Vec<Item>,
    sets: Vec<ByteSet>,
    /// The bound of the last variable repeat seen (a second one makes the pattern
    /// fall outside the class anyway).
    most: Option<usize>,
}

impl Builder {
    /// The index of `set` in `sets`, added if new.
    fn set(&mut self, set: ByteSet) -> Option<u16> {
        let i = match self.sets.iter().position(|s| *s == set) {
            Some(i) => i,
            None => {
                self.sets.push(set);
                self.sets.len() - 1
            }
        };
        u16::try_from(i).ok()
    }

    /// One byte of `set`: the byte itself when the set has only it.
    fn one(&mut self, set: ByteSet) -> Option<Item> {
        match set.single() {
            Some(b) => Some(Item::Byte(b)),
            None => Some(Item::One(self.set(set)?)),
        }
    }

    /// Appends `node` as items; `None` when it is outside the class.
    fn linear(&mut self, node: &Node) -> Option<()> {
        match node {
            Node::Empty => {}
            Node::Concat(items) => items.iter().try_for_each(|n| self.linear(n))?,
            Node::Group { index, node } => {
                // Only groups 1..=8 are reported; the others are scanned as plain items.
                let n = u8::try_from(*index).ok().filter(|n| (1..=8).contains(n));
                if let Some(n) = n {
                    self.items.push(Item::Open(n));
                }
                self.linear(node)?;
                if let Some(n) = n {
                    self.items.push(Item::Close(n));
                }
            }
            Node::Repeat { node, min, max } => {
                let set = byte_set(node)?;
                let ones = *min;
                if ones > MAX_UNROLL {
                    return None;
                }
                for _ in 0..ones {
                    let item = self.one(set)?;
                    self.items.push(item);
                }
                let most = match max {
                    Some(max) if max == min => return Some(()),
                    Some(max) => Some(usize::try_from(max.checked_sub(*min)?).ok()?),
                    None => None,
                };
                let i = self.set(set)?;
                self.items.push(Item::Many(i));
                self.most = most;
            }
            other => {
                let item = self.one(byte_set(other)?)?;
                self.items.push(item);
            }
        }
        Some(())
    }
}

#[cfg(test)]
#[path = "shape_tests.rs"]
mod tests;
