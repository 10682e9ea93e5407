//! RR109 stray-close-brace: a `}` line while no block is open.
//!
//! ## What it does
//! Walks the `{`/`}` nesting of each context as Yate does and reports lines whose key
//! starts with `}` when no block is open.
//!
//! ## Why is this bad?
//! Yate logs "Got '}' outside block" and skips the **whole** line: its condition, its
//! action, and a `{` it might open. The line cannot work as written.
//!
//! ## Example
//! ```ini
//! [default]
//! } ^1$=tone/busy
//! ```

use crate::lint::{blocks, Checker};

pub(crate) fn check(cx: &mut Checker<'_>) {
    for (_, ctx) in cx.routing_contexts() {
        for i in blocks::walk(&ctx.rules).stray {
            let rule = &ctx.rules[i];
            cx.report(rule.entry.span, "`}` with no open block: Yate skips this whole line")
                .primary("no block to close")
                .help("remove the `}` or add the `= {` line that should open the block");
        }
    }
}
