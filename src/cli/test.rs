//! `rexroute test FILE...`: routing unit tests written in TOML beside the configuration.
//!
//! The format is described in `docs/test-format.md`; `examples/basic/` holds a worked
//! example.

use crate::bus::{Bus, Finished, Outcome, Phase};
use crate::runtime::env::Env;
use crate::runtime::message::Message;
use crate::runtime::router::Router;
use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::fmt::{self, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use toml::Spanned;

/// Arguments of `test`.
#[derive(clap::Args, Debug)]
pub struct TestArgs {
    /// Test files (`*.test.toml`), or folders whose `*.test.toml` files are run.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Also print a line for every passing case.
    #[arg(short, long)]
    verbose: bool,
}

/// One test file.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct TestFile {
    /// The regexroute.conf under test, relative to the test file.
    config: String,
    /// Default message time for every case, so `$(message,time)` is reproducible.
    time: Option<u64>,
    #[serde(default, rename = "case")]
    cases: Vec<Spanned<Case>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct Case {
    name: Option<String>,
    #[serde(default = "default_message")]
    message: String,
    #[serde(default)]
    params: Params,
    #[serde(default)]
    retvalue: String,
    time: Option<u64>,
    /// Run the message as Yate's call router does: `call.preroute`, then `call.route`.
    #[serde(default)]
    preroute: bool,
    #[serde(default)]
    expect: Expect,
}

fn default_message() -> String {
    "call.route".to_string()
}

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct Expect {
    handled: Option<bool>,
    target: Option<String>,
    message: Option<String>,
    params: Option<Params>,
    absent: Option<Vec<String>>,
    echo: Option<Vec<String>>,
    enqueued: Option<Vec<ExpectMsg>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct ExpectMsg {
    name: Option<String>,
    handled: Option<bool>,
    target: Option<String>,
    params: Option<Params>,
    absent: Option<Vec<String>>,
    phase: Option<PhaseName>,
}

#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum PhaseName {
    Sync,
    Async,
}

/// Parameters in the order written: a table, or a list of `[name, value]` pairs when a
/// name repeats (TOML tables cannot hold a key twice).
#[derive(Debug, Default)]
struct Params(Vec<(String, String)>);

impl<'de> Deserialize<'de> for Params {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Params;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a table of strings or a list of [name, value] pairs")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Params, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, String>()? {
                    out.push((k, v));
                }
                Ok(Params(out))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Params, A::Error> {
                let mut out = Vec::new();
                while let Some(pair) = seq.next_element::<(String, String)>()? {
                    out.push(pair);
                }
                Ok(Params(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// Totals over every file run.
#[derive(Default)]
struct Tally {
    passed: usize,
    failed: usize,
    errors: usize,
}

/// Runs `test`.
pub fn run(a: TestArgs) -> ExitCode {
    let mut tally = Tally::default();
    for path in &a.files {
        match expand(path) {
            Ok(files) => {
                for f in files {
                    if let Err(e) = run_file(&f, a.verbose, &mut tally) {
                        eprintln!("error: {}: {e}", f.display());
                        tally.errors += 1;
                    }
                }
            }
            Err(e) => {
                eprintln!("error: {}: {e}", path.display());
                tally.errors += 1;
            }
        }
    }
    println!("{} passed, {} failed", tally.passed, tally.failed);
    if tally.errors > 0 {
        ExitCode::from(2)
    } else if tally.failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// A folder stands for its `*.test.toml` files, sorted so runs are reproducible.
fn expand(path: &Path) -> Result<Vec<PathBuf>, String> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut out = Vec::new();
    for entry in std::fs::read_dir(path).map_err(|e| e.to_string())? {
        let p = entry.map_err(|e| e.to_string())?.path();
        if p.is_file() && p.file_name().is_some_and(|n| n.to_string_lossy().ends_with(".test.toml")) {
            out.push(p);
        }
    }
    if out.is_empty() {
        return Err("no *.test.toml files in this folder".to_string());
    }
    out.sort();
    Ok(out)
}

/// Parses a test file; the error text carries the TOML line and column.
fn parse_file(text: &str) -> Result<TestFile, String> {
    let file: TestFile = toml::from_str(text).map_err(|e| e.to_string().trim_end().to_string())?;
    for c in &file.cases {
        if c.get_ref().preroute && c.get_ref().message != "call.route" {
            let line = line_of(text, c.span().start);
            return Err(format!("line {line}: `preroute = true` needs `message = \"call.route\"`"));
        }
    }
    Ok(file)
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())].iter().filter(|&&b| b == b'\n').count() + 1
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

fn run_file(path: &Path, verbose: bool, tally: &mut Tally) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let file = parse_file(&text)?;
    let conf = path.parent().unwrap_or(Path::new("")).join(&file.config);
    let (_doc, ir) = super::load(&conf)?;
    // One engine per file: globals carry over from case to case, as in `route --batch`.
    let router = Router::new(Arc::new(ir), Arc::new(Env::default()));
    let mut bus = Bus::new();
    router.install(&mut bus);
    let default_time = file.time.unwrap_or_else(now);
    for (i, spanned) in file.cases.iter().enumerate() {
        let line = line_of(&text, spanned.span().start);
        let case = spanned.get_ref();
        let label = match &case.name {
            Some(n) => format!("{}:{line}: {n}", path.display()),
            None => format!("{}:{line}: case #{}", path.display(), i + 1),
        };
        let (msg, handled, o) = dispatch(&bus, case, default_time);
        let mismatches = check(&case.expect, &msg, handled, &o);
        if mismatches.is_empty() {
            tally.passed += 1;
            if verbose {
                println!("ok   {label}");
            }
        } else {
            tally.failed += 1;
            print!("{}", failure(&label, &mismatches, &o));
        }
    }
    Ok(())
}

/// Dispatches one case; with `preroute`, first as `call.preroute` and then, unless that
/// rejected the call, as `call.route` (the same message, as Yate's call router does).
fn dispatch(bus: &Bus, case: &Case, default_time: u64) -> (Message, bool, Outcome) {
    let mut msg = Message::new(case.message.clone().into_bytes());
    for (k, v) in &case.params.0 {
        msg.add(k.as_bytes(), v.as_bytes());
    }
    msg.retvalue = case.retvalue.clone().into_bytes();
    msg.time = case.time.unwrap_or(default_time);
    let mut o = Outcome { trace: Some(Vec::new()), ..Default::default() };
    if !case.preroute {
        let handled = bus.dispatch_all(&mut msg, &mut o);
        return (msg, handled, o);
    }
    msg.name = b"call.preroute".to_vec();
    let pre = bus.dispatch_all(&mut msg, &mut o);
    if pre && (msg.retvalue == b"-" || msg.retvalue == b"error") {
        return (msg, pre, o);
    }
    msg.name = b"call.route".to_vec();
    msg.retvalue.clear();
    let handled = bus.dispatch_all(&mut msg, &mut o);
    (msg, handled, o)
}

/// One difference between what a case expected and what happened.
struct Mismatch {
    what: String,
    expected: String,
    got: String,
}

fn quote(b: &[u8]) -> String {
    format!("{:?}", String::from_utf8_lossy(b))
}

fn quote_list<T: AsRef<[u8]>>(items: &[T]) -> String {
    let parts: Vec<String> = items.iter().map(|s| quote(s.as_ref())).collect();
    format!("[{}]", parts.join(", "))
}

/// Compares everything a case expects; what it leaves out is not checked.
fn check(e: &Expect, msg: &Message, handled: bool, o: &Outcome) -> Vec<Mismatch> {
    let mut out = Vec::new();
    if let Some(n) = &e.message {
        text_field(&mut out, "message", n, &msg.name);
    }
    check_message(&mut out, "", e.handled, e.target.as_deref(), e.params.as_ref(), e.absent.as_deref(), msg, handled);
    if let Some(echo) = &e.echo {
        if *echo != o.echo {
            out.push(Mismatch { what: "echo".into(), expected: quote_list(echo), got: quote_list(&o.echo) });
        }
    }
    if let Some(list) = &e.enqueued {
        check_enqueued(&mut out, list, &o.finished);
    }
    out
}

fn text_field(out: &mut Vec<Mismatch>, what: &str, expected: &str, got: &[u8]) {
    if expected.as_bytes() != got {
        out.push(Mismatch { what: what.to_string(), expected: quote(expected.as_bytes()), got: quote(got) });
    }
}

#[allow(clippy::too_many_arguments)]
fn check_message(
    out: &mut Vec<Mismatch>,
    prefix: &str,
    handled_exp: Option<bool>,
    target: Option<&str>,
    params: Option<&Params>,
    absent: Option<&[String]>,
    msg: &Message,
    handled: bool,
) {
    if let Some(h) = handled_exp {
        if h != handled {
            out.push(Mismatch { what: format!("{prefix}handled"), expected: h.to_string(), got: handled.to_string() });
        }
    }
    if let Some(t) = target {
        text_field(out, &format!("{prefix}target"), t, &msg.retvalue);
    }
    if let Some(p) = params {
        check_params(out, prefix, p, msg);
    }
    for name in absent.unwrap_or_default() {
        let got: Vec<&[u8]> = values(msg, name);
        if !got.is_empty() {
            out.push(Mismatch { what: format!("{prefix}params.{name}"), expected: "absent".into(), got: shown(&got) });
        }
    }
}

fn values<'m>(msg: &'m Message, name: &str) -> Vec<&'m [u8]> {
    msg.iter().filter(|(k, _)| *k == name.as_bytes()).map(|(_, v)| v).collect()
}

