//! RR005 header-trailing-text: a `[` line with text after its `]`.
//!
//! ## What it does
//! Reports lines that start with `[` and go on after the first `]`, such as
//! `[0-9]$=target`.
//!
//! ## Why is this bad?
//! Any line starting with `[` is a section header to Yate: the text after the first
//! `]` is ignored and every later rule lands in the new section (here `0-9`). It is
//! usually a rule whose regex starts with a bracket expression.
//!
//! ## Example
//! ```ini
//! [default]
//! [2-9]11=tone/busy
//! ```

use crate::ini::Note;
use crate::lint::Checker;

pub(crate) fn check(cx: &mut Checker<'_>) {
    for note in &cx.doc.notes {
        if let Note::HeaderTrailingText { header, trailing } = note {
            let header_text = cx.doc.sources.slice(*header).to_string();
            let name = header_text.trim_start_matches('[').trim_end_matches(']').trim_matches([' ', '\t']);
            let rest = cx.doc.sources.slice(*trailing).trim_matches([' ', '\t']).to_string();
            cx.report(*trailing, format!("this line opens section `{name}`; the text after `]` is ignored"))
                .primary("ignored")
                .label(*header, "read as a section header")
                .help(format!("if this is a rule, start the regex with `^`: `^{header_text}{rest}`"));
        }
    }
}
