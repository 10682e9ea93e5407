//! The three substitution passes of a right-hand side: `\N`, `${param}` and `$(function)`.

use super::captures::Captures;
use super::funcs::{self, FuncCtx};
use super::message::Message;
use crate::ir::plan::{Piece, Plan, DANGEROUS_CAPTURE, DANGEROUS_RESULT, DANGEROUS_VALUE, MAX_VALUES};

/// Most `$(…)` calls evaluated in one string.
///
/// Deliberate difference from Yate, which loops forever when a result reproduces its own
/// call (a variable `loop` whose value is `$(loop)`): rexroute stops here, leaves the rest
/// of the string literal and logs a warning.
pub const MAX_EVALUATIONS: usize = 10_000;

/// Longest string (bytes) the function pass keeps growing; past it the pass stops as for
/// [`MAX_EVALUATIONS`]. A deliberate difference from Yate, which grows without bound.
pub const MAX_RESULT_LEN: usize = 1 << 20;

/// Total bytes the function pass may rebuild across all its calls on one string; past it
/// the pass stops as for [`MAX_EVALUATIONS`]. Bounds the time a huge string with many
/// calls can take. A deliberate difference from Yate, which has no such limit.
pub const MAX_WORK: usize = 256 << 20;

/// Removes SPACE and TAB (not CR/LF) from both ends, like Yate's `trimBlanks`.
pub use crate::ir::template_trim as trim_blanks;

/// First occurrence of `needle` in `hay` at or after `from`; an empty needle is never found,
/// as in Yate's `String::find`.
pub fn find_bytes(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    let (&first, rest) = needle.split_first()?;
    let mut at = from;
    while let Some(p) = find_byte(hay, first, at) {
        if hay.get(p + 1..p + needle.len()) == Some(rest) {
            return Some(p);
        }
        at = p + 1;
    }
    None
}

/// What `$(length,${name})` gives when the parameter's value is `value`, computed
/// without the passes, or `None` when the value could change how they read the text:
/// a `)` would end the call early, and a value starting with `$` names a global.
/// The call's text is blank-trimmed, so trailing blanks do not count.
#[inline]
pub fn length_of_value(value: &[u8]) -> Option<usize> {
    if crate::regex::has_byte(value, b')') {
        return None;
    }
    let end = value.iter().rposition(|&c| c != b' ' && c != b'\t').map_or(0, |e| e + 1);
    let value = &value[..end];
    (value.first() != Some(&b'$')).then_some(value.len())
}

/// First occurrence of byte `b` in `hay` at or after `from`.
pub fn find_byte(hay: &[u8], b: u8, from: usize) -> Option<usize> {
    hay.get(from..)?.iter().position(|&c| c == b).map(|p| p + from)
}

/// Pass 1 (`String::replaceMatches`): `\\` → `\`, `\N` → capture N, any other `\c` and a
/// trailing `\` stay as written.
pub fn replace_matches(template: &[u8], caps: &Captures) -> Vec<u8> {
    // Room for a number or two substituted in, so a target is built without regrowing.
    let mut out = Vec::with_capacity(template.len() + 32);
    let mut i = 0;
    while let Some(p) = find_byte(template, b'\\', i) {
        out.extend_from_slice(&template[i..p]);
        match template.get(p + 1) {
            Some(b'\\') => out.push(b'\\'),
            Some(&d @ b'0'..=b'9') => out.extend_from_slice(caps.get(usize::from(d - b'0'))),
            Some(&c) => out.extend_from_slice(&[b'\\', c]),
            None => out.push(b'\\'),
        }
        i = p + 2;
    }
    if let Some(rest) = template.get(i..) {
        out.extend_from_slice(rest);
    }
    out
}

/// The value a `${…}` inner text stands for: the parameter if present (even empty), else
/// the default after the first `$`.
fn param_value<'m>(inner: &'m [u8], msg: &'m Message) -> &'m [u8] {
    let inner = trim_blanks(inner);
    let (name, default) = match find_byte(inner, b'$', 0) {
        Some(p) => (trim_blanks(&inner[..p]), trim_blanks(&inner[p + 1..])),
        None => (inner, &[][..]),
    };
    msg.get(name).unwrap_or(default)
}

