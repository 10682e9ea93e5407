//! RR014 duplicate-priority: a `[priorities]` option given more than once.
//!
//! ## What it does
//! Reports every occurrence of an option after its first in `[priorities]`, including
//! occurrences in a reopened section or an included file.
//!
//! ## Why is this bad?
//! Yate reads each option from its **first** entry only; later ones are ignored, which
//! is the opposite of what many INI readers do.
//!
//! ## Example
//! ```ini
//! [priorities]
//! route=100
//! route=90
//! ```

use crate::lint::priorities::option;
use crate::lint::Checker;

pub(crate) fn check(cx: &mut Checker<'_>) {
    let Some(prio) = cx.doc.section("priorities") else { return };
    for (i, entry) in prio.entries.iter().enumerate() {
        if option(&entry.key).is_none() {
            continue;
        }
        let Some(first) = prio.entries[..i].iter().find(|e| e.key == entry.key) else { continue };
        cx.report(entry.span, format!("`{}` is already set above; Yate ignores this one", entry.key))
            .primary("ignored")
            .label(first.span, "this one counts")
            .help("remove one of the two; the first one wins");
    }
}
