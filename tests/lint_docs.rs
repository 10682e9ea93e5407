//! `docs/lints.md` is generated from the rule files' doc comments; each rule's
//! `## Example` must trigger its code.
//!
//! Regenerate with `REXROUTE_BLESS=1 cargo test --test lint_docs`.

use rexroute::ini::{load, LoadOptions, MemFs};
use rexroute::lint::codes::{RuleInfo, RULES};
use std::path::Path;

const HEADINGS: [&str; 3] = ["## What it does", "## Why is this bad?", "## Example"];

/// The `//!` lines at the top of a rule's file, without the marker.
fn rule_doc(rule: &RuleInfo) -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lint/rules").join(format!("{}.rs", rule.module));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .take_while(|l| l.starts_with("//!"))
        .map(|l| l.trim_start_matches("//!").strip_prefix(' ').unwrap_or(l.trim_start_matches("//!")).to_string())
        .collect()
}

/// The first ```ini block of a doc.
fn example(doc: &[String]) -> Option<String> {
    let start = doc.iter().position(|l| l == "```ini")?;
    let len = doc[start + 1..].iter().position(|l| l == "```")?;
    Some(doc[start + 1..start + 1 + len].iter().map(|l| format!("{l}\n")).collect())
}

fn generate() -> String {
    let mut out = String::from(HEADER);
    out.push_str("| code | name | severity | what it finds |\n|---|---|---|---|\n");
    for r in RULES {
        let doc = rule_doc(r);
        let summary = doc.first().map(|t| t.split_once(": ").map_or(t.as_str(), |x| x.1)).unwrap_or("");
        out.push_str(&format!(
            "| [{}](#{}) | `{}` | {} | {} |\n",
            r.code,
            r.code.to_lowercase(),
            r.name,
            r.severity,
            summary
        ));
    }
    for r in RULES {
        let doc = rule_doc(r);
        out.push_str(&format!("\n## {}\n\n`{}` — {} by default.\n", r.code, r.name, r.severity));
        for line in doc.iter().skip(1) {
            let line = if line.starts_with("## ") { format!("#{line}") } else { line.clone() };
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    out
}

const HEADER: &str = "# Lint rules

<!-- Generated from src/lint/rules/*.rs by tests/lint_docs.rs: edit the rule files, then run
     `REXROUTE_BLESS=1 cargo test --test lint_docs`. -->

`rexroute lint [--format human|json] FILE...` checks regexroute.conf files for lines Yate reads
differently from how they look. Every finding has a stable code: `RR0xx` for the file as a whole
(loader, `[priorities]`, `[extra]`), `RR1xx` for rule lines.

* **error**: the line cannot work as written in Yate (a regex glibc refuses, Perl syntax, a jump
  to a missing context, a block overflow, ...). Lint never calls an error what Yate accepts and
  may be intended: those are warnings.
* Exit status: 0 when no error was found (warnings allowed), 1 when any error was found, 2 on a
  usage error or a file that cannot be read.
* `--format human` (default) prints one report per finding with the source line, labels and
  help, then a summary line. `--format json` prints JSON lines: one object per finding, with
  `file`, `line`, `column`, `end_line`, `end_column` (1-based; the end is just past the last
  character), `severity` (`error`/`warning`), `code`, `name`, `message` and `help` (or null).
* Rules that read rule lines skip `[priorities]`, `[$once]`, `[$init]` and `[extra]`, which
  regexroute reads as settings.

";

#[test]
fn docs_are_generated_from_rule_files() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/lints.md");
    let fresh = generate();
    if std::env::var_os("REXROUTE_BLESS").is_some() {
        std::fs::write(&path, &fresh).expect("docs/lints.md written");
        return;
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(current == fresh, "docs/lints.md is stale: run `REXROUTE_BLESS=1 cargo test --test lint_docs`");
}

#[test]
fn every_rule_has_the_three_headings() {
    for r in RULES {
        let doc = rule_doc(r);
        assert!(doc.first().is_some_and(|t| t.starts_with(&format!("{} {}: ", r.code, r.name))), "{} title", r.code);
        for h in HEADINGS {
            assert!(doc.iter().any(|l| l == h), "{} lacks `{h}`", r.code);
        }
    }
}

#[test]
fn every_example_triggers_its_code() {
    for r in RULES {
        let Some(text) = example(&rule_doc(r)) else { continue };
        // Named main.conf so that an example including main.conf includes itself.
        let fs = MemFs::default().with("main.conf", text.clone());
        let doc = load(Path::new("main.conf"), &LoadOptions::default(), &fs).expect("example loads");
        let diags = rexroute::lint::lint(&doc);
        assert!(diags.iter().any(|d| d.code == r.code), "{} example does not trigger it:\n{text}", r.code);
    }
}
