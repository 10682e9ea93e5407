//! RR115 bre-default-rule-in-ere: `${p}` with no regex under `extended=yes`.
//!
//! ## What it does
//! Reports `${p}` and `$(f)` conditions without a regex (or with only `^`) when
//! `[priorities]` sets `extended=yes` and leaves `defaultrule` at its stock value.
//!
//! ## Why is this bad?
//! The stock default rule `^\(false\|no\|off\|disable\|f\|0*\)$^` is written as a
//! basic regex. Compiled as extended, `\(`, `\|` and `\)` are literal characters, it
//! practically never matches, and its negation is always true: `${p}=…` then succeeds
//! even when `p` is `false`, empty or absent, and `${p}^=…` practically never does.
//!
//! ## Example
//! ```ini
//! [priorities]
//! extended=yes
//! [default]
//! ${trusted}=sip/sip:${called}@gw
//! ```

use crate::ir::Settings;
use crate::lint::Checker;
use crate::syntax::CondKind;

pub(crate) fn check(cx: &mut Checker<'_>) {
    let s = &cx.ir.settings;
    if !s.extended || s.defaultrule != Settings::default().defaultrule {
        return;
    }
    for (_, ctx) in cx.routing_contexts() {
        for rule in &ctx.rules {
            for cond in rule.conds() {
                let written = cond.regex_text().trim_matches([' ', '\t']);
                let uses_default = matches!(cond.kind, CondKind::Param { .. } | CondKind::Func { .. })
                    && (written.is_empty() || written == "^");
                if !uses_default {
                    continue;
                }
                let span = rule.span_of(cond.side, cond.range.clone());
                let result = if written.is_empty() { "always" } else { "never" };
                let message =
                    format!("with `extended=yes` the stock default rule is broken: this is (almost) {result} true");
                cx.report(span, message)
                    .primary("uses the default rule")
                    .help("set `defaultrule=^(false|no|off|disable|f|0*)$^` in [priorities], or write the regex");
            }
        }
    }
}
