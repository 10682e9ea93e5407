//! RR003 broken-section-include: a `[$includesection S]` that copies nothing.
//!
//! ## What it does
//! Reports section includes outside any section, of a section that does not exist
//! (not for `[$includesectionsilent S]`), and of a section that includes itself.
//!
//! ## Why is this bad?
//! Yate drops the directive, so the rules the author wanted spliced in at that point
//! are not there.
//!
//! ## Example
//! ```ini
//! [default]
//! [$includesection common]
//! ```

use crate::ini::Note;
use crate::lint::Checker;

pub(crate) fn check(cx: &mut Checker<'_>) {
    for note in &cx.doc.notes {
        let (span, message) = match note {
            Note::SectionIncludeNoSection { span } => (*span, "section include outside any section is ignored".into()),
            Note::SectionIncludeMissing { span, name, silent: false } => {
                (*span, format!("included section `{name}` does not exist; nothing is copied"))
            }
            Note::SectionIncludeCycle { span, name } => {
                (*span, format!("section `{name}` includes itself; Yate skips the directive"))
            }
            _ => continue,
        };
        cx.report(span, message).primary("this directive");
    }
}
