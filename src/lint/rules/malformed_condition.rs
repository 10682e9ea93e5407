//! RR114 malformed-condition: a condition Yate rejects, so the line fails there.
//!
//! ## What it does
//! Reports `${…` with no `}`, `$(…` with no `)`, `${}x` and `$()x` (nothing inside),
//! `${p}` or `$(f)` with no regex while `defaultrule` is empty, `if`/`and`/`or` with
//! an empty condition (`if =x`), and a connector with no `=` after it (`if ^1$`).
//!
//! ## Why is this bad?
//! Yate logs "Invalid parameter match", "Invalid function match", "Missing parameter
//! or rule" or "Missing 'if'" when evaluation reaches the condition, and the line
//! fails there: its action does not run.
//!
//! ## Example
//! ```ini
//! [default]
//! ${caller^123$=tone/busy
//! ```

use crate::ir::Matcher;
use crate::lint::{cond_pairs, Checker};
use crate::syntax::{self, Side};

pub(crate) fn check(cx: &mut Checker<'_>) {
    for (ci, ctx) in cx.routing_contexts() {
        for (ri, rule) in ctx.rules.iter().enumerate() {
            let Some(low) = cx.ir_rule(ci, ri) else { continue };
            for (cond, lowered) in cond_pairs(rule, low) {
                let span = rule.span_of(cond.side, widen(rule, cond));
                let why = match lowered.map(|l| &l.matcher) {
                    Some(Matcher::Invalid(why)) => *why,
                    None => "Missing 'if'",
                    Some(Matcher::Regex(_)) => continue,
                };
                cx.report(
                    span,
                    format!("Yate rejects this condition (\"{why}\"): the line fails whenever it is reached"),
                )
                .primary("malformed")
                .help(help(why));
            }
            if let Some(b) = &rule.broken {
                let span = rule.span_of(Side::Value, b.range.clone());
                cx.report(
                    span,
                    format!("`{}` has no `=` after its condition: the line fails whenever it is reached", b.conn),
                )
                .primary("no `=`")
                .help("write `CONNECTOR CONDITION = ACTION`");
            }
        }
    }
}

/// An empty link condition (`if =x`) has an empty range: show its connector and `=`.
fn widen(rule: &syntax::Rule, cond: &syntax::Cond) -> std::ops::Range<usize> {
    if !cond.range.is_empty() {
        return cond.range.clone();
    }
    let link = rule.links.iter().find(|l| std::ptr::eq(&l.cond, cond));
    let before = link.map_or(0, |l| l.gap.len() + l.conn.to_string().len());
    cond.range.start.saturating_sub(before)..cond.range.end + 1
}

fn help(why: &str) -> &'static str {
    match why {
        "Invalid parameter match" => "a parameter condition is `${name}regex`",
        "Invalid function match" => "a function condition is `$(function,args)regex`",
        "Missing 'if'" => "give the connector a condition before its `=`",
        _ => "give the condition a regex, or set a non-empty `defaultrule`",
    }
}
