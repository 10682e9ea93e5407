//! Differential test: the decision program and the reference walk give identical
//! results (name, return value, parameters, echo lines, created messages) on generated
//! configurations and messages.

use proptest::prelude::*;
use rexroute::bus::{Bus, Outcome};
use rexroute::ini::{load_str, LoadOptions};
use rexroute::runtime::env::Env;
use rexroute::runtime::message::Message;
use rexroute::runtime::router::{Engine, Router};
use std::sync::Arc;

fn cond() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9]{1,4}".prop_map(|p| format!("^{p}")),
        "[0-9]{1,3}".prop_map(|p| format!("^{p}\\(.*\\)$")),
        "[0-9]{1,3}".prop_map(|p| format!("^{p}[0-9]*$")),
        "[0-9]{1,2}".prop_map(|p: String| p),
        "[0-9]{1,2}".prop_map(|p| format!("^{p}^")),
        Just(".*".to_string()),
        Just("^$".to_string()),
        Just("^".to_string()),
        "[ab]{1,2}".prop_map(|v| format!("${{p}}^{v}")),
        "[ab]{1,2}".prop_map(|v| format!("${{q$b}}^{v}$")),
        Just("${p}".to_string()),
        Just("${q}^".to_string()),
        "[0-9]".prop_map(|d| format!("$(length,${{called}})^{d}$")),
        Just("$(v)^1$".to_string()),
        Just("\\(unclosed".to_string()),
        Just("\\(x^".to_string()),
    ]
}

fn action() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z]{1,3}".prop_map(|t| format!("t-{t}-\\0-\\1")),
        "[a-z]{1,3}".prop_map(|t: String| t),
        Just(";x=\\0".to_string()),
        // Built from captures, then read as a keyword or a target.
        Just("\\0".to_string()),
        Just(" i\\1 ;p=b".to_string()),
        Just(";p=a".to_string()),
        Just(";p".to_string()),
        Just(";$v=1".to_string()),
        Just("match 12".to_string()),
        Just("return".to_string()),
        Just("return yes".to_string()),
        Just("goto other".to_string()),
        Just("include other".to_string()),
        Just("echo e \\1 ${p}".to_string()),
        Just("retval r".to_string()),
        Just("rename call.x".to_string()),
        Just("enqueue note.msg;a=${called}".to_string()),
        Just("dispatch note.msg;a=\\0".to_string()),
        Just("${act}".to_string()),
        Just("{".to_string()),
    ]
}

fn line() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => (cond(), action()).prop_map(|(c, a)| format!("{c}={a}")),
        2 => (cond(), cond(), action()).prop_map(|(c, d, a)| format!("{c}=if {d}={a}")),
        2 => (cond(), cond(), action()).prop_map(|(c, d, a)| format!("{c}=or {d}={a}")),
        1 => (cond(), cond(), action()).prop_map(|(c, d, a)| format!("{c}=and {d}=or {c}={a}")),
        2 => cond().prop_map(|c| format!("{c}={{")),
        1 => cond().prop_map(|c| format!("}} {c}={{")),
        1 => Just("}={".to_string()),
        2 => Just("}".to_string()),
        1 => (cond(), action()).prop_map(|(c, a)| format!("}} {c}={a}")),
    ]
}

fn config() -> impl Strategy<Value = String> {
    (prop::collection::vec(line(), 1..40), prop::collection::vec(line(), 0..6)).prop_map(|(main, other)| {
        format!(
            "[extra]\nnote.msg=100\n[note.msg]\n.*=;seen=1\n[default]\n{}\n[other]\n{}\n",
            main.join("\n"),
            other.join("\n")
        )
    })
}

fn message() -> impl Strategy<Value = Message> {
    // Mostly digits; sometimes blanks and the bytes that change how substitution reads
    // a text around an inserted value.
    let called = prop_oneof![
        4 => "[0-9]{0,5}".boxed(),
        1 => "[0-9 $(),]{0,4}".boxed(),
        1 => prop::sample::select(vec!["goto other", " return yes ", "include other", "noop"]).prop_map(str::to_owned).boxed(),
    ];
    (called, prop::option::of("[ab]{0,2}"), prop::option::of(prop_oneof![Just("goto other"), Just("x")])).prop_map(
        |(called, p, act)| {
            let mut m = Message::new("call.route");
            m.add(b"called", called.as_bytes());
            if let Some(p) = p {
                m.add(b"p", p.as_bytes());
            }
            if let Some(a) = act {
                m.add(b"act", a.as_bytes());
            }
            m.time = 1_700_000_000;
            m
        },
    )
}

type Result1 = (bool, Message, Vec<String>, Vec<(Message, bool)>);

/// A bus with `conf`'s handlers, routing with `engine`.
fn bus(conf: &str, engine: Engine) -> Bus {
    let doc = load_str("/t/regexroute.conf", conf, &LoadOptions::default());
    let ast = rexroute::syntax::parse(&doc);
    let ir = rexroute::ir::lower(&doc, &ast);
    let router = Router::with_engine(Arc::new(ir), Arc::new(Env::default()), engine);
    let mut bus = Bus::new();
    router.install(&mut bus);
    bus
}

