//! Unit tests of every function, including the spec's CT-46..CT-53 and CT-67.

use super::*;
use crate::runtime::captures::Captures;
use crate::runtime::subst::expand;
use std::sync::atomic::Ordering;

/// Evaluates one template (all three passes, no captures) and returns result and log.
fn eval(env: &Env, msg: &Message, template: &str) -> (String, Vec<String>) {
    let mut log = Vec::new();
    let mut cx = FuncCtx { env, msg, log: &mut log };
    let out = expand(template.as_bytes(), &Captures::none(), &mut cx);
    (String::from_utf8_lossy(&out).into_owned(), log)
}

/// Evaluates and asserts that nothing was logged.
fn ev(env: &Env, msg: &Message, template: &str) -> String {
    let (out, log) = eval(env, msg, template);
    assert!(log.is_empty(), "{template}: unexpected log {log:?}");
    out
}

fn env_with(vars: &[(&str, &str)]) -> Env {
    let env = Env::default();
    for (k, v) in vars {
        env.globals.set(k.as_bytes(), v.as_bytes());
    }
    env
}

fn route() -> Message {
    let mut m = Message::new("call.route");
    m.add(b"called", b"1");
    m
}

#[test]
fn ct46_arithmetic() {
    let env = env_with(&[("n", "5")]);
    let m = route();
    let cases = [
        ("$(add,$n,1)", "06"),
        ("$(add,$n,1,0)", "6"),
        ("$(add,0099,1)", "0100"),
        ("$(sub,3,5,4)", "-002"),
        ("$(div,7,0)", "0"),
        ("$(mod,-7,3)", "-1"),
        ("$(add,2147483647,0)", "0000000000"),
        ("$(mul,x,3)", "0"),
    ];
    for (t, want) in cases {
        assert_eq!(ev(&env, &m, t), want, "{t}");
    }
}

#[test]
fn ct47_index_rotate_auto_increment() {
    let env = env_with(&[("n", "5"), ("neg", "-3")]);
    let m = route();
    let seq = [
        ("$(index,$neg,a,b,c)", "b"),
        ("$(neg)", "2"),
        ("$(rotate,$n,a,b,c)", "c a b"),
        ("$(n)", "0"),
        ("$(index,1,a,b,c)", "b"),
        ("$(n)", "0"),
    ];
    for (t, want) in seq {
        assert_eq!(ev(&env, &m, t), want, "{t}");
    }
}

#[test]
fn ct48_no_nesting_and_escapes() {
    let env = env_with(&[("v", "V")]);
    let (out, log) =
        eval(&env, &route(), "$(length,$(upper,ab))|$(length, ab)|$(length ,ab)|$()|$($)|a$($)(v)b|$($){v}");
    assert_eq!(out, "0)|3||;|$|aVb|${v}");
    assert_eq!(log, ["Invalid function 'length '"]);
}

#[test]
fn ct49_parameter_values_and_captures_are_evaluated() {
    let env = Env::default();
    let mut m = route();
    m.add(b"p", b"$(add,1,2)");
    assert_eq!(ev(&env, &m, "${p}"), "3");

    let mut m = Message::new("call.route");
    m.add(b"called", b"2${p}");
    m.add(b"p", b"P");
    let mut slots = [None; 9];
    slots[0] = Some((0, 5));
    slots[1] = Some((1, 5));
    let caps = Captures::from_slots(b"2${p}", &slots);
    let mut log = Vec::new();
    let mut cx = FuncCtx { env: &env, msg: &m, log: &mut log };
    assert_eq!(expand(b"\\1", &caps, &mut cx), b"P");
}

#[test]
fn ct50_parameter_edge_cases() {
    let env = Env::default();
    let mut m = route();
    m.add(b"y", b"Y");
    assert_eq!(ev(&env, &m, "a${y"), "a${y");
    assert_eq!(ev(&env, &m, "b${y$def}c${ y }d"), "bYcYd");
    let mut m = route();
    m.add(b"a", b"A");
    assert_eq!(ev(&env, &m, "${}|${n$}|${a${b}}"), "||A}");
}

