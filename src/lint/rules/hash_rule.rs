//! RR103 hash-rule: a line starting with `#`, which is a live rule.
//!
//! ## What it does
//! Reports entries whose key starts with `#`, outside `[priorities]` (where
//! `unknown-priority` reports them).
//!
//! ## Why is this bad?
//! Only `;` starts a comment in Yate's configuration files. `#^.*$=echo x` is a rule
//! whose regex is `#^.*$` (a literal `#` and a literal `^` in a basic regex), and a
//! line like `# test lines` is a rule with an empty action. They are evaluated at every
//! call, and a `#` line that matches runs its action.
//!
//! ## Example
//! ```ini
//! [default]
//! #^600$=tone/milliwatt
//! ```

use crate::lint::Checker;

pub(crate) fn check(cx: &mut Checker<'_>) {
    let doc = cx.doc;
    for section in doc.sections.iter().filter(|s| s.name != "priorities") {
        for entry in section.entries.iter().filter(|e| e.key.starts_with('#') && e.via.is_none()) {
            cx.report(entry.span, "`#` does not start a comment in Yate: this line is a rule")
                .primary("evaluated as a rule")
                .help("start the line with `;` to comment it out");
        }
    }
}
