//! RR001 missing-include: an include directive whose file could not be read.
//!
//! ## What it does
//! Reports `[$include F]` and `[$require F]` lines whose file or directory could not be
//! read, and includes whose path is empty after `${…}` substitution.
//! `[$includesilent F]` is not reported: it says the file is optional.
//!
//! ## Why is this bad?
//! Yate logs a note and carries on without the file, so every rule in it is missing
//! and calls fall through to whatever comes next. Relative paths are resolved against
//! the directory of the file holding the directive, not the working directory.
//!
//! ## Example
//! ```ini
//! [default]
//! [$include routes/nosuch.conf]
//! ```

use crate::ini::{IncludeKind, Note};
use crate::lint::Checker;

pub(crate) fn check(cx: &mut Checker<'_>) {
    for note in &cx.doc.notes {
        match note {
            Note::IncludeMissing { span, path, kind } if *kind != IncludeKind::Silent => {
                cx.report(*span, format!("included file `{path}` could not be read; its rules are not loaded"))
                    .primary("this include")
                    .help("Yate resolves a relative path against the directory of the including file");
            }
            Note::IncludeEmptyPath { span } => {
                cx.report(*span, "include path is empty after `${...}` substitution; Yate ignores the directive")
                    .primary("empty path");
            }
            _ => {}
        }
    }
}
