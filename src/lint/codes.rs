//! The one table from lint codes to rules.
//!
//! `RR0xx` codes are about the file (loader notes, `[priorities]`, `[extra]`); `RR1xx`
//! codes are about rule lines. Codes are stable: a retired code is never reused.
//!
//! Severity policy: an error is something Yate itself cannot do as written and says so
//! at run time (a regex glibc refuses, a missing jump target, a stray `}`, a block
//! overflow, an invalid function, a handler whose context is missing). Valid syntax that
//! Yate runs, however surprising (`#` rules, Perl syntax that compiles as literal text,
//! `\5` with two groups, `echo;x=1`), is a warning.

use super::rules::*;
use super::Checker;
use crate::diag::Severity;

/// One lint rule.
pub struct RuleInfo {
    /// Stable code, e.g. `RR101`.
    pub code: &'static str,
    /// Kebab-case name, e.g. `invalid-regex`.
    pub name: &'static str,
    /// The severity it reports at unless a finding says otherwise.
    pub severity: Severity,
    /// Its file under `src/lint/rules/` (without `.rs`); the docs come from there.
    pub module: &'static str,
    /// The check.
    pub run: fn(&mut Checker<'_>),
}

macro_rules! rule {
    ($code:literal, $name:literal, $sev:ident, $module:ident) => {
        RuleInfo {
            code: $code,
            name: $name,
            severity: Severity::$sev,
            module: stringify!($module),
            run: $module::check,
        }
    };
}

/// Every rule, in code order.
pub static RULES: &[RuleInfo] = &[
    rule!("RR001", "missing-include", Warning, missing_include),
    rule!("RR002", "recursive-include", Warning, recursive_include),
    rule!("RR003", "broken-section-include", Warning, broken_section_include),
    rule!("RR004", "entry-outside-section", Warning, entry_outside_section),
    rule!("RR005", "header-trailing-text", Warning, header_trailing_text),
    rule!("RR006", "ignored-line", Warning, ignored_line),
    rule!("RR007", "invalid-bytes", Warning, invalid_bytes),
    rule!("RR008", "continuation-pitfall", Warning, continuation_pitfall),
    rule!("RR010", "missing-extra-context", Error, missing_extra_context),
    rule!("RR011", "malformed-extra-entry", Warning, malformed_extra_entry),
    rule!("RR012", "unknown-priority", Warning, unknown_priority),
    rule!("RR013", "ignored-priority-value", Warning, ignored_priority_value),
    rule!("RR014", "duplicate-priority", Warning, duplicate_priority),
    rule!("RR101", "invalid-regex", Error, invalid_regex),
    rule!("RR102", "pcre-syntax", Warning, pcre_syntax),
    rule!("RR103", "hash-rule", Warning, hash_rule),
    rule!("RR104", "backref-beyond-groups", Warning, backref_beyond_groups),
    rule!("RR105", "backref-always-empty", Warning, backref_always_empty),
    rule!("RR106", "unknown-jump-target", Error, unknown_jump_target),
    rule!("RR107", "keyword-glued-to-semicolon", Warning, keyword_glued_to_semicolon),
    rule!("RR108", "unreachable-rule", Warning, unreachable_rule),
    rule!("RR109", "stray-close-brace", Error, stray_close_brace),
    rule!("RR110", "unclosed-block", Warning, unclosed_block),
    rule!("RR111", "block-overflow", Error, block_overflow),
    rule!("RR112", "invalid-function-call", Error, invalid_function_call),
    rule!("RR113", "unclosed-function-call", Warning, unclosed_function_call),
    rule!("RR114", "malformed-condition", Error, malformed_condition),
    rule!("RR115", "bre-default-rule-in-ere", Warning, bre_default_rule_in_ere),
    rule!("RR116", "regex-may-hang", Warning, regex_may_hang),
];

/// The rule with this code.
pub fn by_code(code: &str) -> Option<&'static RuleInfo> {
    RULES.iter().find(|r| r.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_are_unique_and_ordered() {
        for w in RULES.windows(2) {
            assert!(w[0].code < w[1].code, "{} before {}", w[0].code, w[1].code);
        }
        let mut names: Vec<_> = RULES.iter().map(|r| r.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), RULES.len());
    }
}
