//! Differential test: a template substituted by its plan gives the text passes'
//! result, warnings and global side effects, whatever the inserted values hold.

use proptest::prelude::*;
use rexroute::ir::plan::Plan;
use rexroute::runtime::captures::Captures;
use rexroute::runtime::env::Env;
use rexroute::runtime::funcs::FuncCtx;
use rexroute::runtime::message::Message;
use rexroute::runtime::subst;

/// Template tokens, biased towards the syntax the passes look for.
fn token() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "\\1",
        "\\2",
        "\\0",
        "\\\\",
        "\\",
        "${p}",
        "${q$d}",
        "${ r $ x,y }",
        "${",
        "}",
        "$(",
        ")",
        "$",
        "(",
        ",",
        "{",
        "length,",
        "upper,",
        "v",
        "++n",
        "index,g,",
        "a",
        "b7",
        " ",
        "$(length,${p})",
        "$(v)",
        "$(upper,\\1)",
        "$(add,1,${q})",
        "${p}",
        "sip/sip:",
    ])
}

/// Values of parameters, captures and globals, some of them syntax.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[0-9a-z]{0,6}",
        1 => prop::sample::select(vec!["$(v)", "$(upper,z)", "${p}", ")", "(", ",", "$", "{", "}", "a,b", "$(", "x)"])
            .prop_map(str::to_string),
    ]
}

fn message(p: &str, q: Option<&str>) -> Message {
    let mut m = Message::new("call.route");
    m.add(b"p", p.as_bytes());
    if let Some(q) = q {
        m.add(b"q", q.as_bytes());
    }
    m.add(b"called", b"12345");
    m
}

fn env(v: &str, g: &str) -> Env {
    let env = Env::default();
    env.globals.set(b"v", v.as_bytes());
    env.globals.set(b"g", g.as_bytes());
    env
}

/// Result, warnings and the globals a function may change.
fn outcome(env: &Env, out: Vec<u8>, log: Vec<String>) -> (String, Vec<String>, Vec<Option<Vec<u8>>>) {
    let globals = [&b"n"[..], b"g", b"v"].iter().map(|k| env.globals.get(k)).collect();
    (String::from_utf8_lossy(&out).into_owned(), log, globals)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

    #[test]
    fn planned_substitution_is_the_text_passes(
        tokens in prop::collection::vec(token(), 1..10),
        p in value(), q in prop::option::of(value()), cap in value(), v in value(), g in value(),
        backrefs in any::<bool>(),
    ) {
        let text = tokens.concat();
        let Some(plan) = Plan::new(text.as_bytes(), backrefs) else { return Ok(()) };
        let msg = message(&p, q.as_deref());
        let subject = format!("{cap}{cap}");
        let mut slots = [None; 9];
        slots[0] = Some((0, subject.len()));
        slots[1] = Some((0, cap.len()));
        let caps = if backrefs { Captures::from_slots(subject.as_bytes(), &slots) } else { Captures::none() };

        let (env_a, mut log_a) = (env(&v, &g), Vec::new());
        let mut cx = FuncCtx { env: &env_a, msg: &msg, log: &mut log_a };
        let a = if backrefs {
            subst::expand(text.as_bytes(), &caps, &mut cx)
        } else {
            subst::eval_functions(subst::replace_params(text.as_bytes(), &msg), &mut cx)
        };
        let (env_b, mut log_b) = (env(&v, &g), Vec::new());
        let mut cx = FuncCtx { env: &env_b, msg: &msg, log: &mut log_b };
        let b = subst::expand_planned(&plan, text.as_bytes(), backrefs, &caps, &mut cx);
        prop_assert_eq!(outcome(&env_a, a, log_a), outcome(&env_b, b, log_b), "template {:?}", text);
    }
}

/// Hand-over cases spelled out: a function result that the restart re-reads, and
/// values that would change the structure.
#[test]
fn results_and_values_that_bring_syntax() {
    let cases: [(&str, &str, &str); 5] = [
        ("[$(v)][$(length,${p})]", "ab", "$(upper,x)"),
        ("$(length,${p})-$(v)", "a,b", "1"),
        ("${p}$(upper,c)", "$(v", ""),
        ("$(v)$(v)", "", "$("),
        ("$(upper,${p})", "x)y", "q"),
    ];
    for (text, p, v) in cases {
        let plan = Plan::new(text.as_bytes(), true).expect("plannable");
        let msg = message(p, None);
        let run = |planned: bool| {
            let (env, mut log) = (env(v, ""), Vec::new());
            let mut cx = FuncCtx { env: &env, msg: &msg, log: &mut log };
            let out = if planned {
                subst::expand_planned(&plan, text.as_bytes(), true, &Captures::none(), &mut cx)
            } else {
                subst::expand(text.as_bytes(), &Captures::none(), &mut cx)
            };
            outcome(&env, out, log)
        };
        assert_eq!(run(true), run(false), "{text}");
    }
}
