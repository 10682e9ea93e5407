//! Lint fixtures: every `conformance/lint/<CODE>/*.conf` is its own snapshot test.
//!
//! The directory name is the code the fixture must trigger; the rendered report of all
//! its diagnostics is an insta snapshot stored next to the fixture. Bless changes with
//! `INSTA_UPDATE=always cargo test --test lint_fixtures` (or `cargo insta review`).

use rexroute::diag::render_human;
use rexroute::ini::{load, LoadOptions, RealFs};
use std::path::Path;

fn fixture(path: &Path) -> datatest_stable::Result<()> {
    let dir = path.parent().ok_or("fixture has no directory")?;
    let code = dir.file_name().and_then(|n| n.to_str()).ok_or("fixture directory is not a code")?;
    if rexroute::lint::codes::by_code(code).is_none() {
        return Err(format!("{} is not a lint code", code).into());
    }
    let doc = load(path, &LoadOptions::default(), &RealFs)?;
    let diags = rexroute::lint::lint(&doc);
    if !diags.iter().any(|d| d.code == code) {
        return Err(format!("{} does not trigger {code}", path.display()).into());
    }
    let mut text = String::from("## Diagnostics\n\n");
    for d in &diags {
        text.push_str(&render_human(d, &doc.sources));
        text.push('\n');
    }
    let name = path.file_stem().and_then(|n| n.to_str()).ok_or("bad fixture name")?;
    let snapshots = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    insta::with_settings!({
        snapshot_path => snapshots,
        prepend_module_to_snapshot => false,
        omit_expression => true,
        input_file => path,
    }, {
        insta::assert_snapshot!(name, text);
    });
    Ok(())
}

datatest_stable::harness!(fixture, "conformance/lint", r"\.conf$");
