//! Questions about a parsed pattern: groups, back-references, anchoring, literal prefixes.

use super::syntax::{Assertion, Ast, Node};

impl Ast {
    /// The number of capture groups (glibc's `re_nsub`), including any past the 8 Yate reads.
    pub fn group_count(&self) -> usize {
        self.groups
    }

    /// Whether the pattern refers back to a group (`\1`..`\9`) inside itself.
    pub fn has_backrefs(&self) -> bool {
        self.root.any(&|n| matches!(n, Node::Backref(_)))
    }

    /// Whether every match must start at the beginning of the subject.
    pub fn anchored_start(&self) -> bool {
        anchored(&self.root)
    }

    /// The literal bytes every match starts with, for a pattern anchored by a leading `^`
    /// (`^0049\(.*\)$` gives `0049`); `None` when the pattern is not anchored that way.
    ///
    /// Under case folding, letters end the prefix, since they match two bytes.
    pub fn literal_prefix(&self) -> Option<Vec<u8>> {
        let items = self.root.flatten();
        let rest = strip_start(&items)?;
        Some(
            rest.iter()
                .map_while(|n| match n {
                    Node::Literal(b) => Some(*b),
                    _ => None,
                })
                .collect(),
        )
    }

    /// The subject the pattern matches exactly, when it is `^literal$`
    /// (groups allowed, as in `^\(123\)$`).
    pub fn exact_literal(&self) -> Option<Vec<u8>> {
        let items = self.root.flatten();
        let mut rest = strip_start(&items)?;
        let mut out = Vec::new();
        while let Some((Node::Literal(b), tail)) = rest.split_first() {
            out.push(*b);
            rest = tail;
        }
        let at_end = |n: &&Node| matches!(n, Node::Assert(Assertion::LineEnd | Assertion::BufEnd));
        (!rest.is_empty() && rest.iter().all(at_end)).then_some(out)
    }
}

/// What follows the literal prefix of a [`Ast::prefix_form`] pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrefixTail {
    /// `^L$`: the subject is the prefix.
    Exact,
    /// `^L`: the match is the prefix.
    Prefix,
    /// `^L.*`, `^L.*$`: the match is the whole subject.
    Rest,
    /// `^L\(.*\)`, `^L\(.*\)$`: group 1 is what follows the prefix.
    RestGroup,
    /// `^\(L.*\)`, `^\(L.*\)$`: group 1 is the whole subject.
    WholeGroup,
    /// `^L[0-9]*`: the match is the prefix and the digits that follow it.
    Digits,
    /// `^L[0-9]*$`: the match is the whole subject, when all that follows the prefix
    /// is digits.
    DigitsEnd,
}

impl Ast {
    /// A literal prefix and the one tail that follows it, for the patterns whose match
    /// and groups follow from the prefix alone, or from the prefix and a count of the
    /// digits after it (once a subject, cut at its first NUL, is known to start with
    /// it). These are most of a dialplan's prefix routes.
    pub fn prefix_form(&self) -> Option<(Vec<u8>, PrefixTail)> {
        if self.collating {
            return None;
        }
        let mut items = Vec::new();
        open_sequences(&self.root, &mut items);
        let mut rest = strip_start(&items)?;
        let is_end = |n: &Node| matches!(n, Node::Assert(Assertion::LineEnd | Assertion::BufEnd));
        let end = rest.last().is_some_and(|n| is_end(n));
        if end {
            rest = &rest[..rest.len() - 1];
        }
        let literals: Vec<u8> = rest
            .iter()
            .map_while(|n| match n {
                Node::Literal(b) => Some(*b),
                _ => None,
            })
            .collect();
        let tail = &rest[literals.len()..];
        let form = match (tail, end, self.groups) {
            ([], true, 0) => PrefixTail::Exact,
            ([], false, 0) => PrefixTail::Prefix,
            ([n], _, 0) if any_run(n) => PrefixTail::Rest,
            ([n], false, 0) if digit_run(n) => PrefixTail::Digits,
            ([n], true, 0) if digit_run(n) => PrefixTail::DigitsEnd,
            ([Node::Group { index: 1, node }], _, 1) if any_run(node) => PrefixTail::RestGroup,
            ([Node::Group { index: 1, node }], _, 1) if literals.is_empty() => {
                let mut inner = Vec::new();
                open_sequences(node, &mut inner);
                let (last, lits) = inner.split_last()?;
                let lits: Option<Vec<u8>> = lits
                    .iter()
                    .map(|n| match n {
                        Node::Literal(b) => Some(*b),
                        _ => None,
                    })
                    .collect();
                return (any_run(last)).then_some((lits?, PrefixTail::WholeGroup));
            }
            _ => return None,
        };
        Some((literals, form))
    }
}

