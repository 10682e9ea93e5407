//! RR108 unreachable-rule: rules after a line that always matches and always stops.
//!
//! ## What it does
//! Finds, in each context, the first line outside any block that matches every match
//! string (`.*`, `^.*$`, `\(.*\)`, a lone `^`, a regex that matches the empty string
//! with no anchor) with no `if`/`and`/`or`, and whose action always ends the context
//! (a literal target, `goto`/`jump`, `return`). It reports the line after it.
//!
//! `${p}` and `$(f)` conditions are never taken as always-true: they depend on the
//! message.
//!
//! ## Why is this bad?
//! Yate stops at the first matching target, so no rule after that line in the same
//! context ever runs, including rules added later by reopening the section.
//!
//! ## Example
//! ```ini
//! [default]
//! .*=sip/sip:${called}@gw
//! ^911$=tone/congestion
//! ```

use crate::ir::{self, classify, Action, Keyword, Matcher, Subject};
use crate::lint::{blocks, regex_scan, Checker};
use crate::syntax;

pub(crate) fn check(cx: &mut Checker<'_>) {
    for (ci, ctx) in cx.routing_contexts() {
        let walk = blocks::walk(&ctx.rules);
        let stop = ctx.rules.iter().enumerate().position(|(ri, rule)| {
            walk.depth.get(ri) == Some(&0) && cx.ir_rule(ci, ri).is_some_and(|low| always_stops(cx, rule, low))
        });
        let Some(stop) = stop else { continue };
        let Some(next) = ctx.rules.get(stop + 1) else { continue };
        let rest = ctx.rules.len() - stop - 1;
        let more = if rest > 1 { format!(" (nor the {} after it)", rest - 1) } else { String::new() };
        cx.report(
            next.entry.span,
            format!("this rule never runs{more}: the rule before it always ends `[{}]`", ctx.name),
        )
        .primary("unreachable")
        .label(ctx.rules[stop].entry.span, "always matches and stops here")
        .help("move the catch-all rule to the end of the context, or make its condition narrower");
    }
}

/// Whether a line matches every message and ends the context.
fn always_stops(cx: &Checker<'_>, rule: &syntax::Rule, low: &ir::Rule) -> bool {
    let plain = matches!(rule.cond.kind, syntax::CondKind::Plain) && matches!(low.cond.subject, Subject::MatchString);
    if rule.close.is_some() || rule.opens_block || !rule.links.is_empty() || rule.broken.is_some() || !plain {
        return false;
    }
    let stops = match &low.action {
        Action::Plain { keyword: Some(kw), .. } => ends_context(kw),
        Action::Plain { keyword: None, .. } => first_piece(rule).is_some_and(dynamic_stops),
        _ => false,
    };
    stops && always_matches(cx, &low.cond)
}

fn ends_context(kw: &Keyword) -> bool {
    matches!(kw, Keyword::Target(_) | Keyword::Goto { .. } | Keyword::Return(_))
}

fn first_piece(rule: &syntax::Rule) -> Option<&str> {
    match &rule.action {
        Some(syntax::Action::Plain { pieces }) => pieces.first().map(|p| p.text.as_str()),
        _ => None,
    }
}

/// Whether an action string with substitutions surely ends the context: its literal
/// start fixes the first word (`sip/sip:${called}@gw` is a target whatever `called`
/// holds; `goto ${ctx}` jumps), while `${x}` alone could be empty or any keyword.
fn dynamic_stops(first: &str) -> bool {
    let text = first.trim_start_matches([' ', '\t']);
    let cut = ["${", "$(", "\\"].iter().filter_map(|m| text.find(m)).min().unwrap_or(text.len());
    let prefix = &text[..cut];
    match prefix.find([' ', '\t', '\r', '\n']) {
        Some(end) => ends_context(&classify(&prefix.as_bytes()[..end])),
        None => !prefix.is_empty() && !KEYWORDS.iter().any(|k| k.starts_with(prefix)),
    }
}

/// Every action word Yate recognises after substitution (spec §3.5 phase C).
const KEYWORDS: &[&str] = &[
    "noop", "return", "goto", "jump", "@goto", "@jump", "include", "call", "@include", "@call", "match", "newmatch",
    "rename", "retval", "msleep",
];

fn always_matches(cx: &Checker<'_>, cond: &ir::Cond) -> bool {
    let Matcher::Regex(id) = cond.matcher else { return false };
    let Some(entry) = cx.ir.regexes.get(id) else { return false };
    match (entry.compiled(), cond.negated) {
        (Err(_), negated) => negated,
        (Ok(_), true) => false,
        (Ok(re), false) => regex_scan::matches_everything(&entry.pattern, entry.flags.extended, re.is_match(b"")),
    }
}