fn shown(vals: &[&[u8]]) -> String {
    match vals {
        [] => "absent".to_string(),
        [one] => quote(one),
        many => quote_list(many),
    }
}

/// Each named parameter must hold exactly the listed values: one for the table form,
/// several when the pair list repeats a name.
fn check_params(out: &mut Vec<Mismatch>, prefix: &str, p: &Params, msg: &Message) {
    let mut seen: Vec<&str> = Vec::new();
    for (name, _) in &p.0 {
        if seen.contains(&name.as_str()) {
            continue;
        }
        seen.push(name);
        let want: Vec<&[u8]> = p.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_bytes()).collect();
        let got = values(msg, name);
        if want != got {
            out.push(Mismatch { what: format!("{prefix}params.{name}"), expected: shown(&want), got: shown(&got) });
        }
    }
}

fn check_enqueued(out: &mut Vec<Mismatch>, want: &[ExpectMsg], got: &[Finished]) {
    if want.len() != got.len() {
        let names: Vec<&[u8]> = got.iter().map(|f| f.msg.name.as_slice()).collect();
        out.push(Mismatch {
            what: "enqueued".into(),
            expected: format!("{} message(s)", want.len()),
            got: format!("{}: {}", got.len(), quote_list(&names)),
        });
    }
    for (i, (w, f)) in want.iter().zip(got).enumerate() {
        let prefix = format!("enqueued[{i}].");
        if let Some(n) = &w.name {
            text_field(out, &format!("{prefix}name"), n, &f.msg.name);
        }
        check_message(
            out,
            &prefix,
            w.handled,
            w.target.as_deref(),
            w.params.as_ref(),
            w.absent.as_deref(),
            &f.msg,
            f.handled,
        );
        if let Some(p) = w.phase {
            let actual = match f.phase {
                Phase::Sync => PhaseName::Sync,
                Phase::Async => PhaseName::Async,
            };
            if p != actual {
                out.push(Mismatch {
                    what: format!("{prefix}phase"),
                    expected: format!("{p:?}").to_lowercase(),
                    got: format!("{actual:?}").to_lowercase(),
                });
            }
        }
    }
}

