//! RR008 continuation-pitfall: a backslash that does, or does not, continue a line.
//!
//! ## What it does
//! Reports a value ending in `\` followed by blanks, which does not continue the line,
//! and a continued value that swallows a line starting with `;` or `[`.
//!
//! ## Why is this bad?
//! Only a `\` that is the very last byte of the line joins the next line to the value.
//! With blanks after it, the `\` stays in the value and the next line is a rule of its
//! own. Conversely, a continuation line is taken raw: a `;` comment or a `[section]`
//! header there becomes part of the value.
//!
//! ## Example
//! ```ini
//! [default]
//! ^1$=sip/sip:1@gw;\
//! ; tag the call
//! ^2$=tone/busy
//! ```

use crate::ini::Entry;
use crate::lint::Checker;
use crate::source::{SourceFile, Span};

pub(crate) fn check(cx: &mut Checker<'_>) {
    let doc = cx.doc;
    for entry in doc.sections.iter().flat_map(|s| &s.entries).filter(|e| e.via.is_none()) {
        let Some(file) = doc.sources.get(entry.span.source) else { continue };
        if let Some(span) = blank_after_backslash(file, entry) {
            cx.report(span, "blanks after the final `\\` stop it from continuing the line")
                .primary("not a line continuation")
                .help("remove the blanks after `\\` to continue the line, or the `\\` if the next line is a rule");
        }
        let (first_line, _) = file.line_col(entry.span.start);
        for (_, run) in entry.value_runs.iter().skip(1) {
            let text = file.slice(*run);
            let starts_line = file.line_col(run.start).0 != first_line;
            if starts_line && (text.starts_with(';') || text.starts_with('[')) {
                cx.report(*run, "this continuation line is part of the value above, not a comment or header")
                    .primary("joined to the previous line's value")
                    .help("the line before ends with `\\`; remove it to end the value there");
            }
        }
    }
}

/// The `\` and blanks ending the entry's last physical line, for a key line with `=`.
fn blank_after_backslash(file: &SourceFile, entry: &Entry) -> Option<Span> {
    let end = entry.span.end as usize;
    let text = file.text.get(..end)?;
    let line_start = text.rfind(['\n', '\r']).map_or(0, |p| p + 1);
    let line = &text[line_start..];
    let after_key = file.text.get(entry.key_span.end as usize..end)?;
    if !after_key.trim_start_matches([' ', '\t']).starts_with('=') {
        return None;
    }
    let body = line.trim_end_matches([' ', '\t']);
    if body.len() == line.len() || !body.ends_with('\\') {
        return None;
    }
    Some(Span::new(entry.span.source, line_start + body.len() - 1, end))
}