/// Pass 2 (`NamedList::replaceParams`): each `${name}` / `${name$default}` up to the first
/// `}` after it. Inserted text is not re-scanned; an unclosed `${` ends the pass and stays
/// literal with everything after it.
pub fn replace_params(s: &[u8], msg: &Message) -> Vec<u8> {
    let mut out = s.to_vec();
    let mut from = 0;
    while let Some(p1) = find_bytes(&out, b"${", from) {
        let Some(p2) = find_byte(&out, b'}', p1 + 2) else {
            break;
        };
        let value = param_value(&out[p1 + 2..p2], msg).to_vec();
        out.splice(p1..=p2, value.iter().copied());
        from = p1 + value.len();
    }
    out
}

/// Why the function pass gave up early, if it did.
fn over_limit(evaluations: usize, len: usize, work: usize) -> Option<String> {
    if evaluations >= MAX_EVALUATIONS {
        Some(format!("Function evaluation stopped after {MAX_EVALUATIONS} calls (rexroute limit)"))
    } else if len > MAX_RESULT_LEN {
        Some(format!("Function evaluation stopped: result longer than {MAX_RESULT_LEN} bytes (rexroute limit)"))
    } else if work > MAX_WORK {
        Some(format!("Function evaluation stopped after rebuilding {MAX_WORK} bytes (rexroute limit)"))
    } else {
        None
    }
}

/// Pass 3 (`replaceFuncs`): repeatedly evaluates the first `$(` up to the first `)` after
/// it and restarts from the beginning, so results are re-scanned. An unmatched `$(` logs
/// "Unmatched function end" and stops the pass. See [`MAX_EVALUATIONS`] for where rexroute
/// stops a pass that Yate would never finish.
pub fn eval_functions(s: Vec<u8>, cx: &mut FuncCtx<'_>) -> Vec<u8> {
    eval_functions_from(s, 0, 0, cx)
}

/// [`eval_functions`] continued on a string that has already had `evaluations` calls
/// and rebuilt `work` bytes.
fn eval_functions_from(mut s: Vec<u8>, mut evaluations: usize, mut work: usize, cx: &mut FuncCtx<'_>) -> Vec<u8> {
    while let Some(p1) = find_bytes(&s, b"$(", 0) {
        let Some(p2) = find_byte(&s, b')', p1 + 2) else {
            let rest = String::from_utf8_lossy(&s[p1..]);
            cx.log.push(format!("Unmatched function end: '{rest}'"));
            break;
        };
        if let Some(warning) = over_limit(evaluations, s.len(), work) {
            cx.log.push(warning);
            break;
        }
        let value = funcs::call(cx, &s[p1 + 2..p2]);
        s.splice(p1..=p2, value);
        evaluations += 1;
        work += s.len();
    }
    s
}

/// All three passes in order, reading parameters from `cx.msg`.
pub fn expand(template: &[u8], caps: &Captures, cx: &mut FuncCtx<'_>) -> Vec<u8> {
    let matched = replace_matches(template, caps);
    // Captures may bring `${` in, so the check is on the first pass's result.
    let params = if find_bytes(&matched, b"${", 0).is_some() { replace_params(&matched, cx.msg) } else { matched };
    eval_functions(params, cx)
}

/// A byte set as a lookup table.
const fn byte_set(set: &[u8]) -> [bool; 256] {
    let mut t = [false; 256];
    let mut i = 0;
    while i < set.len() {
        t[set[i] as usize] = true;
        i += 1;
    }
    t
}

const CAPTURE_SET: [bool; 256] = byte_set(DANGEROUS_CAPTURE);
const VALUE_SET: [bool; 256] = byte_set(DANGEROUS_VALUE);
const RESULT_SET: [bool; 256] = byte_set(DANGEROUS_RESULT);

/// Whether a captured text inserted by `\N` leaves the later passes nothing new to
/// find, so that a template of literals and captures is its plain concatenation.
#[inline]
pub fn capture_is_inert(v: &[u8]) -> bool {
    !any_in(v, &CAPTURE_SET)
}

