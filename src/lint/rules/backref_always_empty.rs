//! RR105 backref-always-empty: `\9`, or a back-reference after a negated condition.
//!
//! ## What it does
//! Reports `\9` in an action, and any `\N` in an action whose last evaluated condition
//! is negated with a trailing `^` (this includes `${p}` and `$(f)` conditions without a
//! regex, whose stock default rule is negated).
//!
//! ## Why is this bad?
//! Yate asks glibc for nine slots only (the whole match and groups 1 to 8), so `\9` is
//! always empty. When a negated condition succeeds its regex did not match, so Yate
//! clears every capture, `\0` included.
//!
//! ## Example
//! ```ini
//! [default]
//! ${caller}^anonymous$^=sip/sip:\0@gw
//! ```

use super::backref_beyond_groups::{captures, Captures};
use crate::lint::template_scan::backrefs;
use crate::lint::{action_texts, Checker};
use crate::syntax::Side;

pub(crate) fn check(cx: &mut Checker<'_>) {
    for (ci, ctx) in cx.routing_contexts() {
        for (ri, rule) in ctx.rules.iter().enumerate() {
            let Some(low) = cx.ir_rule(ci, ri) else { continue };
            let Some(Captures { groups, last }) = captures(cx, rule, low) else { continue };
            for piece in action_texts(rule) {
                for (at, n) in backrefs(&piece.text) {
                    let start = piece.range.start + at;
                    let span = rule.span_of(Side::Value, start..start + 2);
                    if groups.is_none() {
                        cx.report(span, format!("`\\{n}` is always empty: the condition before it is negated"))
                            .primary("always empty")
                            .label(last, "negated: when it succeeds, nothing matched")
                            .help("match positively in a condition of its own, or drop the back-reference");
                    } else if n == 9 {
                        cx.report(span, "`\\9` is always empty: Yate reads only groups 1 to 8")
                            .primary("always empty")
                            .help("use at most 8 capturing groups before the ones you refer to");
                    }
                }
            }
        }
    }
}