fn route(conf: &str, msgs: &[Message], engine: Engine) -> Vec<Result1> {
    let bus = bus(conf, engine);
    msgs.iter()
        .map(|m| {
            let mut m = m.clone();
            let mut out = Outcome::default();
            let handled = bus.dispatch_all(&mut m, &mut out);
            let created = out.finished.into_iter().map(|f| (f.msg, f.handled)).collect();
            (handled, m, out.echo, created)
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn compiled_equals_naive(conf in config(), msgs in prop::collection::vec(message(), 1..6)) {
        let a = route(&conf, &msgs, Engine::Compiled);
        let b = route(&conf, &msgs, Engine::Naive);
        prop_assert_eq!(a, b, "config:\n{}", conf);
    }
}

/// With nobody reading echo lines, an echo that calls no function is skipped, and
/// one that does still runs for its effects; both engines alike.
#[test]
fn unread_echo_skips_only_what_changes_nothing() {
    let conf = "[default]\n.*=echo plain ${caller}\n.*=echo counted $(++$n)\n.*=done\n";
    for engine in [Engine::Compiled, Engine::Naive] {
        let bus = bus(conf, engine);
        let mut m = Message::new("call.route");
        m.add(b"called", b"123");
        m.add(b"caller", b"alice");
        let mut out = Outcome { echo_unread: true, ..Outcome::default() };
        assert!(bus.dispatch_all(&mut m, &mut out));
        assert_eq!(out.echo, ["counted 1"], "{engine:?}");
        let mut read = Outcome::default();
        assert!(bus.dispatch_all(&mut m, &mut read));
        assert_eq!(read.echo, ["plain alice", "counted 2"], "{engine:?}: the counter counted while unread");
    }
}

/// A captured text that the later substitution passes would read (a function call, a
/// parameter reference) gives the same result whichever engine built the target.
#[test]
fn captures_that_form_syntax_are_substituted_again() {
    let conf = "[default]\n^9=nine\n^8\\(.*\\)$=eight-\\1\n^1\\(.*\\)$=t-\\1;seen=yes\n^2=two\n.*=other\n";
    let cases: [(&str, &str); 4] =
        [("1$(length,abc)", "t-3"), ("1${caller}", "t-alice"), ("1x,y", "t-x,y"), ("8goto", "eight-goto")];
    for (called, want) in cases {
        let mut msg = Message::new("call.route");
        msg.add(b"called", called.as_bytes());
        msg.add(b"caller", b"alice");
        let a = route(conf, std::slice::from_ref(&msg), Engine::Compiled);
        let b = route(conf, std::slice::from_ref(&msg), Engine::Naive);
        assert_eq!(a, b, "{called}");
        assert_eq!(a.first().map(|r| r.1.retvalue.as_slice()), Some(want.as_bytes()), "{called}");
    }
}

/// Lines that only set or clear parameters, met among checked guards, change what the
/// later guards of the same walk read; both engines alike.
#[test]
fn assignments_among_guards_are_seen_by_the_next_guard() {
    let conf = "[default]\n\
        .*=;stage=one;drop\n\
        ${stage}^one$=;stage=two\n\
        ${drop}^$^=-;error=kept\n\
        ${stage}^two$=;seen=yes\n\
        ${seen}^yes$=routed-${stage}\n\
        .*=fallthrough\n";
    let mut msg = Message::new("call.route");
    msg.add(b"called", b"123");
    msg.add(b"drop", b"x");
    let a = route(conf, std::slice::from_ref(&msg), Engine::Compiled);
    let b = route(conf, std::slice::from_ref(&msg), Engine::Naive);
    assert_eq!(a, b);
    let Some((handled, m, _, _)) = a.first() else { panic!("no result") };
    assert!(handled);
    assert_eq!(m.retvalue, b"routed-two");
    assert_eq!(m.get(b"drop"), None, "cleared by the first line");
    assert_eq!(m.get(b"seen"), Some(&b"yes"[..]));
}

/// A run large enough to be walked ahead, after guards (no literal prefix: steps of
/// their own, evaluated while the walk goes ahead) that change the match string
/// (`match`, and a context that an `include` enters and that walks a trie of its own):
/// the search finds the rules of the string it is given, as the reference walk does.
#[test]
fn a_match_string_changed_before_a_large_run_is_searched_anew() {
    let mut conf = String::from(
        "[default]\n\
         ${caller}swap=match 5550001\n\
         ${caller}inc=include other\n\
         ${caller}blank=match  4440001\n\
         ${tag}x=;tagged=yes\n\
         ${tag}y=;tagged=no\n",
    );
    let mut other = String::from("[other]\n${caller}^inc$=match 3330001\n");
    for n in 0..3000u32 {
        let prefix = format!("{}{:04}", 3 + n % 3, n);
        conf.push_str(&format!("^{prefix}\\(.*\\)$=route-{prefix}-\\1\n"));
        other.push_str(&format!("^9{prefix}=other-{prefix}\n"));
    }
    conf.push_str("^\\(5550001\\)$=five-\\1\n^3330001$=three\n^4440001$=four\n.*=none\n");
    other.push_str("^\\(3330001\\)$=;seen=\\1\n");
    let conf = format!("{conf}\n{other}");
    for (caller, called) in
        [("swap", "30001"), ("inc", "40002"), ("blank", "50003"), ("plain", "40004"), ("plain", "9")]
    {
        let mut msg = Message::new("call.route");
        msg.add(b"called", called.as_bytes());
        msg.add(b"caller", caller.as_bytes());
        msg.add(b"tag", b"x");
        let a = route(&conf, std::slice::from_ref(&msg), Engine::Compiled);
        let b = route(&conf, std::slice::from_ref(&msg), Engine::Naive);
        assert_eq!(a, b, "{caller} {called}");
    }
    let mut msg = Message::new("call.route");
    msg.add(b"called", b"30001");
    msg.add(b"caller", b"swap");
    let a = route(&conf, std::slice::from_ref(&msg), Engine::Compiled);
    assert_eq!(a.first().map(|r| r.1.retvalue.as_slice()), Some(&b"five-5550001"[..]), "the changed string routes");
}
