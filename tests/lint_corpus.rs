//! The real-world corpus (`../shared/corpus/real`): lint finds no error there except on
//! lines Yate cannot compile as written, and its warnings are snapshot-tested.

use rexroute::diag::{render_human, Severity};
use rexroute::ini::{load, LoadOptions, RealFs};
use std::path::{Path, PathBuf};

/// The only errors the corpus may show: regexes Yate cannot use as written.
const ALLOWED_ERRORS: &[&str] = &["RR101"];

fn corpus_files() -> Option<Vec<PathBuf>> {
    let root = Path::new("../shared/corpus/real");
    let entries = std::fs::read_dir(root).ok()?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_file() && !p.ends_with("MANIFEST.md"))
        .collect();
    files.sort();
    Some(files)
}

#[test]
fn corpus_has_no_errors_but_uncompilable_lines() {
    let Some(files) = corpus_files() else {
        eprintln!("skipping: ../shared/corpus/real is not there (run from a checkout next to shared/)");
        return;
    };
    let mut report = String::new();
    let mut bad = Vec::new();
    for path in &files {
        let doc = load(path, &LoadOptions::default(), &RealFs).expect("corpus file loads");
        let diags = rexroute::lint::lint(&doc);
        report.push_str(&format!("### {}\n\n", path.display()));
        if diags.is_empty() {
            report.push_str("(no diagnostics)\n\n");
        }
        for d in &diags {
            if d.severity == Severity::Error && !ALLOWED_ERRORS.contains(&d.code) {
                bad.push(format!("{}: {} {}", doc.sources.location(d.span), d.code, d.message));
            }
            report.push_str(&render_human(d, &doc.sources));
            report.push('\n');
        }
    }
    assert!(bad.is_empty(), "errors on lines Yate accepts:\n{}", bad.join("\n"));
    assert!(report.contains("RR102(pcre-syntax)"), "file 08 `(?!analog)` must be reported");
    assert!(report.contains("RR103(hash-rule)"), "file 10's `#` rules must be warnings");
    insta::assert_snapshot!("corpus", report);
}
