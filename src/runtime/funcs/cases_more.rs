//! Conformance cases 074-083 replayed through `expand` (see `cases.rs` for the harness).

use super::cases::{check, globals, message, pairs, params, phase_b};
use super::*;
use crate::runtime::captures::Captures;
use crate::runtime::subst;
use std::sync::atomic::Ordering;

#[test]
fn case_074_numeric_compare() {
    let env = Env::default();
    let line = ";eq=$(eq,${x},${y});ne=$(ne,${x},${y});lt=$(lt,${x},${y});gt=$(gt,${x},${y});le=$(le,${x},${y});ge=$(ge,${x},${y});slt=$(<,${x},${y});sgt=$(>,${x},${y})";
    let names = ["eq", "ne", "lt", "gt", "le", "ge", "slt", "sgt"];
    let runs = [
        ("1", "2", "FTTFTFTF"),
        ("2", "2", "TFFFTTFF"),
        ("10", "9", "FTFTFTFT"),
        ("abc", "0", "TFFFTTFF"),
        ("007", "7", "TFFFTTFF"),
    ];
    for (x, y, truth) in runs {
        let mut out = vec![("called", "1"), ("x", x), ("y", y)];
        for (name, t) in names.iter().zip(truth.chars()) {
            out.push((name, if t == 'T' { "true" } else { "false" }));
        }
        check(&env, &[("called", "1"), ("x", x), ("y", y)], line, "", &out);
    }
}

#[test]
fn case_075_string_compare() {
    let env = Env::default();
    let line = ";seq=$(streq,${x},${y});sne=$(strne,${x},${y});pos=$(strpos,${x},${y})";
    let runs = [
        ("b", "abc", "false", "true", "1"),
        ("abc", "abc", "true", "false", "0"),
        ("z", "abc", "false", "true", "-1"),
        ("007", "7", "false", "true", "-1"),
    ];
    for (x, y, seq, sne, pos) in runs {
        let out = [("called", "1"), ("x", x), ("y", y), ("seq", seq), ("sne", sne), ("pos", pos)];
        check(&env, &[("called", "1"), ("x", x), ("y", y)], line, "", &out);
    }
    let line = ";three=$(streq,a,b,c);one=[$(streq,abc)];emptypos=$(strpos,,abc);again=$(strpos,c,abcabc)";
    let mut msg = message(&[("called", "2")]);
    let mut log = Vec::new();
    phase_b(&env, &mut msg, &Captures::none(), line, &mut log);
    let out = [("called", "2"), ("three", "false"), ("one", "[]"), ("emptypos", "-1"), ("again", "2")];
    assert_eq!(params(&msg), pairs(&out));
    assert_eq!(log, ["Invalid function 'streq'"]);
}

#[test]
fn case_076_index_rotate() {
    let env = globals(&[("i", "0"), ("r", "1")]);
    let line = ";idx=$(index,1,a,b,c);idx5=$(index,5,a,b,c);rot=$(rotate,1,a,b,c);rot0=$(rotate,0,a,b,c);neg=[$(index,-1,a,b,c)];neg2=[$(index,-1,a,b,c,d)];empty=[$(index,1,a,,c)]";
    let out = [
        ("called", "1"),
        ("idx", "b"),
        ("idx5", "c"),
        ("rot", "b c a"),
        ("rot0", "a b c"),
        ("neg", "[a]"),
        ("neg2", "[d]"),
        ("empty", "[]"),
    ];
    check(&env, &[("called", "1")], line, "", &out);
    for (auto, now) in [("x", "1"), ("y", "2"), ("z", "0"), ("x", "1")] {
        let out = [("called", "2"), ("auto", auto), ("i_now", now)];
        check(&env, &[("called", "2")], ";auto=$(index,$i,x,y,z);i_now=$(i)", "", &out);
    }
    for (auto, now) in [("q r p", "2"), ("r p q", "0")] {
        let out = [("called", "3"), ("rauto", auto), ("r_now", now)];
        check(&env, &[("called", "3")], ";rauto=$(rotate,$r,p,q,r);r_now=$(r)", "", &out);
    }
}