fn any_in(v: &[u8], set: &[bool; 256]) -> bool {
    v.iter().any(|&b| set[usize::from(b)])
}

/// The values of a plan's captures and parameters, in order, and its text's length
/// once they are inserted; `None` when one could form new syntax.
fn gather<'v>(
    pieces: &'v [Piece],
    caps: &'v Captures,
    msg: &'v Message,
    values: &mut [&'v [u8]; MAX_VALUES],
    n: &mut usize,
) -> Option<usize> {
    let mut len = 0;
    for p in pieces {
        let v: &[u8] = match p {
            Piece::Lit(l) => {
                len += l.len();
                continue;
            }
            Piece::Func(inner) => {
                len += 3 + gather(inner, caps, msg, values, n)?;
                continue;
            }
            Piece::Cap(c) => {
                let v = caps.get(usize::from(*c));
                if any_in(v, &CAPTURE_SET) {
                    return None;
                }
                v
            }
            Piece::Param { name, default } => {
                let v = msg.get_named(name).unwrap_or(default);
                if any_in(v, &VALUE_SET) {
                    return None;
                }
                v
            }
        };
        *values.get_mut(*n)? = v;
        *n += 1;
        len += v.len();
    }
    Some(len)
}

/// Appends `pieces` as the parameter pass would have left them (functions as text).
fn render(pieces: &[Piece], values: &[&[u8]], vi: &mut usize, out: &mut Vec<u8>) {
    for p in pieces {
        match p {
            Piece::Lit(l) => out.extend_from_slice(l),
            Piece::Cap(_) | Piece::Param { .. } => {
                out.extend_from_slice(values.get(*vi).copied().unwrap_or_default());
                *vi += 1;
            }
            Piece::Func(inner) => {
                out.extend_from_slice(b"$(");
                render(inner, values, vi, out);
                out.push(b')');
            }
        }
    }
}

