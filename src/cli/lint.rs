//! `rexroute lint [--format human|json] FILE...`: report what Yate would do differently.
//!
//! Human output is one miette report per finding, then a summary line. JSON output is
//! JSON lines: one object per finding (see `diag::to_json`), nothing else on stdout.
//! Exit status: 0 no errors (warnings allowed), 1 errors found, 2 usage or I/O failure.

use crate::diag::{self, Diagnostic, Severity};
use crate::ini::{self, Document};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// How findings are printed.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    /// Source snippets with labels and help (miette), then a summary.
    #[default]
    Human,
    /// One JSON object per line.
    Json,
}

/// Arguments of `lint`.
#[derive(clap::Args, Debug)]
pub struct LintArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// The regexroute.conf files (each with whatever it includes).
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

/// Runs `lint`.
pub fn run(a: LintArgs) -> ExitCode {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let (mut errors, mut warnings, mut io_failed) = (0, 0, false);
    for path in &a.files {
        let doc = match ini::load(path, &ini::LoadOptions::default(), &ini::RealFs) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("error: {}: {e}", path.display());
                io_failed = true;
                continue;
            }
        };
        let diags = crate::lint::lint(&doc);
        let (e, w) = diag::summary(&diags);
        errors += e;
        warnings += w;
        if print(&mut out, a.format, &doc, &diags).is_err() {
            return ExitCode::from(2);
        }
    }
    if a.format == Format::Human {
        let _ = writeln!(out, "{}", summary_line(errors, warnings));
    }
    if io_failed {
        ExitCode::from(2)
    } else if errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn print(out: &mut impl Write, format: Format, doc: &Document, diags: &[Diagnostic]) -> std::io::Result<()> {
    for d in diags {
        match format {
            Format::Human => writeln!(out, "{}", diag::render_human(d, &doc.sources))?,
            Format::Json => writeln!(out, "{}", diag::to_json(d, &doc.sources))?,
        }
    }
    Ok(())
}

/// `2 errors, 1 warning`, or `no problems found`.
pub fn summary_line(errors: usize, warnings: usize) -> String {
    let plural = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    match (errors, warnings) {
        (0, 0) => "no problems found".to_string(),
        _ => format!("{}, {}", plural(errors, Severity::Error.as_str()), plural(warnings, Severity::Warning.as_str())),
    }
}