/// A match's or group's `(start, end)` byte offsets.
pub type Span = (usize, usize);

impl PrefixTail {
    /// What glibc's `regexec` reports for a pattern of this form, with a prefix of
    /// `prefix_len` bytes, on a `subject` (cut at its first NUL) already known to start
    /// with that prefix.
    #[inline]
    pub fn slots(self, prefix_len: usize, subject: &[u8]) -> Option<super::Slots> {
        let (whole, group) = self.groups(prefix_len, subject)?;
        let mut slots: super::Slots = [None; 9];
        slots[0] = Some(whole);
        slots[1] = group;
        Some(slots)
    }

    /// [`slots`](Self::slots) as the whole match and group 1 (these forms have no
    /// other group): what a route's captures are built from, without the other seven.
    #[inline]
    pub fn groups(self, prefix_len: usize, subject: &[u8]) -> Option<(Span, Option<Span>)> {
        let len = subject.len();
        if len < prefix_len {
            return None;
        }
        Some(match self {
            PrefixTail::Exact if len != prefix_len => return None,
            PrefixTail::Exact | PrefixTail::Prefix => ((0, prefix_len), None),
            PrefixTail::Rest => ((0, len), None),
            PrefixTail::RestGroup => ((0, len), Some((prefix_len, len))),
            PrefixTail::WholeGroup => ((0, len), Some((0, len))),
            PrefixTail::Digits => {
                let digits = subject.get(prefix_len..).unwrap_or_default().iter().take_while(|b| b.is_ascii_digit());
                ((0, prefix_len + digits.count()), None)
            }
            PrefixTail::DigitsEnd if subject.get(prefix_len..).unwrap_or_default().iter().all(u8::is_ascii_digit) => {
                ((0, len), None)
            }
            PrefixTail::DigitsEnd => return None,
        })
    }
}

/// `.*`: any run of bytes (subjects are cut at their first NUL, so it takes the rest).
fn any_run(n: &Node) -> bool {
    matches!(n, Node::Repeat { node, min: 0, max: None } if matches!(**node, Node::Any))
}

/// `[0-9]*`: a run of ASCII digits (a dialplan's "any number of digits").
fn digit_run(n: &Node) -> bool {
    matches!(n, Node::Repeat { node, min: 0, max: None }
        if matches!(&**node, Node::Class(set) if (0..=255u8).all(|b| set.contains(b) == b.is_ascii_digit())))
}

/// The top-level sequence with nested sequences (not groups) opened up.
pub(super) fn open_sequences<'a>(node: &'a Node, out: &mut Vec<&'a Node>) {
    match node {
        Node::Concat(items) => items.iter().for_each(|n| open_sequences(n, out)),
        Node::Empty => {}
        other => out.push(other),
    }
}

/// The items after one or more leading start-of-subject anchors.
fn strip_start<'a, 'n>(items: &'a [&'n Node]) -> Option<&'a [&'n Node]> {
    let is_start = |n: &&Node| matches!(n, Node::Assert(Assertion::LineStart | Assertion::BufStart));
    let skip = items.iter().take_while(|n| is_start(n)).count();
    (skip > 0).then(|| &items[skip..])
}

fn anchored(node: &Node) -> bool {
    match node {
        Node::Assert(Assertion::LineStart | Assertion::BufStart) => true,
        Node::Group { node, .. } => anchored(node),
        Node::Repeat { node, min, .. } => *min > 0 && anchored(node),
        Node::Alternate(alts) => alts.iter().all(anchored),
        Node::Concat(items) => {
            for item in items {
                if anchored(item) {
                    return true;
                }
                if !matches!(item, Node::Assert(_) | Node::Empty) {
                    return false;
                }
            }
            false
        }
        _ => false,
    }
}

