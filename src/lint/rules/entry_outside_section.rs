//! RR004 entry-outside-section: a rule line that belongs to no section.
//!
//! ## What it does
//! Reports key lines before the first section header of the top-level file, and lines
//! after a header whose name is empty once `${…}` is substituted.
//!
//! ## Why is this bad?
//! Yate drops such lines without a word (the note needs parser warnings on). A file of
//! rules with no `[default]` header routes nothing.
//!
//! ## Example
//! ```ini
//! ^100$=sip/sip:100@pbx
//! [default]
//! ```

use crate::ini::Note;
use crate::lint::Checker;

pub(crate) fn check(cx: &mut Checker<'_>) {
    for note in &cx.doc.notes {
        if let Note::NoSection { span } = note {
            cx.report(*span, "this line is in no section, so Yate drops it")
                .primary("before any section header")
                .help("put a section header such as `[default]` above it");
        }
    }
}
