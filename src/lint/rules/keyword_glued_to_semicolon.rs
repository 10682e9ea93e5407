//! RR107 keyword-glued-to-semicolon: `echo;…`, `dispatch;…` or `{;…`, which are targets.
//!
//! ## What it does
//! Reports an action whose first `;`-piece is exactly `echo`, `output`, `debug`,
//! `dispatch`, `enqueue` or `{` while more pieces follow.
//!
//! ## Why is this bad?
//! Yate recognises these words before it splits the value at `;`, and only as whole
//! words followed by a blank. `echo;x=1` is not an echo: it sets `x` and **routes the
//! call to a target named `echo`**. The same holds for `dispatch;a=1`, and `{;a=1`
//! opens no block. (`return;x=1` and `goto ctx;x=1` are fine: those words are
//! recognised after the split.)
//!
//! ## Example
//! ```ini
//! [default]
//! .*=echo;seen=yes
//! ```

use crate::lint::Checker;
use crate::syntax::{Action, Side};

const WORDS: &[&str] = &["echo", "output", "debug", "dispatch", "enqueue", "{"];

pub(crate) fn check(cx: &mut Checker<'_>) {
    for (_, ctx) in cx.routing_contexts() {
        for rule in &ctx.rules {
            let Some(Action::Plain { pieces }) = &rule.action else { continue };
            let [first, _, ..] = pieces.as_slice() else { continue };
            let word = first.text.trim_matches([' ', '\t']);
            if !WORDS.contains(&word) {
                continue;
            }
            let span = rule.span_of(Side::Value, first.range.start..first.range.end + 1);
            let (what, fix) = match word {
                "{" => (
                    "does not open a block".to_string(),
                    "put the assignments on a line of their own inside the block".to_string(),
                ),
                w @ ("dispatch" | "enqueue") => {
                    (format!("is not the `{w}` keyword"), format!("name the message: `{w} NAME;...`"))
                }
                w => (format!("is not the `{w}` keyword"), format!("put a blank after `{w}`: `{w} ...`")),
            };
            cx.report(span, format!("`{word};` {what}: the line routes to a target named `{word}`"))
                .primary("a target, not a keyword")
                .help(fix);
        }
    }
}