#[test]
fn ct51_hex_chr_strings_comparisons_unknown() {
    let env = Env::default();
    let m = route();
    let cases = [
        ("$(hex,258)", "02 01"),
        ("$(hex,258,4)", "02 01 00 00"),
        ("$(hex,258,2,:)", "02:01"),
        ("$(hex,258,2,)", "0201"),
        ("$(hex,-1)", "ff ff ff ff"),
        ("$(hex)", "00"),
        ("$(chr,65)", "A"),
        ("$(chr,0x42)", "B"),
        ("$(chr,321)", "A"),
        ("$(strpos,b,abc)", "1"),
        ("$(strpos,,abc)", "-1"),
        ("$(streq,a,a)", "true"),
        ("$(strne,a,a)", "false"),
        ("$(eq,1,01)", "true"),
        ("$(le,a,0)", "true"),
        ("$(nosuchvar)", ""),
        ("$(message)", "call.route"),
        ("$(upper,abc)", "ABC"),
        ("$(lower,ABC$n)", "abc$n"),
    ];
    for (t, want) in cases {
        assert_eq!(ev(&env, &m, t), want, "{t}");
    }
    let (out, log) = eval(&env, &m, "$(md5,abc)");
    assert_eq!(out, "");
    assert_eq!(log, ["Invalid function 'md5'"]);
    let r = ev(&env, &m, "$(random,1??)");
    assert!(r.len() == 3 && r.starts_with('1') && r.bytes().all(|b| b.is_ascii_digit()), "{r}");
}

#[test]
fn ct52_increment_with_blank_is_not_a_variable() {
    let env = env_with(&[("x", "5")]);
    let m = route();
    for (t, want) in [("$(++ $x)", "1"), ("$(x)", "5"), ("$(--$x)", "4"), ("$(x)", "4")] {
        assert_eq!(ev(&env, &m, t), want, "{t}");
    }
}

#[test]
fn ct53_braces_read_message_parameters_only() {
    let env = Env::default();
    assert_eq!(ev(&env, &route(), "goto ${nodename}"), "goto ");
}

#[test]
fn ct67_variable_list_is_truncated() {
    let env = Env::default();
    for i in 0..2000 {
        env.globals.set(format!("variable{i:04}").as_bytes(), b"");
    }
    let (out, log) = eval(&env, &route(), "$(variables,list)");
    assert!(out.ends_with(",..."));
    assert!(out.len() > 8100 && out.len() < 8100 + 20, "{}", out.len());
    assert_eq!(log, ["Truncating output of $(variables,list)"]);
}

#[test]
fn increments_update_only_real_variables() {
    let env = env_with(&[("n", "5")]);
    let m = route();
    let seq = [
        ("$(++5)", "6"),
        ("$(--5)", "4"),
        ("$(++$n)", "6"),
        ("$(n)", "6"),
        ("$(++x)", "1"),
        ("$(++$undefined)", "1"),
        ("$(undefined)", "1"),
        ("$(++-3)", "-2"),
        ("$(--abc)", "-1"),
        ("$(++$ n )", "7"),
        ("$(n)", "7"),
        ("$(++$)", "1"),
        ("$(++2147483646)", "2147483647"),
    ];
    for (t, want) in seq {
        assert_eq!(ev(&env, &m, t), want, "{t}");
    }
    assert!(env.globals.get(b"").is_none());
}

#[test]
fn names_are_not_trimmed_but_bare_names_are() {
    let env = env_with(&[("v", "x")]);
    let m = route();
    let (out, log) = eval(&env, &m, "[$( upper ,x)]");
    assert_eq!(out, "[]");
    assert_eq!(log, ["Invalid function 'upper '"]);
    assert_eq!(ev(&env, &m, "[$(  v  )]"), "[x]");
    assert_eq!(ev(&env, &m, "[$(  )]"), "[;]");
    assert_eq!(ev(&env, &m, "[$(,v)]"), "[]");
}

