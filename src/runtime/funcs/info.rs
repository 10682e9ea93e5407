//! Functions that report on the engine, the message and the globals.

use std::time::{SystemTime, UNIX_EPOCH};

use super::text::append_sep;
use super::FuncCtx;
use crate::runtime::env::Env;
use crate::runtime::message::Message;
use crate::runtime::num::bool_text;
use crate::runtime::subst::trim_blanks;

/// Yate's `MAX_VAR_LEN`: `$(variables,list)` stops adding names once it is longer.
const MAX_VAR_LEN: usize = 8100;

/// The data formats rexroute's engine can translate between (its only translators are
/// the built-in 8 kHz mono ones), in Yate's static format-table order.
const FORMATS: [&[u8]; 3] = [b"slin", b"alaw", b"mulaw"];

/// Splits `WHAT[,SEP]` for `message` and `variables`. Both are trimmed only when SEP is
/// present: Yate leaves a lone WHAT as written, so `$(message, name)` asks for " name".
fn what_and_sep(par: &[u8], sep: Option<usize>) -> (&[u8], &[u8]) {
    match sep {
        Some(p) => (trim_blanks(&par[..p]), trim_blanks(&par[p + 1..])),
        None => (par, &[]),
    }
}

/// A list separator: the given one, or `,` when empty.
fn joiner(sep: &[u8]) -> &[u8] {
    if sep.is_empty() {
        b","
    } else {
        sep
    }
}

/// `$(config,SECTION,KEY)` from the main engine configuration; both parts trimmed.
pub(super) fn config(env: &Env, par: &[u8], p: usize) -> Vec<u8> {
    let section = trim_blanks(&par[..p]);
    let key = trim_blanks(&par[p + 1..]);
    env.engine.config.iter().find(|(s, k, _)| s == section && k == key).map(|(_, _, v)| v.clone()).unwrap_or_default()
}

/// `$(message[,WHAT[,SEP]])`.
pub(super) fn message(msg: &Message, par: &[u8], sep: Option<usize>) -> Vec<u8> {
    let (what, list_sep) = what_and_sep(par, sep);
    match what {
        b"" | b"name" => msg.name.clone(),
        b"time" => msg.time.to_string().into_bytes(),
        b"broadcast" => bool_text(msg.broadcast).to_vec(),
        b"retval" => msg.retvalue.clone(),
        b"count" => msg.param_count().to_string().into_bytes(),
        b"parameters" => {
            let mut out = Vec::new();
            for (name, _) in msg.iter() {
                append_sep(&mut out, name, joiner(list_sep));
            }
            out
        }
        _ => Vec::new(),
    }
}

/// `$(variables[,WHAT[,SEP]])`: count, list, or whether a variable exists.
pub(super) fn variables(cx: &mut FuncCtx<'_>, par: &[u8], sep: Option<usize>) -> Vec<u8> {
    let (what, list_sep) = what_and_sep(par, sep);
    match what {
        b"" | b"count" => cx.env.globals.with(|t| t.len()).to_string().into_bytes(),
        b"list" => {
            let (list, truncated) = cx.env.globals.with(|t| list_names(t.names(), joiner(list_sep)));
            if truncated {
                cx.log.push("Truncating output of $(variables,list)".to_string());
            }
            list
        }
        name => bool_text(cx.env.globals.with(|t| t.get(name).is_some())).to_vec(),
    }
}

/// Joins variable names, ending with `...` once the text exceeds [`MAX_VAR_LEN`] and
/// names remain. Returns whether it truncated.
fn list_names<'n>(names: impl Iterator<Item = &'n [u8]>, sep: &[u8]) -> (Vec<u8>, bool) {
    let mut out = Vec::new();
    for name in names {
        if out.len() > MAX_VAR_LEN {
            append_sep(&mut out, b"...", sep);
            return (out, true);
        }
        append_sep(&mut out, name, sep);
    }
    (out, false)
}

