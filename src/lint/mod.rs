//! Lint: find the lines Yate reads differently from how they look.
//!
//! Every rule lives in its own file under `rules/` and is listed once in
//! [`codes::RULES`]. A rule reads the three products of the pipeline — the loaded
//! [`Document`] (with the loader's notes), the lossless [`Ast`] (for exact spans) and the
//! lowered [`Ir`] (for glibc's verdict on each regex and the settings) — and reports
//! [`Diagnostic`]s through a [`Checker`].
//!
//! Severity policy: an *error* means the line cannot work as written in Yate (a regex
//! glibc refuses, a jump to a context that does not exist, ...). Anything Yate accepts
//! and that may be intended is at most a *warning*.
//!
//! Adding a rule:
//! 1. write `rules/<name>.rs`, starting with `//! RRnnn name: summary.` and the headings
//!    `## What it does`, `## Why is this bad?`, `## Example` (an `ini` block that
//!    triggers the rule; `tests/lint_docs.rs` checks that it does);
//! 2. declare it in `rules/mod.rs` and add its row to [`codes::RULES`];
//! 3. add `conformance/lint/RRnnn/<feature>-<behaviour>-1.conf`, run
//!    `INSTA_UPDATE=always cargo test --test lint_fixtures` and review the new snapshot;
//! 4. regenerate `docs/lints.md` with `REXROUTE_BLESS=1 cargo test --test lint_docs`.

mod blocks;
pub mod codes;
mod priorities;
mod regex_scan;
mod rules;
mod template_scan;

use crate::diag::{self, Diagnostic};
use crate::ini::Document;
use crate::ir::{self, Ir};
use crate::source::Span;
use crate::syntax::{self, Ast};
use codes::RuleInfo;

/// Sections regexroute reads as settings or handler lists rather than as rules. Rule
/// checks skip them: nobody routes through `[priorities]`.
pub const SETTINGS_SECTIONS: &[&str] = &["priorities", "$once", "$init", "extra"];

/// Loads nothing: parses and lowers `doc`, then runs every rule.
pub fn lint(doc: &Document) -> Vec<Diagnostic> {
    let ast = syntax::parse(doc);
    let ir = ir::lower(doc, &ast);
    check(doc, &ast, &ir)
}

/// Runs every rule over the three products of one configuration; sorted by position.
pub fn check(doc: &Document, ast: &Ast, ir: &Ir) -> Vec<Diagnostic> {
    let mut cx = Checker { doc, ast, ir, rule: &codes::RULES[0], out: Vec::new() };
    for rule in codes::RULES {
        cx.rule = rule;
        (rule.run)(&mut cx);
    }
    let mut out = cx.out;
    diag::sort(&mut out);
    // A section copied by `[$includesection]` repeats the same lines (same spans).
    out.dedup_by(|a, b| a.code == b.code && a.span == b.span && a.message == b.message);
    out
}

/// What a rule sees, and where it reports.
pub struct Checker<'a> {
    /// The loaded configuration, with the loader's notes.
    pub doc: &'a Document,
    /// Every section as rules, with exact spans.
    pub ast: &'a Ast,
    /// The lowered configuration: settings and compiled regexes.
    pub ir: &'a Ir,
    rule: &'static RuleInfo,
    out: Vec<Diagnostic>,
}

impl<'a> Checker<'a> {
    /// Reports a finding of the running rule, at its default severity.
    pub fn report(&mut self, span: Span, message: impl Into<String>) -> &mut Diagnostic {
        self.out.push(Diagnostic {
            code: self.rule.code,
            name: self.rule.name,
            severity: self.rule.severity,
            message: message.into(),
            span,
            labels: Vec::new(),
            help: None,
        });
        let last = self.out.len() - 1;
        &mut self.out[last]
    }

    /// The contexts rules can route through, with their index (shared by AST and IR).
    pub fn routing_contexts(&self) -> impl Iterator<Item = (usize, &'a syntax::Context)> {
        self.ast.contexts.iter().enumerate().filter(|(_, c)| !SETTINGS_SECTIONS.contains(&c.name.as_str()))
    }

