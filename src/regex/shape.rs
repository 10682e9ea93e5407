//! Anchored byte-sequence patterns, whose match and sub-matches are unique, matched
//! without glibc.
//!
//! Dialplans are mostly `^0049\(.*\)$`, `^11[02]$`, `^\(1790.*\)$`, `^779[0-9]*$`: a
//! leading `^`, then single-byte items (a literal, a class, `.`), at most one of them
//! repeated without bound (`*`, `\+`, `\{n,\}`), groups around any run of those, and
//! an optional final `$`. Such a pattern can match a subject in one way only: the
//! items before the repeat take fixed positions from the start, those after it fixed
//! positions from the end (with `$`), and the repeat takes what lies between (without
//! `$` nothing may follow it, and it takes the longest run, as POSIX's longest match
//! must). So glibc's leftmost-longest sub-matches are the only possible ones, and a
//! direct scan gives the same slots.
//!
//! Excluded, because a sub-match could then be placed in more than one way: two
//! repeats, bounded ranges (`\{1,3\}`, `\?`), alternation, repeated groups,
//! back-references, assertions other than the leading `^` and final `$`.

use super::byteset::ByteSet;
use super::posix::Slots;
use super::syntax::{Assertion, Ast, Node};

/// Longest exact count unrolled (`[0-9]\{4\}`); longer ones are left to glibc.
const MAX_UNROLL: u32 = 64;

/// One step of the scan.
#[derive(Clone, Debug)]
enum Item {
    /// Exactly one byte of the set.
    One(ByteSet),
    /// Any number of bytes of the set: the single variable-width item.
    Many(ByteSet),
    /// Group `n` starts here.
    Open(usize),
    /// Group `n` ends here.
    Close(usize),
}

/// A pattern of the class described in the module documentation.
#[derive(Clone, Debug)]
pub struct Shape {
    items: Vec<Item>,
    /// Whether the pattern ends with `$`.
    end: bool,
    /// Single-byte items before the repeat (all of them when there is none).
    before: usize,
    /// Single-byte items after the repeat.
    after: usize,
    /// Whether there is a repeat.
    many: bool,
}

impl Shape {
    /// The shape of `ast`, when it is in the class; `None` otherwise.
    pub fn of(ast: &Ast) -> Option<Shape> {
        if ast.collating {
            return None;
        }
        let mut items = Vec::new();
        let mut nodes = Vec::new();
        top_level(&ast.root, &mut nodes);
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
            linear(n, &mut items)?;
        }
        let many_at = items.iter().position(|i| matches!(i, Item::Many(_)));
        let ones = |items: &[Item]| items.iter().filter(|i| matches!(i, Item::One(_))).count();
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
        Some(Shape { items, end, before, after, many })
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
        for item in &self.items {
            match item {
                Item::One(set) => {
                    if !set.contains(*subject.get(pos)?) {
                        return None;
                    }
                    pos += 1;
                }
                Item::Many(set) => {
                    let stop = if self.end { len - self.after } else { len };
                    let run = subject[pos..stop].iter().take_while(|&&b| set.contains(b)).count();
                    if self.end && pos + run != stop {
                        return None;
                    }
                    pos += run;
                }
                Item::Open(n) => {
                    if let Some(o) = opened.get_mut(*n) {
                        *o = pos;
                    }
                }
                Item::Close(n) => {
                    if let (Some(s), Some(&o)) = (slots.get_mut(*n), opened.get(*n)) {
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

/// The top-level sequence, with nested sequences (not groups) opened up.
fn top_level<'a>(node: &'a Node, out: &mut Vec<&'a Node>) {
    match node {
        Node::Concat(items) => items.iter().for_each(|n| top_level(n, out)),
        Node::Empty => {}
        other => out.push(other),
    }
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

/// Appends `node` as items; `None` when it is outside the class.
fn linear(node: &Node, out: &mut Vec<Item>) -> Option<()> {
    match node {
        Node::Empty => {}
        Node::Concat(items) => items.iter().try_for_each(|n| linear(n, out))?,
        Node::Group { index, node } => {
            out.push(Item::Open(*index));
            linear(node, out)?;
            out.push(Item::Close(*index));
        }
        Node::Repeat { node, min, max } => {
            let set = byte_set(node)?;
            let ones = match max {
                Some(max) if max == min => *min,
                None => *min,
                Some(_) => return None,
            };
            if ones > MAX_UNROLL {
                return None;
            }
            out.extend((0..ones).map(|_| Item::One(set)));
            if max.is_none() {
                out.push(Item::Many(set));
            }
        }
        other => out.push(Item::One(byte_set(other)?)),
    }
    Some(())
}

#[cfg(test)]
#[path = "shape_tests.rs"]
mod tests;
