//! RR101 invalid-regex: a regex glibc refuses to compile.
//!
//! ## What it does
//! Compiles every rule regex exactly as Yate does (glibc `regcomp`, basic or extended
//! syntax per `extended`, `insensitive` honoured) and reports the ones that fail, and
//! a `defaultrule` that fails.
//!
//! ## Why is this bad?
//! Yate logs a warning at every evaluation and treats the condition as "no match": the
//! rule never fires. With a trailing `^` (negation) it is the other way round: the
//! condition **always** succeeds. Either way the line cannot work as written.
//!
//! ## Example
//! ```ini
//! [default]
//! ^\(1[0-9]$=sip/sip:\1@gw
//! ```

use crate::lint::{regex_scan, Checker, Written};
use crate::regex::PosixRegex;

pub(crate) fn check(cx: &mut Checker<'_>) {
    let flags = cx.ir.settings.flags();
    for Written { rule, cond, low, pattern, at } in cx.written_regexes() {
        let Some(Err(err)) = cx.regex_of(low).map(|e| e.compiled()) else { continue };
        if pattern.is_empty() && low.negated {
            continue; // a lone `^`: Yate's "always" idiom, never compiled
        }
        if !regex_scan::pcre_findings(pattern.as_bytes(), flags.extended).is_empty() {
            continue; // pcre-syntax explains it better
        }
        let outcome = if low.negated { "with its trailing `^` it always matches" } else { "it never matches" };
        let span = rule.span_of(cond.side, at..at + pattern.len());
        let syntax = if flags.extended { "extended" } else { "basic" };
        cx.report(span, format!("glibc cannot compile this {syntax} regex ({err}), so {outcome}"))
            .primary(err.to_string())
            .help(help(flags.extended));
    }
    check_defaultrule(cx);
}

fn help(extended: bool) -> &'static str {
    if extended {
        "the file sets `extended=yes`: groups are `( )`, alternation `|`, intervals `{m,n}`"
    } else {
        "in a basic regex, groups are `\\( \\)`, alternation `\\|`, intervals `\\{m,n\\}`"
    }
}

/// `defaultrule` is compiled for every `${p}`/`$(f)` condition without a regex.
fn check_defaultrule(cx: &mut Checker<'_>) {
    let Some(prio) = cx.doc.section("priorities") else { return };
    let Some(entry) = prio.entries.iter().find(|e| e.key == "defaultrule") else { return };
    let rule = entry.value.strip_suffix('^').unwrap_or(&entry.value);
    if rule.is_empty() {
        return;
    }
    let flags = cx.ir.settings.flags();
    if let Err(err) = PosixRegex::compile(rule.as_bytes(), flags) {
        let span = entry.value_span(0, rule.len());
        cx.report(span, format!("glibc cannot compile `defaultrule` ({err}); conditions without a regex misbehave"))
            .primary(err.to_string())
            .help(help(flags.extended));
    }
}
