//! The recorded conformance cases 040-047 and 068-083, replayed through `expand`.
//!
//! A small stand-in for the rule engine's Phase B (split at `;`, expand each piece,
//! assign in order) lets each matched line be checked against Yate's recorded output.

use super::*;
use crate::runtime::captures::Captures;
use crate::runtime::subst::expand;

/// Runs the value of one matched line on `msg`; returns the trimmed action string.
pub(super) fn phase_b(env: &Env, msg: &mut Message, caps: &Captures, value: &str, log: &mut Vec<String>) -> String {
    let mut action = Vec::new();
    for (i, piece) in value.as_bytes().split(|&b| b == b';').enumerate() {
        let text = expand(piece, caps, &mut FuncCtx { env, msg: &*msg, log: &mut *log });
        if i == 0 {
            action = text;
            continue;
        }
        let text = trim_blanks(&text);
        match find_byte(text, b'=', 0) {
            _ if text.is_empty() => {}
            Some(q) if q > 0 => {
                let (name, val) = (trim_blanks(&text[..q]), trim_blanks(&text[q + 1..]));
                match name.strip_prefix(b"$") {
                    Some(var) => env.globals.set(var, val),
                    None => msg.set(name, val),
                }
            }
            _ => match text.strip_prefix(b"$") {
                Some(var) => env.globals.remove(var),
                None => msg.clear(text),
            },
        }
    }
    String::from_utf8_lossy(trim_blanks(&action)).into_owned()
}

pub(super) fn message(params: &[(&str, &str)]) -> Message {
    let mut m = Message::new("call.route");
    m.time = 1_700_000_000;
    for (k, v) in params {
        m.add(k.as_bytes(), v.as_bytes());
    }
    m
}

pub(super) fn params(msg: &Message) -> Vec<(String, String)> {
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    msg.iter().map(|(k, v)| (text(k), text(v))).collect()
}

pub(super) fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// One line on a fresh message: checks the action and the resulting parameters.
pub(super) fn check(env: &Env, input: &[(&str, &str)], value: &str, action: &str, output: &[(&str, &str)]) {
    let mut msg = message(input);
    let mut log = Vec::new();
    let got = phase_b(env, &mut msg, &Captures::none(), value, &mut log);
    assert_eq!(got, action, "action of {value}");
    assert_eq!(params(&msg), pairs(output), "params of {value}");
}

pub(super) fn globals(vars: &[(&str, &str)]) -> Env {
    let env = Env::default();
    for (k, v) in vars {
        env.globals.set(k.as_bytes(), v.as_bytes());
    }
    env
}

#[test]
fn case_040_param_assignments() {
    let env = Env::default();
    let line = "t1;a=1;b=two words;c=";
    check(
        &env,
        &[("called", "1"), ("a", "old")],
        line,
        "t1",
        &[("called", "1"), ("a", "1"), ("b", "two words"), ("c", "")],
    );
    let line = "t2 ; a = spaced ; b=x ;c";
    check(&env, &[("called", "2"), ("c", "present")], line, "t2", &[("called", "2"), ("a", "spaced"), ("b", "x")]);
    check(&env, &[("called", "3"), ("caller", "bob")], "t3;called=changed;caller", "t3", &[("called", "changed")]);
    check(&env, &[("called", "4")], "t4;;;d=4;;", "t4", &[("called", "4"), ("d", "4")]);
    let out = [("called", "5"), ("e", "=eq"), ("f", "a=b")];
    check(&env, &[("called", "5")], "t5;=nokey;e==eq;f=a=b", "t5", &out);
}

#[test]
fn case_041_global_set_and_clear() {
    let env = globals(&[("g1", "initial")]);
    let show = "show[$(g1)][$(g2)][$(variables,count)]";
    check(&env, &[("called", "show")], show, "show[initial][][1]", &[("called", "show")]);
    check(&env, &[("called", "set")], ";$g1=changed;$g2=new", "", &[("called", "set")]);
    check(&env, &[("called", "show")], show, "show[changed][new][2]", &[("called", "show")]);
    check(&env, &[("called", "clr")], ";$g1", "", &[("called", "clr")]);
    check(&env, &[("called", "show")], show, "show[][new][1]", &[("called", "show")]);
}

#[test]
fn case_042_dollar_escapes() {
    let env = Env::default();
    check(&env, &[("called", "1")], "a$()b$($)c", "a;b$c", &[("called", "1")]);
    let out = [("called", "2"), ("semi", "x;y"), ("dollar", "$z")];
    check(&env, &[("called", "2")], "t2;semi=x$()y;dollar=$($)z", "t2", &out);
    check(&env, &[("called", "3")], "$($)(upper,abc)", "ABC", &[("called", "3")]);
    check(&env, &[("called", "4")], "cost 5$ and $ alone", "cost 5$ and $ alone", &[("called", "4")]);
}