    /// The lowered twin of rule `r` of context `c` (lowering keeps the order 1:1).
    pub fn ir_rule(&self, c: usize, r: usize) -> Option<&'a ir::Rule> {
        self.ir.contexts.get(c)?.rules.get(r)
    }

    /// Every condition of a routing rule whose regex is written in the rule, in file
    /// order, for the rules that read patterns.
    pub fn written_regexes(&self) -> Vec<Written<'a>> {
        let mut out = Vec::new();
        for (ci, ctx) in self.routing_contexts() {
            for (ri, rule) in ctx.rules.iter().enumerate() {
                let Some(lowered) = self.ir_rule(ci, ri) else { continue };
                for (cond, low) in cond_pairs(rule, lowered) {
                    let Some(low) = low else { continue };
                    let Some((pattern, at)) = written_pattern(cond, low.negated) else { continue };
                    out.push(Written { rule, cond, low, pattern, at });
                }
            }
        }
        out
    }

    /// The compiled regex a lowered condition uses, if it uses one.
    pub fn regex_of(&self, cond: &ir::Cond) -> Option<&'a ir::RegexEntry> {
        match cond.matcher {
            ir::Matcher::Regex(id) => self.ir.regexes.get(id),
            ir::Matcher::Invalid(_) => None,
        }
    }
}

/// A condition whose regex is written in its rule (see [`Checker::written_regexes`]).
pub struct Written<'a> {
    /// The rule.
    pub rule: &'a syntax::Rule,
    /// The condition.
    pub cond: &'a syntax::Cond,
    /// Its lowered twin.
    pub low: &'a ir::Cond,
    /// The pattern as written, without a negating `^`.
    pub pattern: &'a str,
    /// Where the pattern starts on the condition's side.
    pub at: usize,
}

/// Each condition of a rule with its lowered twin (`None` for an empty link condition).
pub fn cond_pairs<'r>(
    rule: &'r syntax::Rule,
    lowered: &'r ir::Rule,
) -> impl Iterator<Item = (&'r syntax::Cond, Option<&'r ir::Cond>)> {
    let key = std::iter::once((&rule.cond, Some(&lowered.cond)));
    key.chain(rule.links.iter().zip(&lowered.links).map(|(l, ll)| (&l.cond, ll.cond.as_ref())))
}

/// The pattern of a condition as written in the rule, without a negating `^`, and the
/// offset of its first byte on the condition's side. `None` when the pattern is not in
/// the rule: a `${p}` or `$(f)` condition that uses `defaultrule`, or a malformed one.
pub fn written_pattern(cond: &syntax::Cond, negated: bool) -> Option<(&str, usize)> {
    let raw = cond.regex_text();
    let trimmed = raw.trim_matches([' ', '\t']);
    let lead = raw.len() - raw.trim_start_matches([' ', '\t']).len();
    match cond.kind {
        syntax::CondKind::Plain => {}
        syntax::CondKind::Param { .. } | syntax::CondKind::Func { .. } if trimmed.is_empty() || trimmed == "^" => {
            return None
        }
        syntax::CondKind::Param { .. } | syntax::CondKind::Func { .. } => {}
        syntax::CondKind::UnclosedParam | syntax::CondKind::UnclosedFunc => return None,
    }
    let pattern = if negated { trimmed.strip_suffix('^').unwrap_or(trimmed) } else { trimmed };
    Some((pattern, cond.range.start + cond.regex.start + lead))
}

/// The action text a rule substitutes into: each piece, or the echo/debug text.
pub fn action_texts(rule: &syntax::Rule) -> Vec<&syntax::Piece> {
    match &rule.action {
        Some(syntax::Action::Echo { text, .. } | syntax::Action::Debug { text, .. }) => vec![text],
        Some(syntax::Action::Message { pieces, .. } | syntax::Action::Plain { pieces }) => pieces.iter().collect(),
        Some(syntax::Action::Block) | None => Vec::new(),
    }
}
