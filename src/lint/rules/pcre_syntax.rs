//! RR102 pcre-syntax: Perl/PCRE regex syntax in a POSIX regex.
//!
//! ## What it does
//! Reports Perl-only constructs in rule regexes: `(?…)` groups (lookahead, lookbehind,
//! non-capturing groups, inline flags), escapes such as `\d`, `\D`, `\t`, `\x41`,
//! lazy quantifiers (`*?`, `+?`) and, in extended mode, possessive ones (`*+`).
//!
//! ## Why is this bad?
//! Yate uses POSIX regexes (glibc). `(?` does not compile in extended mode and is
//! literal text in basic mode; `\d` is the letter `d`; `.*?` is greedy, or in basic
//! mode a literal `?`. The rule never matches what it was written for.
//!
//! ## Example
//! ```ini
//! [default]
//! ${module}^(?!analog).*$=goto nonanalog
//! [nonanalog]
//! ```

use crate::lint::{regex_scan, Checker, Written};

pub(crate) fn check(cx: &mut Checker<'_>) {
    let extended = cx.ir.settings.extended;
    for Written { rule, cond, low, pattern, at } in cx.written_regexes() {
        let compiled = cx.regex_of(low).map(|e| e.compiled().as_ref().map(|_| ()).map_err(|e| e.to_string()));
        for f in regex_scan::pcre_findings(pattern.as_bytes(), extended) {
            let span = rule.span_of(cond.side, at + f.range.start..at + f.range.end);
            let text = &pattern[f.range.clone()];
            let fate = match &compiled {
                Some(Err(e)) => format!(" (glibc refuses the whole regex: {e})"),
                _ => String::new(),
            };
            cx.report(span, format!("`{text}` is Perl syntax, not POSIX{fate}"))
                .primary(f.what)
                .help("Yate uses POSIX regexes: rewrite with `[...]`, `\\|` alternation, or an extra rule with a trailing `^` for negation");
        }
    }
}