#[test]
fn case_043_param_substitution() {
    let env = Env::default();
    let input = [("called", "1"), ("user", "alice"), ("host", "example.com")];
    check(&env, &input, "sip/${user}@${host}", "sip/alice@example.com", &input);
    let line = "t2;copy=${caller};missing=[${nope}];def=${nope$fallback};emptydef=[${empty$fallback}]";
    let input = [("called", "2"), ("caller", "bob"), ("empty", "")];
    let mut out = input.to_vec();
    out.extend([("copy", "bob"), ("missing", "[]"), ("def", "fallback"), ("emptydef", "[]")]);
    check(&env, &input, line, "t2", &out);
    check(&env, &[("called", "3")], "t3 ${unterminated", "t3 ${unterminated", &[("called", "3")]);
    let input = [("called", "4"), ("inj", "$(upper,abc)")];
    check(&env, &input, "${inj}", "ABC", &input);
    let input = [("called", "5"), ("caller", "c")];
    check(&env, &input, "${ caller }-${called}", "c-5", &input);
}

#[test]
fn case_044_captures_in_params() {
    let env = Env::default();
    let line = "sip/\\2@gw-\\1;prefix=\\1;rest=\\2;whole=\\0;esc=\\\\1;none=\\5";
    let runs = [("12345", 2, "sip/345@gw-12", "12", "345"), ("ab", 2, "sip/@gw-ab", "ab", "")];
    for (called, split, action, prefix, rest) in runs {
        let mut slots = [None; 9];
        slots[0] = Some((0, called.len()));
        slots[1] = Some((0, split));
        slots[2] = Some((split, called.len()));
        let caps = Captures::from_slots(called.as_bytes(), &slots);
        let mut msg = message(&[("called", called)]);
        let got = phase_b(&env, &mut msg, &caps, line, &mut Vec::new());
        assert_eq!(got, action);
        let out =
            [("called", called), ("prefix", prefix), ("rest", rest), ("whole", called), ("esc", "\\1"), ("none", "")];
        assert_eq!(params(&msg), pairs(&out));
    }
}

#[test]
fn case_045_046_set_only_lines_and_order() {
    let env = Env::default();
    check(&env, &[("called", "12")], "noop;d=4", "noop", &[("called", "12"), ("d", "4")]);
    let abc = [("called", "1"), ("a", "A"), ("b", "B"), ("c", "C")];
    check(&env, &abc, ";b=new-b", "", &[("called", "1"), ("a", "A"), ("b", "new-b"), ("c", "C")]);
    check(&env, &abc, ";b;b=readded", "", &[("called", "1"), ("a", "A"), ("c", "C"), ("b", "readded")]);
    let out = [("called", "1"), ("a", "overwritten"), ("b", "B"), ("c", "C"), ("z", "1")];
    check(&env, &abc, ";z=1;a=overwritten", "", &out);
    check(&env, &abc, ";a;c", "", &[("called", "1"), ("b", "B")]);
}

#[test]
fn case_047_spaces_and_special() {
    let env = Env::default();
    let line = "  t1  ;  name with spaces  =  value with spaces  ;\ttab\t=\tx\t";
    let out = [("called", "1"), ("name with spaces", "value with spaces"), ("tab", "x")];
    check(&env, &[("called", "1")], line, "t1", &out);
    let out = [("called", "2"), ("msg", "hello;world;again")];
    check(&env, &[("called", "2")], "t2;msg=hello$()world$()again", "t2", &out);
    let out = [("called", "3"), ("url", "sip:a@b:5060"), ("pct", "100%")];
    check(&env, &[("called", "3")], "t3;url=sip:a@b:5060;pct=100%", "t3", &out);
}

#[test]
fn case_068_increment_decrement() {
    let env = globals(&[("n", "5")]);
    let line1 = ";a=$(++5);b=$(--5);c=$(++$n);d=$(n);e=$(--$n);f=$(--$n);g=$(n)";
    let out = [("called", "1"), ("a", "6"), ("b", "4"), ("c", "6"), ("d", "6"), ("e", "5"), ("f", "4"), ("g", "4")];
    check(&env, &[("called", "1")], line1, "", &out);
    let line2 = ";a=$(++x);b=$(++$undefined);c=$(undefined);d=$(++-3);e=$(--abc)";
    let out = [("called", "2"), ("a", "1"), ("b", "1"), ("c", "1"), ("d", "-2"), ("e", "-1")];
    check(&env, &[("called", "2")], line2, "", &out);
    let out = [("called", "1"), ("a", "6"), ("b", "4"), ("c", "5"), ("d", "5"), ("e", "4"), ("f", "3"), ("g", "3")];
    check(&env, &[("called", "1")], line1, "", &out);
}

