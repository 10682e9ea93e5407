//! Fuzz entry points: one function per pipeline stage, taking raw bytes.
//!
//! The targets in `fuzz/fuzz_targets/` are one-line wrappers around these functions,
//! and `tests/fuzz_regressions.rs` replays every saved crasher through the same
//! function, so a crash found by `cargo fuzz` is reproduced by plain `cargo test`
//! (regex's `fuzz/` layout). None of them may panic on any input; the only panics
//! allowed are the invariant checks made here on purpose (spans, round trip, the two
//! engines agreeing).
//!
//! Byte layout shared by the targets: `0xFF` (never valid UTF-8, so never part of a
//! sensible config) separates the main file from the rest. In [`ini_parse`] and
//! [`compile`] the rest is a second, includable file; in [`run`] it is a list of
//! messages, themselves separated by `0xFF`.

use crate::bus::{Bus, Finished, Outcome, Phase};
use crate::ini::{self, Document, LoadOptions, MemFs};
use crate::runtime::env::{EngineInfo, Env};
use crate::runtime::message::Message;
use crate::runtime::router::{Engine, Router};
use crate::syntax::{self, Ast, Rule};
use std::path::Path;
use std::sync::Arc;

/// Longest input any target looks at; longer ones return at once. Keeps each run
/// fast enough that libFuzzer's timeouts mean a real hang, not a big input.
pub const MAX_INPUT: usize = 4096;

/// Most `enqueue`d messages [`run`] processes after each message. A rule that
/// enqueues a message which enqueues another loops for ever in Yate too, so the
/// harness bounds the queue walk instead of calling `Bus::dispatch_all`.
pub const MAX_QUEUED: usize = 64;

/// Most messages [`run`] builds from one input.
pub const MAX_MESSAGES: usize = 4;

/// Most include directives an input may hold. Each file may include the other many
/// times over, so without a cap the work grows with the product of their counts.
pub const MAX_INCLUDES: usize = 8;

/// The byte that separates the parts of an input.
pub const SEPARATOR: u8 = 0xFF;

/// A fuzz target: takes any bytes, must not panic.
pub type Target = fn(&[u8]);

/// Every target by name, for replaying saved inputs from `fuzz/regressions/<name>/`.
pub const TARGETS: &[(&str, Target)] = &[
    ("ini_parse", ini_parse),
    ("rule_parse", rule_parse),
    ("compile", compile),
    ("roundtrip", roundtrip),
    ("run", run),
    ("sip_parse", sip_parse),
];

/// The SIP message layer: parse, print back, re-parse and frame any bytes
/// (`sip::msg::fuzz::fuzz_parse`).
pub fn sip_parse(data: &[u8]) {
    crate::sip::msg::fuzz::fuzz_parse(data);
}

/// Where [`load_split`] puts its files.
const MAIN_PATH: &str = "/fuzz/main.conf";

/// The INI loader on the whole input as text, then on the input split into a main
/// file and an included one; every entry's spans must point at its own text.
pub fn ini_parse(data: &[u8]) {
    if data.len() > MAX_INPUT {
        return;
    }
    let doc = ini::load_str("fuzz.conf", &String::from_utf8_lossy(data), &LoadOptions::default());
    check_spans(&doc);
    if let Some(doc) = load_split(data) {
        check_spans(&doc);
    }
}

/// The rule parser on the whole input as one `key=value` entry and on each line as
/// one entry (keys and values untrimmed, unlike the INI layer's), printing each
/// rule back: the printer must give back the exact key and value.
pub fn rule_parse(data: &[u8]) {
    if data.len() > MAX_INPUT {
        return;
    }
    let text = String::from_utf8_lossy(data);
    one_rule(&text);
    for line in text.split('\n') {
        one_rule(line);
    }
}

/// Every compile-time stage on the input (loaded with includes): parse, lower,
/// the decision program and lint, printing each product and rendering every
/// diagnostic (its spans must be valid for miette).
pub fn compile(data: &[u8]) {
    if data.len() > MAX_INPUT {
        return;
    }
    let Some(doc) = load_split(data) else { return };
    let ast = syntax::parse(&doc);
    let ir = crate::ir::lower(&doc, &ast);
    let _ = ir.to_string();
    let _ = crate::program::compile(&ir).disasm(&ir);
    for d in crate::lint::check(&doc, &ast, &ir) {
        let _ = crate::diag::render_human(&d, &doc.sources);
    }
}

/// Parse, print, parse: every rule prints back to its entry's exact key and value,
/// and the printed configuration loads and parses to the same rules.
pub fn roundtrip(data: &[u8]) {
    if data.len() > MAX_INPUT {
        return;
    }
    let doc = ini::load_str("fuzz.conf", &String::from_utf8_lossy(data), &LoadOptions::default());
    check_roundtrip(&doc);
}

