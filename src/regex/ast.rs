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
    fn flatten(&self) -> Vec<&Node> {
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
