//! RR113 unclosed-function-call: a `$(` with no `)` after it in an action.
//!
//! ## What it does
//! Reports the first `$(` of an action piece that has no closing `)`.
//!
//! ## Why is this bad?
//! Yate logs "Unmatched function end" and stops evaluating functions in that piece:
//! the `$(` and everything after it stay as literal text in the target or parameter.
//!
//! ## Example
//! ```ini
//! [default]
//! ^1$=sip/sip:$(upper,abc@gw
//! ```

use crate::lint::template_scan::calls;
use crate::lint::{action_texts, Checker};
use crate::syntax::Side;

pub(crate) fn check(cx: &mut Checker<'_>) {
    for (_, ctx) in cx.routing_contexts() {
        for rule in &ctx.rules {
            for piece in action_texts(rule) {
                let Some(open) = calls(&piece.text).1 else { continue };
                let at = piece.range.start + open;
                cx.report(
                    rule.span_of(Side::Value, at..at + 2),
                    "`$(` has no closing `)`: the rest stays literal text",
                )
                .primary("unclosed")
                .help("close the call with `)`; to write a literal `$(` use `$($)(`");
            }
        }
    }
}