/// Compiles the part before the first `0xFF`, then dispatches each later part as a
/// message (see [`message`] for how bytes become one) through both engines, the
/// decision program and the reference walk: they must agree on each message's
/// result, its final state, its echo lines and the messages it created.
///
/// Inputs containing `sleep` (any case) are skipped: `msleep` really sleeps, up to a
/// minute per rule, and its word may come from a parameter as well as the config.
/// Inputs naming `random` or `timestamp` run without the comparison, since those
/// functions give a different answer each call.
pub fn run(data: &[u8]) {
    let lower = data.to_ascii_lowercase();
    if data.len() > MAX_INPUT || contains(&lower, b"sleep") {
        return;
    }
    let mut parts = data.split(|&b| b == SEPARATOR);
    let conf = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let doc = ini::load_str("fuzz.conf", &conf, &LoadOptions::default());
    let ir = Arc::new(crate::ir::lower(&doc, &syntax::parse(&doc)));
    let msgs: Vec<Message> = parts.take(MAX_MESSAGES).map(message).collect();
    // One set of engine facts for both runs: `EngineInfo::default` reads the clock.
    let info = EngineInfo::default();
    let compiled = route(&ir, &msgs, Engine::Compiled, &info);
    if contains(data, b"random") || contains(data, b"timestamp") {
        return;
    }
    let naive = route(&ir, &msgs, Engine::Naive, &info);
    assert_eq!(compiled, naive, "compiled and naive engines differ on config:\n{conf}");
}

/// What [`run`] compares between engines, per message: handled, the message as it
/// ended, echo lines, and each created message with its result.
type Routed = (bool, Message, Vec<String>, Vec<(Message, bool)>);

/// Every message through a fresh router on `engine`, with its own globals.
fn route(ir: &Arc<crate::ir::Ir>, msgs: &[Message], engine: Engine, info: &EngineInfo) -> Vec<Routed> {
    let env = Env { engine: info.clone(), ..Env::default() };
    let router = Router::with_engine(Arc::clone(ir), Arc::new(env), engine);
    let mut bus = Bus::new();
    router.install(&mut bus);
    msgs.iter()
        .map(|m| {
            let mut msg = m.clone();
            let (handled, out) = dispatch_bounded(&bus, &mut msg);
            let created = out.finished.into_iter().map(|f| (f.msg, f.handled)).collect();
            (handled, msg, out.echo, created)
        })
        .collect()
}

fn contains(data: &[u8], word: &[u8]) -> bool {
    data.windows(word.len()).any(|w| w == word)
}

/// Public so the round-trip property test can use it on the documents it generates.
///
/// Panics if a rule does not print back to its entry, or if the printed text does not
/// load and parse to the same sections and rules (spans aside: they move).
pub fn check_roundtrip(doc: &Document) {
    let ast = syntax::parse(doc);
    for rule in ast.contexts.iter().flat_map(|c| &c.rules) {
        assert_eq!(rule.print_key(), rule.entry.key, "key of {:?}", rule.entry);
        assert_eq!(rule.print_value(), rule.entry.value, "value of {:?}", rule.entry);
    }
    let names = printed_names(&ast);
    let text = print_config(&ast, &names);
    let again = syntax::parse(&ini::load_str("printed.conf", &text, &LoadOptions::default()));
    assert_eq!(again.contexts.len(), ast.contexts.len(), "sections of printed text:\n{text}");
    for ((a, b), name) in ast.contexts.iter().zip(&again.contexts).zip(&names) {
        assert_eq!(&b.name, name, "section name in printed text:\n{text}");
        let (ra, rb): (Vec<_>, Vec<_>) =
            (a.rules.iter().map(unspanned).collect(), b.rules.iter().map(unspanned).collect());
        assert_eq!(ra, rb, "rules of [{}] after printing:\n{text}", a.name);
    }
}

/// A rule with its entry reduced to key and value: spans and `via` depend on where
/// the line sits in which file, which printing changes.
fn unspanned(rule: &Rule) -> Rule {
    let entry = ini::Entry { key: rule.entry.key.clone(), value: rule.entry.value.clone(), ..Default::default() };
    Rule { entry, ..rule.clone() }
}

/// The header name each context is printed under.
///
/// A section name is stored after `${...}` substitution, so one holding `$` (say the
/// result of `[$${x}{y}]`, which is `${y}`) would be substituted or read as a
/// directive again; such contexts get a fresh placeholder name instead.
fn printed_names(ast: &Ast) -> Vec<String> {
    let taken = |n: &str| ast.contexts.iter().any(|c| c.name == n);
    let mut out = Vec::new();
    for (i, c) in ast.contexts.iter().enumerate() {
        // A `$` would be substituted on reload, and blanks at either end (a name
        // whose `${}` expanded to nothing after them) trimmed: `[name]` cannot carry
        // either back.
        let blank_ends = c.name.trim_matches(|ch: char| ch.is_ascii_whitespace()) != c.name;
        if !c.name.contains('$') && !blank_ends {
            out.push(c.name.clone());
            continue;
        }
        let mut name = format!("fuzz-section-{i}");
        while taken(&name) {
            name.push('_');
        }
        out.push(name);
    }
    out
}

