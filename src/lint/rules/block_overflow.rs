//! RR111 block-overflow: more than 10 nested `{` blocks.
//!
//! ## What it does
//! Reports the block opener that would be the eleventh open block in its context.
//!
//! ## Why is this bad?
//! Yate's block stack holds 10 blocks. On the eleventh it logs "Block stack overflow"
//! and when evaluation reaches that line the **whole context** returns "not handled".
//!
//! ## Example
//! ```ini
//! [default]
//! .*={
//! .*={
//! .*={
//! .*={
//! .*={
//! .*={
//! .*={
//! .*={
//! .*={
//! .*={
//! .*={
//! ```

use crate::lint::{blocks, Checker};

pub(crate) fn check(cx: &mut Checker<'_>) {
    for (_, ctx) in cx.routing_contexts() {
        let Some(i) = blocks::walk(&ctx.rules).overflow else { continue };
        let rule = &ctx.rules[i];
        cx.report(
            rule.entry.span,
            format!("block nested deeper than {}: Yate abandons `[{}]` here", blocks::MAX_OPEN, ctx.name),
        )
        .primary("eleventh open block")
        .help("flatten the blocks, or move the inner part into its own context and `include` it");
    }
}
