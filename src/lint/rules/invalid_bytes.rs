//! RR007 invalid-bytes: a NUL byte or bytes that are not UTF-8.
//!
//! ## What it does
//! Reports the first NUL byte of a file and the first invalid UTF-8 sequence.
//!
//! ## Why is this bad?
//! Yate ends the line at a NUL byte, so the rest of that line is read as a new line.
//! rexroute reads invalid UTF-8 as U+FFFD, so its regexes and targets may differ from
//! Yate's byte-for-byte reading.
//!
//! ## Example
//! A file containing the bytes `^1$=a`, NUL, `b`.

use crate::ini::Note;
use crate::lint::Checker;

pub(crate) fn check(cx: &mut Checker<'_>) {
    for note in &cx.doc.notes {
        if matches!(note, Note::NulByte { .. } | Note::InvalidUtf8 { .. }) {
            cx.report(note.span(), note.to_string()).primary("here");
        }
    }
}