/// `$(transcode,FLAGS,F1,F2,…)` for an engine with only the slin/alaw/mulaw translators.
///
/// As Yate's `DataTranslator::allFormats`: empty names are skipped, names are not
/// trimmed, unknown ones contribute nothing; the known inputs come first unless FLAGS
/// contains `e`, then every other format they convert to (both ways), without repeats.
/// The `r` and `c` flags cannot matter: all three formats are 8 kHz mono.
pub(super) fn transcode(flags: &[u8], formats: &[u8]) -> Vec<u8> {
    let inputs: Vec<&[u8]> = formats.split(|&b| b == b',').filter(|f| !f.is_empty()).collect();
    let known: Vec<&[u8]> = inputs.iter().copied().filter(|f| FORMATS.contains(f)).collect();
    let mut out: Vec<&[u8]> = Vec::new();
    if !flags.contains(&b'e') {
        out.extend(&known);
    }
    for input in &known {
        for candidate in FORMATS {
            if candidate != *input && !inputs.contains(&candidate) && !out.contains(&candidate) {
                out.push(candidate);
            }
        }
    }
    out.join(&b","[..])
}

/// `$(threadname)`: the name of the thread running the handler, `""` when unnamed.
///
/// Yate reports its own thread names (e.g. `Call Router`); rexroute reports whatever name
/// its runtime gave the OS thread (Rust's main thread is `main`).
pub(super) fn thread_name() -> Vec<u8> {
    std::thread::current().name().unwrap_or_default().as_bytes().to_vec()
}

/// `$(timestamp)` as `YYYYMMDDhhmmss.uuuuuu` in UTC.
///
/// Yate prints its log timestamp here, whose format depends on how the engine was
/// started; rexroute fixes this one.
pub(super) fn timestamp(now: SystemTime) -> Vec<u8> {
    let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let (year, month, day) = civil_from_days(days);
    let rem = secs % 86_400;
    let (h, m, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    let micros = since.subsec_micros();
    format!("{year:04}{month:02}{day:02}{h:02}{m:02}{s:02}.{micros:06}").into_bytes()
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's
/// `civil_from_days`), since no date crate is available.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn calendar_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(59), (1970, 3, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(19_675), (2023, 11, 14));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }

    #[test]
    fn timestamp_format() {
        let t = UNIX_EPOCH + Duration::new(1_700_000_000, 123_456_789);
        assert_eq!(timestamp(t), b"20231114221320.123456");
        assert_eq!(timestamp(UNIX_EPOCH), b"19700101000000.000000");
    }

    #[test]
    fn transcode_lists() {
        assert_eq!(transcode(b"", b"slin"), b"slin,alaw,mulaw");
        assert_eq!(transcode(b"e", b"slin,alaw"), b"mulaw");
        assert_eq!(transcode(b"", b"mulaw"), b"mulaw,slin,alaw");
        assert_eq!(transcode(b"", b"nosuchfmt"), b"");
        assert_eq!(transcode(b"rc", b"alaw,,gsm"), b"alaw,slin,mulaw");
        assert_eq!(transcode(b"", b"slin, alaw"), b"slin,alaw,mulaw");
        assert_eq!(transcode(b"", b"slin,slin"), b"slin,slin,alaw,mulaw");
        assert_eq!(transcode(b"e", b"slin,alaw,mulaw"), b"");
    }

    #[test]
    fn variable_list_truncates_past_limit() {
        let long = vec![b'x'; 5000];
        let names: Vec<&[u8]> = vec![&long, &long, b"a", b"b"];
        let (list, truncated) = list_names(names.into_iter(), b",");
        assert!(truncated);
        assert_eq!(list.len(), 5000 + 1 + 5000 + 4);
        assert!(list.ends_with(b",..."));
        let (list, truncated) = list_names([&b"a"[..], b"", b"b"].into_iter(), b"/");
        assert!(!truncated);
        assert_eq!(list, b"a/b");
    }
}