#[test]
fn bare_calls_of_functions_that_need_arguments_read_variables() {
    let env = env_with(&[("config", "C"), ("streq", "S"), ("index", "I"), ("transcode", "T")]);
    let m = route();
    assert_eq!(ev(&env, &m, "$(config)$(streq)$(index)$(transcode)"), "CSIT");
    let (out, log) = eval(&env, &m, "[$(streq,abc)][$(index,,a,b)][$(config,a)][$(add,1)]");
    assert_eq!(out, "[][][][]");
    assert_eq!(log.len(), 4, "{log:?}");
}

#[test]
fn single_argument_functions_take_everything() {
    let env = env_with(&[("v", "Hello"), ("v,x", "comma")]);
    let m = route();
    let cases = [
        ("$(length,abc def)", "7"),
        ("$(length, abc)", "4"),
        ("$(length,a,b)", "3"),
        ("$(length,$v)", "5"),
        ("$(length)", "0"),
        ("$(upper,$v)", "HELLO"),
        ("$(upper,$v,x)", "COMMA"),
        ("$(upper,a-b_c)", "A-B_C"),
        ("$(lower,MiXeD)", "mixed"),
        ("$(upper)", ""),
        ("$(random)", ""),
        ("$(random,$v)", "Hello"),
        ("$(random,a,b)", "a,b"),
    ];
    for (t, want) in cases {
        assert_eq!(ev(&env, &m, t), want, "{t}");
    }
    assert_eq!(ev(&env, &m, "$(upper,é)").as_bytes(), "é".as_bytes());
}

#[test]
fn chr_values() {
    let env = env_with(&[("c", "66")]);
    let m = route();
    let cases = [
        ("$(chr,077)", "?"),
        ("[$(chr,32)]", "[ ]"),
        ("[$(chr,abc)]", "[]"),
        ("[$(chr,0)]", "[]"),
        ("[$(chr,256)]", "[]"),
        ("$(chr,$c)", "B"),
        ("x$(chr,9)y", "x\ty"),
        ("[$(chr)]", "[]"),
    ];
    for (t, want) in cases {
        assert_eq!(ev(&env, &m, t), want, "{t}");
    }
    assert_eq!(call(&mut FuncCtx { env: &env, msg: &m, log: &mut Vec::new() }, b"chr,-1"), [0xff]);
}

#[test]
fn string_comparisons() {
    let env = env_with(&[("a", "abc")]);
    let m = route();
    let cases = [
        ("$(streq,a,b,c)", "false"),
        ("$(streq,b,c,b,c)", "false"),
        ("$(streq,b,c,c)", "false"),
        ("$(streq,a,a)", "true"),
        ("$(streq,$a,abc)", "true"),
        ("$(strne,$a,$a)", "false"),
        ("$(streq,007,7)", "false"),
        ("$(streq,,)", "true"),
        ("$(strpos,c,abcabc)", "2"),
        ("$(strpos,z,abc)", "-1"),
        ("$(strpos,abc,abc)", "0"),
        ("$(strpos,b,$a)", "1"),
        ("$(strpos,a,)", "-1"),
    ];
    for (t, want) in cases {
        assert_eq!(ev(&env, &m, t), want, "{t}");
    }
}

