//! RR006 ignored-line: a line Yate skips as malformed.
//!
//! ## What it does
//! Reports a `[` line with no `]`, an empty header `[]`, a header whose name is empty
//! after `${…}` substitution, and a key line that starts with `=`.
//!
//! ## Why is this bad?
//! Yate ignores these lines silently. `[]` keeps the previous section current, while
//! an empty substituted name drops every line up to the next header.
//!
//! ## Example
//! ```ini
//! [default
//! =tone/busy
//! ```

use crate::ini::Note;
use crate::lint::Checker;

pub(crate) fn check(cx: &mut Checker<'_>) {
    for note in &cx.doc.notes {
        let help = match note {
            Note::UnclosedHeader { .. } => "close the header with `]`, or start a regex with `^` instead of `[`",
            Note::EmptyHeader { .. } => "name the section or remove the line",
            Note::EmptySectionName { .. } => "the lines up to the next header are dropped; define the run parameter",
            Note::EmptyKey { .. } => "a rule needs a regex before `=`",
            _ => continue,
        };
        cx.report(note.span(), note.to_string()).primary("ignored by Yate").help(help);
    }
}
