//! RR002 recursive-include: an include Yate refuses, as a cycle or as too deep.
//!
//! ## What it does
//! Reports a file include of a file already open higher up the include stack, and an
//! include nested deeper than Yate's limit (`max_depth`, 10 by default).
//!
//! ## Why is this bad?
//! Yate refuses the include with a warning and goes on without it, so the file's rules
//! are loaded once at most, never at the place of the refused directive.
//!
//! ## Example
//! ```ini
//! ; in main.conf
//! [default]
//! [$include main.conf]
//! ```

use crate::ini::Note;
use crate::lint::Checker;

pub(crate) fn check(cx: &mut Checker<'_>) {
    for note in &cx.doc.notes {
        match note {
            Note::IncludeCycle { span, path } => {
                cx.report(*span, format!("recursive include of `{path}` is refused"))
                    .primary("already being read higher up")
                    .help("remove the include, or move shared rules into a file that includes nothing");
            }
            Note::IncludeTooDeep { span, path, limit } => {
                cx.report(*span, format!("include of `{path}` is nested deeper than {limit} and is refused"))
                    .primary("too deep");
            }
            _ => {}
        }
    }
}
