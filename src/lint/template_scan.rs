//! Static views of action text: back-references and `$(…)` calls as Yate finds them.
//!
//! These mirror the runtime's passes (spec §4.2 and §4.4) on the text as written. What
//! substitution may produce at run time (a parameter holding `$(x)`) is out of reach and
//! never reported.

use std::ops::Range;

/// `\N` references in a template: (byte offset of the `\`, N). `\\` is an escaped
/// backslash, so `\\1` holds no reference.
pub fn backrefs(text: &str) -> Vec<(usize, u8)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            i += 1;
            continue;
        }
        match b.get(i + 1) {
            Some(d) if d.is_ascii_digit() => out.push((i, d - b'0')),
            _ => {}
        }
        i += 2;
    }
    out
}

/// One `$(…)` as written: the whole call and the text between the parentheses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// `$(` to `)` inclusive.
    pub whole: Range<usize>,
    /// Between the parentheses.
    pub inner: Range<usize>,
}

/// The calls of a template, and the offset of a final `$(` that has no `)` (Yate stops
/// there: "Unmatched function end"). Functions do not nest: each call ends at the first
/// `)` after its `$(`.
pub fn calls(text: &str) -> (Vec<Call>, Option<usize>) {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(open) = text[from..].find("$(").map(|o| o + from) {
        let Some(close) = text[open + 2..].find(')').map(|c| c + open + 2) else {
            return (out, Some(open));
        };
        out.push(Call { whole: open..close + 1, inner: open + 2..close });
        from = close + 1;
    }
    (out, None)
}

/// Whether text may change during substitution (parameters, captures, functions), so
/// that what Yate finds in it is only known at run time.
pub fn is_dynamic(text: &str) -> bool {
    text.contains("${") || text.contains("$(") || !backrefs(text).is_empty()
}

/// Functions that run with or without arguments (spec §4.5).
const ANY_ARGS: &[&str] = &[
    "length",
    "upper",
    "lower",
    "chr",
    "random",
    "hex",
    "engine",
    "loaded",
    "message",
    "variables",
    "runid",
    "nodename",
    "threadname",
    "accepting",
    "dispatching",
    "timestamp",
];

/// Functions that need two or more arguments; with one they are invalid.
const TWO_ARGS: &[&str] = &[
    "streq",
    "strne",
    "strpos",
    "index",
    "rotate",
    "config",
    "transcode",
    "add",
    "+",
    "sub",
    "-",
    "mul",
    "*",
    "div",
    "/",
    "mod",
    "%",
    "eq",
    "ne",
    "gt",
    ">",
    "lt",
    "<",
    "ge",
    "le",
];

/// What is wrong with the inside of one `$(…)`, if anything: (byte range in `inner`,
/// message, help).
pub fn check_call(inner: &str) -> Option<(Range<usize>, String, Option<String>)> {
    let lead = inner.len() - inner.trim_start_matches([' ', '\t']).len();
    let text = inner.trim_matches([' ', '\t']);
    if text.starts_with("++") || text.starts_with("--") {
        return None;
    }
    let comma = text.find(',').filter(|&p| p > 0)?;
    let name = &text[..comma];
    let args = &text[comma + 1..];
    if is_dynamic(name) {
        return None;
    }
    let at = lead..lead + name.len();
    if name != name.trim_end_matches([' ', '\t']) {
        let bare = name.trim_end_matches([' ', '\t']);
        let msg =
            format!("function name `{name}` ends with a blank, so Yate calls no function and substitutes nothing");
        return Some((at, msg, Some(format!("remove the blank before the comma: `$({bare},...)`"))));
    }
    if ANY_ARGS.contains(&name) {
        return None;
    }
    if TWO_ARGS.contains(&name) {
        let enough = args.contains(',') && !(matches!(name, "index" | "rotate") && args.starts_with(','));
        if enough || is_dynamic(args) {
            return None;
        }
        let msg = format!("`$({name},...)` needs at least two arguments; with one, Yate substitutes nothing");
        return Some((at, msg, None));
    }
    let msg = format!("unknown function `{name}`: Yate logs \"Invalid function\" and substitutes nothing");
    let help = "regexroute's functions are listed in docs/lints.md (RR112); a bare `$(name)` reads a global variable";
    Some((at, msg, Some(help.to_string())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backrefs_follow_yate_escapes() {
        assert_eq!(backrefs(r"a\1b\\2\9\"), [(1, 1), (7, 9)]);
    }

    #[test]
    fn calls_do_not_nest() {
        let (c, open) = calls("$(length,$(upper,ab)) x $(y");
        assert_eq!(c, [Call { whole: 0..20, inner: 2..19 }]);
        assert_eq!(open, Some(24));
    }

    #[test]
    fn call_checks() {
        assert!(check_call("length,abc").is_none());
        assert!(check_call("nosuch").is_none());
        assert!(check_call("++$n").is_none());
        assert!(check_call("").is_none());
        assert!(check_call("md5,x").is_some());
        assert!(check_call("length ,abc").is_some());
        assert!(check_call("add,1").is_some());
        assert!(check_call("add,${a}").is_none());
        assert!(check_call("index,,a,b").is_some());
        assert!(check_call("gt,$gblcounter,${slot_total}").is_none());
        assert!(check_call("${f},x").is_none());
    }
}
