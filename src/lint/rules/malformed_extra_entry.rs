//! RR011 malformed-extra-entry: an `[extra]` field Yate reads differently.
//!
//! ## What it does
//! Reports `[extra]` fields with blanks around them and priorities that are not
//! integers (a priority may start with blanks: `strtol` skips them).
//!
//! ## Why is this bad?
//! Yate splits the value at every `,` and does **not** trim the pieces:
//! `call.execute=120, callto` sets the match parameter to ` callto` (with a leading
//! blank), which no message has, so the match string is always empty. A priority that
//! does not parse as an integer (`50x`, ` 50`) silently becomes 100.
//!
//! ## Example
//! ```ini
//! [extra]
//! call.execute=120, callto
//! [call.execute]
//! ```

use crate::lint::Checker;
use crate::runtime::num::int_auto;

const FIELD: [&str; 5] = ["priority", "match parameter", "context", "filter parameter", "filter value"];

/// The comma-separated fields of an `[extra]` value with their byte offsets, untrimmed.
pub(crate) fn fields(value: &str) -> Vec<(usize, &str)> {
    let mut at = 0;
    value
        .split(',')
        .map(|f| {
            let here = at;
            at += f.len() + 1;
            (here, f)
        })
        .collect()
}

pub(crate) fn check(cx: &mut Checker<'_>) {
    let Some(extra) = cx.doc.section("extra") else { return };
    for entry in &extra.entries {
        for (i, (at, f)) in fields(&entry.value).into_iter().enumerate().take(FIELD.len()) {
            let span = entry.value_span(at, at + f.len());
            if i == 0 {
                if !f.is_empty() && int_auto(f.as_bytes(), 1) != int_auto(f.as_bytes(), 2) {
                    cx.report(span, format!("priority `{f}` is not an integer, so Yate uses 100"))
                        .primary("not an integer");
                }
            } else if f.trim_matches([' ', '\t']) != f {
                cx.report(span, format!("the {} `{f}` has blanks around it, and Yate does not trim them", FIELD[i]))
                    .primary("blanks kept")
                    .help("remove the blanks next to the commas");
            }
        }
    }
}