/// The AST as configuration text, one `[name]` header per context and one
/// `key=value` line per rule, built from `print_key`/`print_value`.
///
/// A value ending in `\` gets a trailing blank (trimmed again on load), or the loader
/// would read the next line as its continuation.
fn print_config(ast: &Ast, names: &[String]) -> String {
    let mut text = String::new();
    for (c, name) in ast.contexts.iter().zip(names) {
        text.push_str(&format!("[{name}]\n"));
        for r in &c.rules {
            let value = r.print_value();
            let guard = if value.ends_with('\\') { " " } else { "" };
            text.push_str(&format!("{}={value}{guard}\n", r.print_key()));
        }
    }
    text
}

/// Loads the input as `/fuzz/main.conf` (before the first `0xFF`) with the rest as
/// `/fuzz/inc.conf` and `/fuzz/conf.d/inc.conf`, for `[$include inc.conf]`,
/// `[$include ${configpath}/conf.d]` and cycles back to the main file.
///
/// `None` for inputs with more than [`MAX_INCLUDES`] include directives.
pub fn load_split(data: &[u8]) -> Option<Document> {
    if count(data, b"$include") + count(data, b"$require") > MAX_INCLUDES {
        return None;
    }
    let cut = data.iter().position(|&b| b == SEPARATOR).unwrap_or(data.len());
    let (main, inc) = (&data[..cut], data.get(cut + 1..).unwrap_or_default());
    let fs = MemFs::default()
        .with(MAIN_PATH, main.to_vec())
        .with("/fuzz/inc.conf", inc.to_vec())
        .with("/fuzz/conf.d/inc.conf", inc.to_vec());
    let opts = LoadOptions { run_params: vec![("configpath".into(), "/fuzz".into())], ..Default::default() };
    ini::load(Path::new(MAIN_PATH), &opts, &fs).ok()
}

fn count(data: &[u8], word: &[u8]) -> usize {
    data.windows(word.len()).filter(|w| *w == word).count()
}

/// Every entry's key span covers its key, and each value run covers its part of the
/// value, in the file the entry came from (the spans `lint` and traces show).
fn check_spans(doc: &Document) {
    for e in doc.sections.iter().flat_map(|s| &s.entries) {
        assert_eq!(doc.sources.slice(e.key_span), e.key, "key span of {e:?}");
        for (off, span) in &e.value_runs {
            let part = e.value.get(*off as usize..*off as usize + span.len());
            assert_eq!(Some(doc.sources.slice(*span)), part, "value run of {e:?}");
        }
        let _ = doc.sources.location(e.span);
    }
}

/// Parses `line` as one entry split at its first `=`, walks the spans of every
/// condition, and checks the printer gives the key and value back.
fn one_rule(line: &str) {
    let (key, value) = line.split_once('=').unwrap_or((line, ""));
    let id = crate::source::SourceId(0);
    let vstart = line.len() - value.len();
    let entry = ini::Entry {
        key: key.to_string(),
        value: value.to_string(),
        span: crate::source::Span::new(id, 0, line.len()),
        key_span: crate::source::Span::new(id, 0, key.len()),
        value_runs: vec![(0, crate::source::Span::new(id, vstart, line.len()))],
        via: None,
    };
    let rule = syntax::parse_rule(&entry);
    for c in rule.conds() {
        let _ = (rule.regex_span(c), rule.span_of(c.side, c.range.clone()));
    }
    let _ = syntax::describe(&rule);
    assert_eq!(rule.print_key(), key, "key of {line:?}");
    assert_eq!(rule.print_value(), value, "value of {line:?}");
}

/// A message from bytes: lines separated by `\n`. The first byte picks the name
/// (`call.route` unless it is `P`: `call.preroute`, or `N`: the rest of the first
/// line), so short inputs reach the route handler. A line `name=value` adds a
/// parameter; any other non-empty line sets `called`, the usual match string.
pub fn message(data: &[u8]) -> Message {
    let (name, body) = match data.first() {
        Some(b'P') => (b"call.preroute".to_vec(), &data[1..]),
        Some(b'N') => {
            let end = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
            (data[1..end].to_vec(), data.get(end + 1..).unwrap_or_default())
        }
        _ => (b"call.route".to_vec(), data),
    };
    let mut msg = Message::new(name);
    msg.time = 1_700_000_000;
    for line in body.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        match line.iter().position(|&b| b == b'=') {
            Some(eq) => msg.add(&line[..eq], &line[eq + 1..]),
            None => msg.set(b"called", line),
        }
    }
    msg
}

/// `Bus::dispatch_all` with at most [`MAX_QUEUED`] enqueued messages processed, and
/// tracing on (its formatting is code too). Returns the first message's result.
fn dispatch_bounded(bus: &Bus, msg: &mut Message) -> (bool, Outcome) {
    let mut out = Outcome { trace: Some(Vec::new()), ..Default::default() };
    let handled = bus.dispatch(msg, &mut out);
    for _ in 0..MAX_QUEUED {
        let Some(mut m) = out.queue.pop_front() else { break };
        let h = bus.dispatch(&mut m, &mut out);
        out.finished.push(Finished { msg: m, handled: h, phase: Phase::Async });
    }
    (handled, out)
}