#[test]
fn arithmetic_operators_and_padding() {
    let env = env_with(&[("a", "5"), ("b", "37"), ("w", "6")]);
    let m = route();
    let cases = [
        ("$(add,007,1)", "008"),
        ("$(sub,10,20)", "-10"),
        ("$(sub,005,7)", "-02"),
        ("$(mul,6,7)", "42"),
        ("$(div,7,2)", "3"),
        ("$(mod,7,3)", "1"),
        ("$(div,10,0)", "00"),
        ("$(mod,5,0)", "0"),
        ("$(+,2,3)", "5"),
        ("$(-,2,3)", "-1"),
        ("$(*,2,3)", "6"),
        ("$(/,9,3)", "3"),
        ("$(%,9,4)", "1"),
        ("$(+,1,2,5)", "00003"),
        ("$(-,1,3,4)", "-002"),
        ("$(+,12abc,1)", "00001"),
        ("$(+,0x10,1)", "0001"),
        ("$(add,$a,$b)", "42"),
        ("$(add,$a,$b,$w)", "000042"),
        ("$(add,$a,1)", "06"),
        ("$(add,5,1)", "6"),
        ("$(add,1,2,0x5)", "00003"),
        ("$(add,1,2,3,4)", "3"),
        ("$(add,1, 2)", "3"),
        ("$(add,1,2 )", "3"),
        ("$(mul,65536,65536,1)", "0"),
        ("$(add,2147483646,1,1)", "2147483647"),
        ("$(add,2147483646,2,1)", "-2147483648"),
    ];
    for (t, want) in cases {
        assert_eq!(ev(&env, &m, t), want, "{t}");
    }
}

#[test]
fn numeric_comparisons() {
    let env = Env::default();
    let m = route();
    let table = [
        ("1", "2", ["false", "true", "true", "false", "true", "false", "true", "false"]),
        ("2", "2", ["true", "false", "false", "false", "true", "true", "false", "false"]),
        ("10", "9", ["false", "true", "false", "true", "false", "true", "false", "true"]),
        ("abc", "0", ["true", "false", "false", "false", "true", "true", "false", "false"]),
        ("007", "7", ["true", "false", "false", "false", "true", "true", "false", "false"]),
    ];
    for (x, y, want) in table {
        for (op, w) in ["eq", "ne", "lt", "gt", "le", "ge", "<", ">"].iter().zip(want) {
            assert_eq!(ev(&env, &m, &format!("$({op},{x},{y},9)")), w, "{op} {x} {y}");
        }
    }
    let (out, log) = eval(&env, &m, "[$(=,1,1)][$(>=,1,1)]");
    assert_eq!(out, "[][]");
    assert_eq!(log.len(), 2);
}

#[test]
fn hex_function() {
    let env = env_with(&[("n", "255")]);
    let m = route();
    let cases = [
        ("$(hex,255)", "ff"),
        ("$(hex,4660)", "34 12"),
        ("$(hex,1,2)", "01 00"),
        ("$(hex,258,4,:)", "02:01:00:00"),
        ("$(hex,65536)", "00 00 01"),
        ("$(hex,305419896,2)", "78 56"),
        ("$(hex,0)", "00"),
        ("$(hex,258,3,)", "020100"),
        ("$(hex,258,9)", "02 01 00 00"),
        ("$(hex,16909060,4,-)", "04-03-02-01"),
        ("$(hex,x,4,-)", "00-00-00-00"),
        ("$(hex,$n)", "00"),
        ("$(hex,0x10,-2)", "10"),
        ("$(hex,2147483647)", "00"),
    ];
    for (t, want) in cases {
        assert_eq!(ev(&env, &m, t), want, "{t}");
    }
}

#[test]
fn message_function() {
    let env = Env::default();
    let mut m = route();
    m.add(b"a", b"x");
    m.add(b"", b"nameless");
    m.retvalue = b"rv0".to_vec();
    m.time = 1_700_000_000;
    let cases = [
        ("$(message,name)", "call.route"),
        ("$(message, name )", ""),
        ("$(message, name ,)", "call.route"),
        ("$(message,time)", "1700000000"),
        ("$(message,broadcast)", "false"),
        ("$(message,retval)", "rv0"),
        ("$(message,count)", "3"),
        ("$(message,parameters)", "called,a"),
        ("$(message,parameters,|)", "called|a"),
        ("$(message,parameters, | )", "called|a"),
        ("$(message,parameters,)", "called,a"),
        ("[$(message,nosuch)]", "[]"),
        ("$(message)", "call.route"),
    ];
    for (t, want) in cases {
        assert_eq!(ev(&env, &m, t), want, "{t}");
    }
    m.broadcast = true;
    assert_eq!(ev(&env, &m, "$(message,broadcast)"), "true");
}