#[test]
fn case_077_message() {
    let env = Env::default();
    let line = ";name=$(message,name);time=$(message,time);bc=$(message,broadcast);rv=$(message,retval);cnt=$(message,count);plist=$(message,parameters);plist2=$(message,parameters,|);bare=$(message);unknown=[$(message,nosuch)]";
    let tail = [("plist2", "called|a|name|time|bc|rv|cnt|plist"), ("bare", "call.route"), ("unknown", "[]")];
    let mut msg = message(&[("called", "1"), ("a", "x")]);
    msg.retvalue = b"rv0".to_vec();
    phase_b(&env, &mut msg, &Captures::none(), line, &mut Vec::new());
    let mut out = vec![("called", "1"), ("a", "x"), ("name", "call.route"), ("time", "1700000000"), ("bc", "false")];
    out.extend([("rv", "rv0"), ("cnt", "6"), ("plist", "called,a,name,time,bc,rv,cnt")]);
    out.extend(tail);
    assert_eq!(params(&msg), pairs(&out));

    let mut msg = message(&[("called", "1")]);
    msg.time = 1_234_567_890;
    phase_b(&env, &mut msg, &Captures::none(), line, &mut Vec::new());
    let mut out = vec![("called", "1"), ("name", "call.route"), ("time", "1234567890"), ("bc", "false"), ("rv", "")];
    out.extend([("cnt", "5"), ("plist", "called,name,time,bc,rv,cnt"), ("plist2", "called|name|time|bc|rv|cnt|plist")]);
    out.extend(&tail[1..]);
    assert_eq!(params(&msg), pairs(&out));
}

#[test]
fn case_078_variables() {
    let env = globals(&[("alpha", "1"), ("beta", "2")]);
    let line = ";count=$(variables,count);list=$(variables,list);list2=$(variables,list,/);has=$(variables,alpha);hasnot=$(variables,gamma);bare=$(variables)";
    let out = [
        ("called", "1"),
        ("count", "2"),
        ("list", "alpha,beta"),
        ("list2", "alpha/beta"),
        ("has", "true"),
        ("hasnot", "false"),
        ("bare", "2"),
    ];
    check(&env, &[("called", "1")], line, "", &out);
    check(&env, &[("called", "2")], ";$gamma=3", "", &[("called", "2")]);
    let out = [
        ("called", "1"),
        ("count", "3"),
        ("list", "alpha,beta,gamma"),
        ("list2", "alpha/beta/gamma"),
        ("has", "true"),
        ("hasnot", "true"),
        ("bare", "3"),
    ];
    check(&env, &[("called", "1")], line, "", &out);
}

#[test]
fn case_079_engine_info() {
    let env = Env::default();
    let line = ";d=$(dispatching);l1=$(loaded,regexroute);l2=$(loaded,nosuchmodule);acc=$(accepting)";
    let out = [("called", "1"), ("d", "0"), ("l1", "true"), ("l2", "false"), ("acc", "accept")];
    check(&env, &[("called", "1")], line, "", &out);
    let line = ";t1=$(transcode,,slin);t2=$(transcode,e,slin,alaw);t3=$(transcode,,mulaw);t4=[$(transcode,,nosuchfmt)]";
    let out = [("called", "1"), ("t1", "slin,alaw,mulaw"), ("t2", "mulaw"), ("t3", "mulaw,slin,alaw"), ("t4", "[]")];
    check(&env, &[("called", "1")], line, "", &out);
    env.dispatching.fetch_add(1, Ordering::SeqCst);
    let inner = Message::new("inner.msg");
    let mut log = Vec::new();
    let text = subst::expand(
        b"inner dispatching=$(dispatching)",
        &Captures::none(),
        &mut FuncCtx { env: &env, msg: &inner, log: &mut log },
    );
    assert_eq!(text, b"inner dispatching=1");
}

