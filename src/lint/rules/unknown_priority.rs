//! RR012 unknown-priority: a `[priorities]` key regexroute does not read.
//!
//! ## What it does
//! Reports keys of `[priorities]` other than `preroute`, `route`, `status`,
//! `extended`, `insensitive`, `defaultrule`, `prerouteall`, `maxdepth`,
//! `trackparam`, `rex_debug` and `add_once`.
//!
//! ## Why is this bad?
//! Yate ignores other keys without a word, so a misspelt or mis-cased option
//! (`Route=90`, `#route=40`) leaves the default in force.
//!
//! ## Example
//! ```ini
//! [priorities]
//! extend=yes
//! ```

use crate::lint::priorities::{names, option};
use crate::lint::Checker;

pub(crate) fn check(cx: &mut Checker<'_>) {
    let Some(prio) = cx.doc.section("priorities") else { return };
    for entry in prio.entries.iter().filter(|e| option(&e.key).is_none()) {
        let key = &entry.key;
        let known = names();
        let near = known.iter().find(|k| k.eq_ignore_ascii_case(key.trim_start_matches(['#', ' ', '\t'])));
        let d = cx.report(entry.key_span, format!("`{key}` is not a regexroute option; Yate ignores it"));
        d.primary("unknown key");
        match near {
            Some(k) if key.starts_with('#') => d.help(format!("`#` does not start a comment; use `;`, or write `{k}`")),
            Some(k) => d.help(format!("keys are case-sensitive: did you mean `{k}`?")),
            None => d.help(format!("known keys: {}", known.join(", "))),
        };
    }
}