#[test]
fn variables_function() {
    let env = env_with(&[("alpha", "1"), ("beta", ""), ("x", "$(variables,count)")]);
    let m = route();
    let cases = [
        ("$(variables,count)", "3"),
        ("$(variables)", "3"),
        ("$(variables,list)", "alpha,beta,x"),
        ("$(variables,list,/)", "alpha/beta/x"),
        ("$(variables,list, )", "alpha,beta,x"),
        ("$(variables,alpha)", "true"),
        ("$(variables,beta)", "true"),
        ("$(variables,gamma)", "false"),
        ("$(variables, alpha)", "false"),
        ("$(variables, alpha ,)", "true"),
        ("$(x)", "3"),
    ];
    for (t, want) in cases {
        assert_eq!(ev(&env, &m, t), want, "{t}");
    }
}

#[test]
fn engine_facts() {
    let mut env = Env::default();
    env.engine.run_params = vec![
        (b"version".to_vec(), b"6.4.1".to_vec()),
        (b"runid".to_vec(), b"1700000000".to_vec()),
        (b"nodename".to_vec(), b"node1".to_vec()),
    ];
    env.engine.config = vec![
        (b"general".to_vec(), b"maxworkers".to_vec(), b"10".to_vec()),
        (b"general".to_vec(), b"maxworkers".to_vec(), b"20".to_vec()),
    ];
    env.engine.accepting = b"congestion".to_vec();
    env.globals.set(b"which", b"version");
    let m = route();
    let cases = [
        ("$(engine,version)", "6.4.1"),
        ("$(engine,$which)", "6.4.1"),
        ("[$(engine,nosuch)]", "[]"),
        ("[$(engine)]", "[]"),
        ("$(runid)", "1700000000"),
        ("$(nodename)", "node1"),
        ("$(config, general , maxworkers )", "10"),
        ("[$(config,general,nosuch)]", "[]"),
        ("$(loaded,regexroute)", "true"),
        ("$(loaded, regexroute)", "false"),
        ("$(loaded,nosuchmodule)", "false"),
        ("$(loaded)", "false"),
        ("$(accepting)", "congestion"),
        ("$(dispatching)", "0"),
        ("$(transcode,,slin)", "slin,alaw,mulaw"),
        ("$(transcode,e,slin,alaw)", "mulaw"),
        ("$(transcode,,mulaw)", "mulaw,slin,alaw"),
        ("[$(transcode,,nosuchfmt)]", "[]"),
        ("$(transcode,, alaw )", "alaw,slin,mulaw"),
    ];
    for (t, want) in cases {
        assert_eq!(ev(&env, &m, t), want, "{t}");
    }
    env.dispatching.fetch_add(1, Ordering::SeqCst);
    assert_eq!(ev(&env, &m, "$(dispatching)"), "1");
}

#[test]
fn thread_name_and_timestamp() {
    let env = Env::default();
    let m = route();
    let name = std::thread::Builder::new()
        .name("Call Router".into())
        .spawn(move || ev(&env, &m, "$(threadname)"))
        .ok()
        .and_then(|h| h.join().ok());
    assert_eq!(name.as_deref(), Some("Call Router"));
    let ts = ev(&Env::default(), &route(), "$(timestamp)");
    assert_eq!(ts.len(), 21, "{ts}");
    assert_eq!(ts.as_bytes()[14], b'.');
    assert!(ts.starts_with("20"), "{ts}");
}
