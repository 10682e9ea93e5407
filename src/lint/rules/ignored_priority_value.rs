//! RR013 ignored-priority-value: a `[priorities]` value Yate does not take as written.
//!
//! ## What it does
//! Reports boolean options whose value is not one of Yate's boolean words, integer
//! options whose value does not parse completely, octal-looking integers, and a
//! `maxdepth` outside 5..100.
//!
//! ## Why is this bad?
//! Yate's booleans are the exact words `yes/no`, `true/false`, `on/off`,
//! `enable/disable` and `t/f`: `extended=1` leaves basic regexes in force. Integers
//! must parse to the end (`route=95 ; comment` gives the default), a leading `0` means
//! octal (`010` is 8), and `maxdepth` is clamped to 5..100.
//!
//! ## Example
//! ```ini
//! [priorities]
//! extended=1
//! ```

use crate::ini::Entry;
use crate::lint::priorities::{option, Kind};
use crate::lint::Checker;
use crate::runtime::num::{int_auto, to_boolean};

pub(crate) fn check(cx: &mut Checker<'_>) {
    let Some(prio) = cx.doc.section("priorities") else { return };
    let mut seen: Vec<&str> = Vec::new();
    for entry in &prio.entries {
        let Some((kind, default)) = option(&entry.key) else { continue };
        if seen.contains(&entry.key.as_str()) {
            continue;
        }
        seen.push(&entry.key);
        let Some((message, help)) = judge(entry, kind, default) else { continue };
        let span = entry.value_span(0, entry.value.len());
        cx.report(span, message).primary("value").help(help);
    }
}

/// What Yate makes of the value, when that is not what it says.
fn judge(entry: &Entry, kind: Kind, default: &str) -> Option<(String, String)> {
    let (key, v) = (&entry.key, entry.value.as_bytes());
    let value = &entry.value;
    match kind {
        Kind::Bool if to_boolean(v, false) != to_boolean(v, true) => Some((
            format!("`{value}` is not a Yate boolean, so `{key}` stays `{default}`"),
            "write yes/no, true/false, on/off, enable/disable or t/f".into(),
        )),
        Kind::Int if int_auto(v, 1) != int_auto(v, 2) => Some((
            format!("`{value}` is not an integer to Yate, so `{key}` stays {default}"),
            "write a plain number with nothing after it; comments need a line of their own".into(),
        )),
        Kind::Int => {
            let n = int_auto(v, 0);
            let octal =
                value.len() > 1 && value.starts_with('0') && !value.starts_with("0x") && !value.starts_with("0X");
            if octal && value.parse::<i32>().ok() != Some(n) {
                return Some((
                    format!("`{value}` has a leading 0, so Yate reads it as octal: {key} = {n}"),
                    "drop the leading zeros".into(),
                ));
            }
            if key == "maxdepth" && !(5..=100).contains(&n) {
                let used = n.clamp(5, 100);
                return Some((format!("maxdepth {n} is clamped to {used}"), "use a value from 5 to 100".into()));
            }
            None
        }
        _ => None,
    }
}
