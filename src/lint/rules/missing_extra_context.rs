//! RR010 missing-extra-context: an `[extra]` handler whose context section is missing.
//!
//! ## What it does
//! Reports `[extra]` entries `message=PRIORITY[,PARAM[,CONTEXT…]]` whose context (the
//! message name when CONTEXT is empty) is not a section of the configuration.
//!
//! ## Why is this bad?
//! Yate checks the context when it loads the file. When it is missing it logs "Missing
//! context" and installs no handler at all, so the message is never handled here.
//!
//! ## Example
//! ```ini
//! [extra]
//! call.execute=120,callto,reroute
//! ```

use crate::lint::Checker;

pub(crate) fn check(cx: &mut Checker<'_>) {
    let doc = cx.doc;
    let Some(extra) = doc.section("extra") else { return };
    for entry in &extra.entries {
        let fields = super::malformed_extra_entry::fields(&entry.value);
        let context = fields.get(2).filter(|(_, f)| !f.is_empty());
        let (name, span) = match context {
            Some((at, f)) => (f.to_string(), entry.value_span(*at, at + f.len())),
            None => (entry.key.clone(), entry.key_span),
        };
        if doc.section(&name).is_some() {
            continue;
        }
        cx.report(span, format!("context `{name}` does not exist, so Yate installs no `{}` handler", entry.key))
            .primary("no such section")
            .help(format!("add a `[{name}]` section, or name an existing one as the third field"));
    }
}