impl Node {
    /// Whether `pred` holds for this node or any node below it.
    pub fn any(&self, pred: &dyn Fn(&Node) -> bool) -> bool {
        if pred(self) {
            return true;
        }
        match self {
            Node::Group { node, .. } | Node::Repeat { node, .. } => node.any(pred),
            Node::Concat(items) | Node::Alternate(items) => items.iter().any(|n| n.any(pred)),
            _ => false,
        }
    }

    /// The sequence this node matches, with groups and nested sequences opened up.
    pub(super) fn flatten(&self) -> Vec<&Node> {
        let mut out = Vec::new();
        self.flatten_into(&mut out);
        out
    }

    fn flatten_into<'a>(&'a self, out: &mut Vec<&'a Node>) {
        match self {
            Node::Concat(items) => items.iter().for_each(|n| n.flatten_into(out)),
            Node::Group { node, .. } => node.flatten_into(out),
            Node::Empty => {}
            other => out.push(other),
        }
    }
}

#[cfg(test)]
mod prefix_form_tests {
    use super::*;
    use crate::regex::{parse, Flags, Regex};

    const BRE: Flags = Flags { extended: false, insensitive: false };

    fn form(p: &[u8], f: Flags) -> Option<(Vec<u8>, PrefixTail)> {
        parse(p, f).ok().and_then(|a| a.prefix_form())
    }

    #[test]
    fn dialplan_routes_have_a_prefix_form() {
        assert_eq!(form(br"^1790974054$", BRE), Some((b"1790974054".to_vec(), PrefixTail::Exact)));
        assert_eq!(form(br"^0049", BRE), Some((b"0049".to_vec(), PrefixTail::Prefix)));
        assert_eq!(form(br"^0049.*", BRE), Some((b"0049".to_vec(), PrefixTail::Rest)));
        assert_eq!(form(br"^222654\(.*\)$", BRE), Some((b"222654".to_vec(), PrefixTail::RestGroup)));
        assert_eq!(form(br"^\(179090.*\)$", BRE), Some((b"179090".to_vec(), PrefixTail::WholeGroup)));
        assert_eq!(form(br"^\(.*\)$", BRE), Some((vec![], PrefixTail::RestGroup)));
        assert_eq!(form(br"^(12)(.*)$", Flags { extended: true, insensitive: false }), None);
        assert_eq!(form(br"^1960[0-9]*$", BRE), Some((b"1960".to_vec(), PrefixTail::DigitsEnd)));
        assert_eq!(form(br"^1960[0-9]*", BRE), Some((b"1960".to_vec(), PrefixTail::Digits)));
        assert_eq!(form(br"^1960[0-8]*$", BRE), None);
        assert_eq!(form(br"^1960[0-9]\+$", BRE), None);
        assert_eq!(form(br"^12\(3\)$", BRE), None);
        assert_eq!(form(br"12.*", BRE), None);
        assert_eq!(form(br"^ab$", Flags { extended: false, insensitive: true }), None);
        assert_eq!(form(br"^1\(.*\)\(.*\)$", BRE), None);
    }

    /// The slots from the form are the ones the matcher reports, for every subject
    /// that starts with the prefix.
    #[test]
    fn prefix_form_slots_are_the_matchers() {
        let patterns: [&[u8]; 11] = [
            br"^6823[0-9]*$",
            br"^6823[0-9]*",
            br"^1790974054$",
            br"^0049",
            br"^0049.*",
            br"^0049.*$",
            br"^222654\(.*\)$",
            br"^222654\(.*\)",
            br"^\(179090.*\)$",
            br"^\(.*\)$",
            br"^$",
        ];
        let tails: [&[u8]; 9] = [b"", b"1", b"12345", b"\0x", b"9\09", b" a b", b"12a", b"x1", b"0/"];
        for p in patterns {
            let Some((lit, tail)) = form(p, BRE) else { panic!("{p:?} has a form") };
            let Ok(re) = Regex::new(p, BRE) else { panic!("{p:?} compiles") };
            for t in tails {
                let subject = [&lit[..], t].concat();
                let cut = subject.iter().position(|&b| b == 0).map_or(&subject[..], |i| &subject[..i]);
                assert_eq!(
                    tail.slots(lit.len(), cut),
                    re.captures(&subject),
                    "{:?} on {subject:?}",
                    String::from_utf8_lossy(p)
                );
            }
        }
    }
}
