//! RR106 unknown-jump-target: `goto`, `jump`, `include` or `call` to a missing context.
//!
//! ## What it does
//! Reports a `goto`/`jump`/`include`/`call` action whose context name is written
//! literally and is not a section of the configuration, or is missing altogether
//! (`goto;x=1`). Targets built at run time (`goto ${ctx}`) and the `@goto`/`@include`
//! forms, which say a missing context is expected, are not reported.
//!
//! ## Why is this bad?
//! `goto` to a missing context makes the context return "not handled" at once, with
//! no fallthrough to later lines: at the top level the call is not routed. `include` to a missing context does nothing. Yate
//! only logs "Missing target context" when the line is reached.
//!
//! ## Example
//! ```ini
//! [default]
//! ^0=goto outbund
//! [outbound]
//! ```

use crate::ir::{Action, Keyword};
use crate::lint::Checker;
use crate::syntax::{self, Side};

pub(crate) fn check(cx: &mut Checker<'_>) {
    for (ci, ctx) in cx.routing_contexts() {
        for (ri, rule) in ctx.rules.iter().enumerate() {
            let Some(low) = cx.ir_rule(ci, ri) else { continue };
            let Action::Plain { keyword: Some(kw), .. } = &low.action else { continue };
            let (target, goes_on) = match kw {
                Keyword::Goto { ctx, silent: false } => (ctx, false),
                Keyword::Include { ctx, silent: false } => (ctx, true),
                _ => continue,
            };
            let Some(piece) = first_piece(rule) else { continue };
            let span = rule.span_of(Side::Value, piece.range.clone());
            let word = piece.text.split([' ', '\t']).next().unwrap_or("goto").to_string();
            let name = String::from_utf8_lossy(target).into_owned();
            let effect = if goes_on { "does nothing" } else { "makes this context return \"not handled\"" };
            if name.is_empty() {
                cx.report(span, format!("`{word}` without a context name {effect}"))
                    .primary("no context")
                    .help(format!("write `{word} NAME` (the `;` ends the action before any name)"));
            } else if cx.ir.context(target).is_none() {
                let help = match near(cx, &name) {
                    Some(n) => format!("did you mean `{n}`? (use `@{word}` if the context is optional)"),
                    None => format!("add a `[{name}]` section, or use `@{word}` if it is optional"),
                };
                cx.report(span, format!("context `{name}` does not exist, so this `{word}` {effect}"))
                    .primary("no such section")
                    .help(help);
            }
        }
    }
}

fn first_piece(rule: &syntax::Rule) -> Option<&syntax::Piece> {
    match &rule.action {
        Some(syntax::Action::Plain { pieces }) => pieces.first(),
        _ => None,
    }
}

/// A section whose name differs from `name` by case or by one edit.
fn near(cx: &Checker<'_>, name: &str) -> Option<String> {
    cx.ast
        .contexts
        .iter()
        .map(|c| c.name.as_str())
        .find(|c| c.eq_ignore_ascii_case(name) || one_edit(c, name))
        .map(str::to_string)
}

fn one_edit(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let (s, l) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if s == l || l.len() - s.len() > 1 {
        return false;
    }
    let p = s.iter().zip(&l).take_while(|(x, y)| x == y).count();
    if s.len() == l.len() {
        s[p + 1..] == l[p + 1..]
    } else {
        s[p..] == l[p + 1..]
    }
}
