//! RR104 backref-beyond-groups: `\N` in an action beyond the groups of its condition.
//!
//! ## What it does
//! Reports `\2`…`\8` in an action when the condition whose captures it reads has fewer
//! capturing groups. That condition is the last one evaluated: the last `if`/`and`
//! condition, or any condition an `or` may stop at (the largest group count of those
//! counts). Group counts come from glibc.
//!
//! `\1` with no group at all is not reported: Yate then gives the whole match, like
//! `\0`.
//!
//! ## Why is this bad?
//! Yate substitutes an empty string for a group that does not exist, so the target or
//! parameter silently loses that part.
//!
//! ## Example
//! ```ini
//! [default]
//! ^0\([0-9]*\)$=sip/sip:\2@gw
//! ```

use crate::ir;
use crate::lint::template_scan::backrefs;
use crate::lint::{action_texts, Checker};
use crate::syntax::{self, Connector, Side};

/// What the captures of a matching line can hold.
pub(crate) struct Captures {
    /// Largest group count among the conditions that may be evaluated last, negated
    /// ones excluded; `None` when all of them are negated (every capture is empty).
    pub groups: Option<usize>,
    /// The condition evaluated last when no `or` stops early.
    pub last: crate::source::Span,
}

/// The captures `\N` reads on a matching line; `None` when the line can never match or
/// a regex did not compile (other rules report those).
pub(crate) fn captures(cx: &Checker<'_>, rule: &syntax::Rule, low: &ir::Rule) -> Option<Captures> {
    if rule.broken.is_some() {
        return None;
    }
    let mut last: Vec<&ir::Cond> = Vec::new();
    let mut conds = std::iter::once(Some(&low.cond)).chain(low.links.iter().map(|l| l.cond.as_ref()));
    let mut prev = conds.next()??;
    for (link, cond) in low.links.iter().zip(conds) {
        if link.conn == Connector::Or {
            last.push(prev);
        }
        prev = cond?;
    }
    last.push(prev);
    let last_span = prev.span;
    let mut groups = None;
    for c in last {
        let compiled = cx.regex_of(c)?.compiled().as_ref().ok()?;
        if !c.negated {
            groups = Some(groups.unwrap_or(0).max(compiled.group_count()));
        }
    }
    Some(Captures { groups, last: last_span })
}

pub(crate) fn check(cx: &mut Checker<'_>) {
    for (ci, ctx) in cx.routing_contexts() {
        for (ri, rule) in ctx.rules.iter().enumerate() {
            let Some(low) = cx.ir_rule(ci, ri) else { continue };
            let Some(Captures { groups: Some(groups), last }) = captures(cx, rule, low) else { continue };
            for piece in action_texts(rule) {
                for (at, n) in backrefs(&piece.text) {
                    let n = usize::from(n);
                    if !(1..=8).contains(&n) || n <= groups || (n == 1 && groups == 0) {
                        continue;
                    }
                    let start = piece.range.start + at;
                    let span = rule.span_of(Side::Value, start..start + 2);
                    let have = match groups {
                        0 => "no capturing group".to_string(),
                        1 => "only 1 capturing group".to_string(),
                        g => format!("only {g} capturing groups"),
                    };
                    cx.report(span, format!("`\\{n}` is always empty: the condition it reads has {have}"))
                        .primary("always empty")
                        .label(last, "the captures come from this condition")
                        .help("add a `\\( \\)` group to the regex (`( )` with extended=yes), or use `\\0` for the whole match");
                }
            }
        }
    }
}