#[test]
fn case_080_unknown_and_malformed() {
    let env = Env::default();
    let line = ";unk=[$(nosuchfn,1)];sp=[$( upper ,x)];unm=[$(upper,abc];nest=[$(upper,$(lower,X))];bare=[$(  )];up=[$(upper)]";
    let mut msg = message(&[("called", "1")]);
    let mut log = Vec::new();
    phase_b(&env, &mut msg, &Captures::none(), line, &mut log);
    let out = [
        ("called", "1"),
        ("unk", "[]"),
        ("sp", "[]"),
        ("unm", "[$(upper,abc]"),
        ("nest", "[)]"),
        ("bare", "[;]"),
        ("up", "[]"),
    ];
    assert_eq!(params(&msg), pairs(&out));
    let want = ["Invalid function 'nosuchfn'", "Invalid function 'upper '", "Unmatched function end: '$(upper,abc]'"];
    assert_eq!(log, want);

    let mut msg = message(&[("called", "2")]);
    let mut log = Vec::new();
    let action = phase_b(&env, &mut msg, &Captures::none(), "[$(upper,x]-$(upper,y)", &mut log);
    assert_eq!(action, "[X]-$(UPPER,Y");
    assert_eq!(log, ["Unmatched function end: '$(UPPER,Y'"]);
    check(&env, &[("called", "3")], "[$(nosuchvar)]", "[]", &[("called", "3")]);
}

#[test]
fn case_081_once_and_init_globals() {
    let env = globals(&[("a", "once-a"), ("b", "once-b")]);
    env.globals.set(b"b", b"init-b");
    env.globals.set(b"c", b"init-c");
    let line = "v[$(a)][$(b)][$(c)][$(variables,list)]";
    for called in ["1", "2"] {
        check(&env, &[("called", called)], line, "v[once-a][init-b][init-c][a,b,c]", &[("called", called)]);
    }
}

/// Runs matched lines in order on one message; returns the last action and the params.
fn run_lines(env: &Env, input: &[(&str, &str)], lines: &[&str]) -> (String, Vec<(String, String)>) {
    let mut msg = message(input);
    let mut action = String::new();
    for line in lines {
        action = phase_b(env, &mut msg, &Captures::none(), line, &mut Vec::new());
    }
    (action, params(&msg))
}

#[test]
fn case_082_persistent_counter() {
    let env = Env::default();
    let inc = [";n=$(++$count)", "count-$(count)"];
    let dec = [";$count=$(--$count)", "count-$(count)"];
    let reset = [";$count", "reset-[$(count)]"];
    let set = [";$count=${v}", "set-$(count)"];
    let called = |c| [("called", c)];
    assert_eq!(run_lines(&env, &called("inc"), &inc), ("count-1".into(), pairs(&[("called", "inc"), ("n", "1")])));
    assert_eq!(run_lines(&env, &called("inc"), &inc), ("count-2".into(), pairs(&[("called", "inc"), ("n", "2")])));
    assert_eq!(run_lines(&env, &called("dec"), &dec), ("count-1".into(), pairs(&called("dec"))));
    assert_eq!(run_lines(&env, &called("reset"), &reset), ("reset-[]".into(), pairs(&called("reset"))));
    assert_eq!(run_lines(&env, &called("inc"), &inc), ("count-1".into(), pairs(&[("called", "inc"), ("n", "1")])));
    let input = [("called", "set"), ("v", "41")];
    assert_eq!(run_lines(&env, &input, &set), ("set-41".into(), pairs(&input)));
    assert_eq!(run_lines(&env, &called("inc"), &inc), ("count-42".into(), pairs(&[("called", "inc"), ("n", "42")])));
}

#[test]
fn case_083_globals_in_matching() {
    let env = globals(&[("mode", "night")]);
    let show = "show;r=${$x};m=$(mode)";
    check(&env, &[("called", "show")], show, "show", &[("called", "show"), ("r", "x"), ("m", "night")]);
    let mut log = Vec::new();
    let subject =
        subst::eval_functions(b"$(mode)".to_vec(), &mut FuncCtx { env: &env, msg: &message(&[]), log: &mut log });
    assert_eq!(subject, b"night");
    check(&env, &[("called", "toggle")], ";$mode=day", "", &[("called", "toggle")]);
    check(&env, &[("called", "show")], show, "show", &[("called", "show"), ("r", "x"), ("m", "day")]);
}
