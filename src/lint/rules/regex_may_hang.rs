//! RR116 regex-may-hang: a repeated alternation on which glibc's matcher can loop for ever.
//!
//! ## What it does
//! Reports a group repeated without an upper bound (`*`, `+`, `{n,}`) whose
//! alternatives are, in order, one that can match the empty string, one that cannot,
//! and another that can: `(()|a|())+`, `(a*|b|c*)+`, `(x?|[0-9]|y?)*`.
//!
//! ## Why is this bad?
//! On such a pattern glibc's `regexec`, when it works out the groups of a match, can
//! go round for ever: `(a*|b|c*)+` against `aab` never returns. Yate calls it for every
//! message the rule is tried on, and so does rexroute, which gives the same matches;
//! the handler thread then hangs. Which subjects trigger it is hard to foresee.
//!
//! ## Example
//! ```ini
//! [priorities]
//! extended=yes
//! [default]
//! ^(a*|b|c*)+$=sip/sip:\1@gw
//! ```

use crate::lint::{Checker, Written};
use crate::regex::syntax::Node;

pub(crate) fn check(cx: &mut Checker<'_>) {
    let flags = cx.ir.settings.flags();
    for Written { rule, cond, pattern, at, .. } in cx.written_regexes() {
        let Ok(ast) = crate::regex::parse(pattern.as_bytes(), flags) else { continue };
        if !may_hang(&ast.root) {
            continue;
        }
        let span = rule.span_of(cond.side, at..at + pattern.len());
        cx.report(span, "glibc's matcher can loop for ever on this regex")
            .primary("a repeated alternation with empty-matching alternatives around another")
            .help("make the alternatives match at least one character and repeat the group with `*` instead, e.g. `(a+|b|c+)*`");
    }
}

/// Whether `node` holds a group repeated without bound whose alternatives are, in
/// order, one that matches the empty string, one that does not, and one that does.
pub(crate) fn may_hang(node: &Node) -> bool {
    match node {
        Node::Repeat { node, max: None, .. } => hanging_alternation(node) || may_hang(node),
        Node::Repeat { node, .. } | Node::Group { node, .. } => may_hang(node),
        Node::Concat(nodes) | Node::Alternate(nodes) => nodes.iter().any(may_hang),
        _ => false,
    }
}

fn hanging_alternation(node: &Node) -> bool {
    match node {
        Node::Group { node, .. } => hanging_alternation(node),
        Node::Alternate(alts) => {
            let Some(first) = alts.iter().position(nullable) else { return false };
            let rest = alts.get(first + 1..).unwrap_or_default();
            rest.iter()
                .position(|a| !nullable(a))
                .is_some_and(|solid| rest.get(solid + 1..).unwrap_or_default().iter().any(nullable))
        }
        _ => false,
    }
}

/// Whether `node` can match the empty string.
fn nullable(node: &Node) -> bool {
    match node {
        Node::Empty | Node::Assert(_) => true,
        Node::Literal(_) | Node::Class(_) | Node::Any => false,
        // A group it refers to may have matched the empty string.
        Node::Backref(_) => true,
        Node::Group { node, .. } => nullable(node),
        Node::Concat(nodes) => nodes.iter().all(nullable),
        Node::Alternate(nodes) => nodes.iter().any(nullable),
        Node::Repeat { node, min, .. } => *min == 0 || nullable(node),
    }
}

#[cfg(test)]
mod tests {
    use super::may_hang;
    use crate::regex::Flags;

    const ERE: Flags = Flags { extended: true, insensitive: false };
    const BRE: Flags = Flags { extended: false, insensitive: false };

    fn hangs(p: &str, f: Flags) -> bool {
        let Ok(ast) = crate::regex::parse(p.as_bytes(), f) else { panic!("{p} parses") };
        may_hang(&ast.root)
    }

    /// The shapes found to loop in glibc, and near ones that return.
    #[test]
    fn repeated_alternations_empty_around_solid() {
        for p in [
            "(()|a|())+",
            "(()|a|())*",
            "(a*|b|c*)+",
            "((a?)|b|(c?))+",
            "(()|a|b*)+",
            "(a*|b|c*){1,}",
            "(()|a|()|b)+",
            "^(a*|b|c*)+$",
            "x((())|a|())+",
        ] {
            assert!(hangs(p, ERE), "{p}");
        }
        assert!(hangs("\\(\\(\\)\\|a\\|\\(\\)\\)\\+", BRE));
        for p in [
            "(a|())+",
            "(()|a)+",
            "(a*)+",
            "(a*|b*)+",
            "(a*|b)+",
            "(b|a*|c*)+",
            "(a*|b|c*){2,5}",
            "(()|a|())",
            "(a|b|c)+",
            "^00(1|7|44)[0-9]*$",
        ] {
            assert!(!hangs(p, ERE), "{p}");
        }
    }
}
