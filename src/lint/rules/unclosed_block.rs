//! RR110 unclosed-block: a `{` block still open at the end of its context.
//!
//! ## What it does
//! Reports each block opener (a value that is `{` or ends in `= {`) that no `}` line
//! closes before the context ends.
//!
//! ## Why is this bad?
//! Yate warns "There are N blocks still open" at the end of the context. When the
//! opener's condition fails, every line after it to the end of the context is skipped,
//! which is rarely what was meant. Note that `^1$=sip/x={` also opens a block.
//!
//! ## Example
//! ```ini
//! [default]
//! ${caller}^1=  {
//! .*=tone/busy
//! ```

use crate::lint::{blocks, Checker};

pub(crate) fn check(cx: &mut Checker<'_>) {
    for (_, ctx) in cx.routing_contexts() {
        for i in blocks::walk(&ctx.rules).unclosed {
            let rule = &ctx.rules[i];
            cx.report(rule.entry.span, format!("this block is never closed before the end of `[{}]`", ctx.name))
                .primary("opens a block")
                .help("add a line `}` where the block should end");
        }
    }
}