#[test]
fn case_069_length_upper_lower() {
    let env = globals(&[("v", "Hello")]);
    let line = ";len=$(length,${s});up=$(upper,${s});low=$(lower,${s});lenvar=$(length,$v);upvar=$(upper,$v);lenbare=$(length)";
    let tail = [("lenvar", "5"), ("upvar", "HELLO"), ("lenbare", "0")];
    let s = "MiXed Case \u{e9}";
    let mut out =
        vec![("called", "1"), ("s", s), ("len", "13"), ("up", "MIXED CASE \u{e9}"), ("low", "mixed case \u{e9}")];
    out.extend(tail);
    check(&env, &[("called", "1"), ("s", s)], line, "", &out);
    let mut out = vec![("called", "1"), ("s", ""), ("len", "0"), ("up", ""), ("low", "")];
    out.extend(tail);
    check(&env, &[("called", "1"), ("s", "")], line, "", &out);
    let line = "[$(length,abc def)][$(upper,a-b_c)][$(lower,MiXeD)]";
    check(&env, &[("called", "2")], line, "[7][A-B_C][mixed]", &[("called", "2")]);
}

#[test]
fn case_070_chr() {
    let env = Env::default();
    let line = ";a=$(chr,65);b=$(chr,0x42);c=$(chr,321);d=$(chr,077);e=[$(chr,32)];f=[$(chr,abc)]";
    let out = [("called", "1"), ("a", "A"), ("b", "B"), ("c", "A"), ("d", "?"), ("e", "[ ]"), ("f", "[]")];
    check(&env, &[("called", "1")], line, "", &out);
    check(&env, &[("called", "2"), ("n", "97")], "x$(chr,${n})y", "xay", &[("called", "2"), ("n", "97")]);
    check(&env, &[("called", "2"), ("n", "9")], "x$(chr,${n})y", "x\ty", &[("called", "2"), ("n", "9")]);
}

#[test]
fn case_071_hex() {
    let env = Env::default();
    let line = ";a=$(hex,255);b=$(hex,4660);c=$(hex,1,2);d=$(hex,258,4,:);e=$(hex,-1);f=$(hex,65536);g=$(hex,305419896,2);h=$(hex,0);i=$(hex,258,3,);j=$(hex,258,9)";
    let out = [
        ("called", "1"),
        ("a", "ff"),
        ("b", "34 12"),
        ("c", "01 00"),
        ("d", "02:01:00:00"),
        ("e", "ff ff ff ff"),
        ("f", "00 00 01"),
        ("g", "78 56"),
        ("h", "00"),
        ("i", "020100"),
        ("j", "02 01 00 00"),
    ];
    check(&env, &[("called", "1")], line, "", &out);
    let input = [("called", "2"), ("n", "16909060")];
    check(&env, &input, "$(hex,${n},4,-)", "04-03-02-01", &input);
    let input = [("called", "2"), ("n", "x")];
    check(&env, &input, "$(hex,${n},4,-)", "00-00-00-00", &input);
}

#[test]
fn case_072_arithmetic() {
    let env = Env::default();
    let line = ";add=$(add,007,1);sub=$(sub,10,20);subpad=$(sub,005,7);mul=$(mul,6,7);div=$(div,7,2);mod=$(mod,7,3);divz=$(div,10,0);modz=$(mod,5,0)";
    let out = [
        ("called", "1"),
        ("add", "008"),
        ("sub", "-10"),
        ("subpad", "-02"),
        ("mul", "42"),
        ("div", "3"),
        ("mod", "1"),
        ("divz", "00"),
        ("modz", "0"),
    ];
    check(&env, &[("called", "1")], line, "", &out);
    let line = ";p=$(+,2,3);m=$(-,2,3);t=$(*,2,3);d=$(/,9,3);r=$(%,9,4);len=$(+,1,2,5);neg=$(-,1,3,4);bad=$(+,12abc,1);hexarg=$(+,0x10,1)";
    let out = [
        ("called", "2"),
        ("p", "5"),
        ("m", "-1"),
        ("t", "6"),
        ("d", "3"),
        ("r", "1"),
        ("len", "00003"),
        ("neg", "-002"),
        ("bad", "00001"),
        ("hexarg", "0001"),
    ];
    check(&env, &[("called", "2")], line, "", &out);
}

#[test]
fn case_073_arithmetic_vars() {
    let env = globals(&[("a", "5"), ("b", "37"), ("w", "6")]);
    let line = ";sum=$(add,$a,$b);sumlen=$(add,$a,$b,$w);pad=$(add,$a,1);lit=$(add,5,1)";
    let out = [("called", "1"), ("sum", "42"), ("sumlen", "000042"), ("pad", "06"), ("lit", "6")];
    check(&env, &[("called", "1")], line, "", &out);
    for want in ["[10]", "[20]"] {
        check(&env, &[("called", "2")], ";$a=$(mul,$a,2)", "", &[("called", "2")]);
        check(&env, &[("called", "2")], "[$(a)]", want, &[("called", "2")]);
    }
}