/// The report for a failing case: a header line, one line per mismatch, then the rule
/// trace and any warnings, which usually show why.
fn failure(label: &str, mismatches: &[Mismatch], o: &Outcome) -> String {
    let mut s = format!("FAIL {label}\n");
    for m in mismatches {
        let _ = writeln!(s, "  {}: expected {}, got {}", m.what, m.expected, m.got);
    }
    if let Some(t) = o.trace.as_ref().filter(|t| !t.is_empty()) {
        s.push_str("  trace:\n");
        for l in t {
            let _ = writeln!(s, "    {l}");
        }
    }
    if !o.log.is_empty() {
        s.push_str("  log:\n");
        for l in &o.log {
            let _ = writeln!(s, "    {l}");
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_keep_order_in_both_forms() {
        let f = parse_file(
            "config = \"x.conf\"\n[[case]]\nparams = { z = \"1\", a = \"2\", m = \"3\" }\n\
             [[case]]\nparams = [[\"a\", \"1\"], [\"a\", \"2\"]]\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let names: Vec<&str> = f.cases[0].get_ref().params.0.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["z", "a", "m"]);
        assert_eq!(f.cases[1].get_ref().params.0.len(), 2);
    }

    #[test]
    fn unknown_keys_are_errors_with_a_line() {
        let e = parse_file("config = \"x\"\n[[case]]\nexpect.targte = \"x\"\n").err().unwrap_or_default();
        assert!(e.contains("line 3"), "{e}");
        assert!(e.contains("targte"), "{e}");
    }

    #[test]
    fn case_lines_point_at_the_header() {
        let text = "config = \"x\"\n\n[[case]]\nname = \"a\"\n\n[[case]]\nname = \"b\"\n";
        let f = parse_file(text).unwrap_or_else(|e| panic!("{e}"));
        let lines: Vec<usize> = f.cases.iter().map(|c| line_of(text, c.span().start)).collect();
        assert_eq!(lines, [3, 6]);
    }

    #[test]
    fn duplicate_params_compare_all_values() {
        let mut m = Message::new("call.route");
        m.add(b"a", b"1");
        m.add(b"a", b"2");
        let mut out = Vec::new();
        check_params(&mut out, "", &Params(vec![("a".into(), "1".into())]), &m);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].got, "[\"1\", \"2\"]");
        out.clear();
        check_params(&mut out, "", &Params(vec![("a".into(), "1".into()), ("a".into(), "2".into())]), &m);
        assert!(out.is_empty());
    }
}