/// The passes by a template's [`Plan`]: the same result, warnings and function calls
/// as [`expand`] (`backrefs`) or as the parameter and function passes on `text`
/// (a function condition's subject), in one walk when the inserted values allow it.
pub fn expand_planned(plan: &Plan, text: &[u8], backrefs: bool, caps: &Captures, cx: &mut FuncCtx<'_>) -> Vec<u8> {
    let msg = cx.msg;
    let mut values: [&[u8]; MAX_VALUES] = [&[]; MAX_VALUES];
    let mut n = 0;
    let Some(total) = gather(&plan.pieces, caps, msg, &mut values, &mut n) else {
        return if backrefs { expand(text, caps, cx) } else { eval_functions(replace_params(text, msg), cx) };
    };
    let values = &values[..n];
    let mut out = Vec::with_capacity(total + 16);
    let (mut vi, mut consumed, mut evaluations, mut work) = (0, 0, 0, 0);
    for (i, p) in plan.pieces.iter().enumerate() {
        let inner = match p {
            Piece::Lit(l) => {
                out.extend_from_slice(l);
                consumed += l.len();
                continue;
            }
            Piece::Cap(_) | Piece::Param { .. } => {
                let v = values.get(vi).copied().unwrap_or_default();
                out.extend_from_slice(v);
                (vi, consumed) = (vi + 1, consumed + v.len());
                continue;
            }
            Piece::Func(inner) => inner,
        };
        // The call's text is built where its result will go, in `out` itself.
        let (start, first) = (out.len(), vi);
        render(inner, values, &mut vi, &mut out);
        let len = out.len() - start;
        // The text pass checks its limits before each call, on the whole string.
        if over_limit(evaluations, start + total - consumed, work).is_some() {
            out.truncate(start);
            vi = first;
            render(&plan.pieces[i..], values, &mut vi, &mut out);
            return eval_functions_from(out, evaluations, work, cx);
        }
        let value = funcs::call(cx, &out[start..]);
        out.truncate(start);
        evaluations += 1;
        consumed += len + 3;
        out.extend_from_slice(&value);
        if any_in(&value, &RESULT_SET) {
            // The restart would see the result: the text pass takes over from here.
            render(&plan.pieces[i + 1..], values, &mut vi, &mut out);
            work += out.len();
            return eval_functions_from(out, evaluations, work, cx);
        }
        work += out.len() + total - consumed;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::env::Env;

    fn caps(subject: &[u8], slots: &[Option<(usize, usize)>]) -> Captures {
        let mut all = [None; 9];
        all[..slots.len()].copy_from_slice(slots);
        Captures::from_slots(subject, &all)
    }

    fn msg(params: &[(&str, &str)]) -> Message {
        let mut m = Message::new("call.route");
        for (k, v) in params {
            m.add(k.as_bytes(), v.as_bytes());
        }
        m
    }

    fn funcs(env: &Env, m: &Message, s: &str) -> (String, Vec<String>) {
        let mut log = Vec::new();
        let mut cx = FuncCtx { env, msg: m, log: &mut log };
        let out = eval_functions(s.as_bytes().to_vec(), &mut cx);
        (String::from_utf8_lossy(&out).into_owned(), log)
    }

    /// The direct length agrees with the passes on every value it answers, and
    /// declines the values that change how the passes read the text.
    #[test]
    fn length_without_the_passes_is_the_passes_length() {
        let env = Env::default();
        env.globals.set(b"g", b"global");
        let values =
            ["", "12345", " 12 ", "\t7\t", "   ", "$g", " $g", "1)2", "a,b", "$(x", "${y}", "x$", "\\1", "a\0b"];
        for v in values {
            let m = msg(&[("called", v)]);
            let text = replace_params(b"$(length,${called})", &m);
            let (want, _) = funcs(&env, &m, &String::from_utf8_lossy(&text));
            match length_of_value(v.as_bytes()) {
                Some(n) => assert_eq!(n.to_string(), want, "{v:?}"),
                None => assert!(v.contains(')') || v.trim_end().starts_with('$'), "{v:?} declined"),
            }
        }
        assert_eq!(length_of_value(b"$g"), None);
        assert_eq!(length_of_value(b"1)2"), None);
    }

    #[test]
    fn blanks_are_space_and_tab_only() {
        assert_eq!(trim_blanks(b" \t a b\t "), b"a b");
        assert_eq!(trim_blanks(b"\r\nx\n"), b"\r\nx\n");
        assert_eq!(trim_blanks(b"   "), b"");
        assert_eq!(trim_blanks(b""), b"");
    }

    #[test]
    fn finding() {
        assert_eq!(find_bytes(b"a${b${", b"${", 0), Some(1));
        assert_eq!(find_bytes(b"a${b${", b"${", 2), Some(4));
        assert_eq!(find_bytes(b"abc", b"", 0), None);
        assert_eq!(find_bytes(b"abc", b"c", 9), None);
        assert_eq!(find_byte(b"a)b)", b')', 2), Some(3));
        assert_eq!(find_byte(b"ab", b')', 5), None);
    }

    #[test]
    fn backreference_escapes() {
        let c = caps(b"12345", &[Some((0, 5)), Some((0, 2)), Some((2, 5))]);
        assert_eq!(replace_matches(b"sip/\\2@gw-\\1", &c), b"sip/345@gw-12");
        assert_eq!(replace_matches(b"\\0|\\5|\\9", &c), b"12345||");
        assert_eq!(replace_matches(b"\\\\1", &c), b"\\1");
        assert_eq!(replace_matches(b"\\q\\;", &c), b"\\q\\;");
        assert_eq!(replace_matches(b"end\\", &c), b"end\\");
        assert_eq!(replace_matches(b"\\", &c), b"\\");
        assert_eq!(replace_matches(b"", &c), b"");
        assert_eq!(replace_matches(b"\\1", &Captures::none()), b"");
    }

    #[test]
    fn captured_text_is_not_rescanned_for_backreferences() {
        let c = caps(b"\\1x", &[Some((0, 3)), Some((0, 3))]);
        assert_eq!(replace_matches(b"[\\1]", &c), b"[\\1x]");
    }

    #[test]
    fn parameters() {
        let m = msg(&[("user", "alice"), ("empty", ""), ("y", "Y"), ("a", "A"), ("dup", "1"), ("dup", "2")]);
        assert_eq!(replace_params(b"sip/${user}@x", &m), b"sip/alice@x");
        assert_eq!(replace_params(b"[${nope}][${nope$fb}][${empty$fb}]", &m), b"[][fb][]");
        assert_eq!(replace_params(b"${ user }-${ nope $ d e }", &m), b"alice-d e");
        assert_eq!(replace_params(b"a${y", &m), b"a${y");
        assert_eq!(replace_params(b"${y}${y", &m), b"Y${y");
        assert_eq!(replace_params(b"b${y$def}c${ y }d", &m), b"bYcYd");
        assert_eq!(replace_params(b"${}|${n$}|${a${b}}", &m), b"||A}");
        assert_eq!(replace_params(b"${$x}", &m), b"x");
        assert_eq!(replace_params(b"${dup}", &m), b"1");
        assert_eq!(replace_params(b"$ {y} $y {y}", &m), b"$ {y} $y {y}");
    }

    #[test]
    fn inserted_parameter_text_is_skipped() {
        let m = msg(&[("p", "${q}"), ("q", "Q"), ("r", "${")]);
        assert_eq!(replace_params(b"${p}|${q}", &m), b"${q}|Q");
        assert_eq!(replace_params(b"${r}${q}", &m), b"${Q");
    }

    #[test]
    fn functions_restart_from_the_beginning() {
        let env = Env::default();
        env.globals.set(b"v", b"V");
        let m = msg(&[]);
        assert_eq!(funcs(&env, &m, "a$($)(v)b").0, "aVb");
        assert_eq!(funcs(&env, &m, "$($)(upper,abc)").0, "ABC");
        assert_eq!(funcs(&env, &m, "a$()b$($)c").0, "a;b$c");
        assert_eq!(funcs(&env, &m, "cost 5$ and $ alone").0, "cost 5$ and $ alone");
        assert_eq!(funcs(&env, &m, "$(length,$(upper,ab))").0, "0)");
    }

    #[test]
    fn unmatched_function_stops_the_pass() {
        let env = Env::default();
        let m = msg(&[]);
        let (out, log) = funcs(&env, &m, "[$(upper,x]-$(upper,y)");
        assert_eq!(out, "[X]-$(UPPER,Y");
        assert_eq!(log, ["Unmatched function end: '$(UPPER,Y'"]);
        let (out, log) = funcs(&env, &m, "[$(upper,abc]");
        assert_eq!(out, "[$(upper,abc]");
        assert_eq!(log, ["Unmatched function end: '$(upper,abc]'"]);
    }

    #[test]
    fn self_reproducing_call_is_capped() {
        let env = Env::default();
        env.globals.set(b"loop", b"$(loop)");
        let m = msg(&[]);
        let (out, log) = funcs(&env, &m, "x$(loop)y");
        assert_eq!(out, "x$(loop)y");
        assert_eq!(log.len(), 1);
        assert!(log[0].contains("10000 calls"), "{log:?}");
    }

    #[test]
    fn growing_call_is_capped_by_length() {
        let env = Env::default();
        let mut value = vec![b'a'; 4096];
        value.extend_from_slice(b"$(grow)");
        env.globals.set(b"grow", &value);
        let m = msg(&[]);
        let (out, log) = funcs(&env, &m, "$(grow)");
        assert!(out.len() > MAX_RESULT_LEN && out.len() <= MAX_RESULT_LEN + value.len());
        assert!(out.ends_with("$(grow)"));
        assert_eq!(log.len(), 1);
        assert!(log[0].contains("bytes"), "{log:?}");
    }

    #[test]
    fn expand_runs_the_passes_in_order() {
        let env = Env::default();
        let m = msg(&[("p", "$(add,1,2)"), ("evil", "E")]);
        let c = caps(b"bk${evil}$(upper,z)", &[Some((0, 19)), Some((2, 19))]);
        let mut log = Vec::new();
        let mut cx = FuncCtx { env: &env, msg: &m, log: &mut log };
        assert_eq!(expand(b"\\1", &c, &mut cx), b"EZ");
        assert_eq!(expand(b"${p}", &c, &mut cx), b"3");
        assert_eq!(expand(b"$($){p}", &c, &mut cx), b"${p}");
        assert!(log.is_empty());
    }
}
