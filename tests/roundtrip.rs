//! Round-trip property: parse → print → parse gives the same rules, over generated
//! and real configurations.
//!
//! The generator writes whole `regexroute.conf` files from a small grammar of the
//! lines people write and the odd ones Yate still accepts (broken chains, unclosed
//! `${`, stray `}`, continuation lines, `#` keys, unicode, CR LF). The check itself is
//! `rexroute::fuzzing::check_roundtrip`, shared with the `roundtrip` fuzz target: each
//! rule prints back to its entry's exact key and value, and the printed file loads
//! and parses to equal sections and rules.

use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use rexroute::fuzzing::check_roundtrip;
use rexroute::ini::{self, LoadOptions};
use std::path::Path;

/// Blanks as Yate sees them (space, tab), plus none.
fn blanks() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["", "", " ", "  ", "\t", " \t "]).prop_map(str::to_string)
}

/// Short text that may hold anything a value can: ASCII, `;`, `=`, `\`, unicode.
fn odd_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9 ]{0,6}",
        "[ -~]{0,8}",
        "[a-zé€😀\\\\;=,{}$()\\[\\]^ ]{0,8}",
        prop::sample::select(vec!["ünïcödé", "电话", "\u{200b}", "\u{feff}x", "a\\", "x\t"]).prop_map(str::to_string),
    ]
}

fn regex() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "^1$",
            "^\\(.*\\)$",
            ".*",
            "^+\\?49\\([0-9]*\\)$",
            "",
            "^",
            "^yes$^",
            "^$",
            "\\(a\\|b\\)",
            "^[[:digit:]]\\{3,\\}",
        ])
        .prop_map(str::to_string),
        odd_text().prop_filter("no '='", |s| !s.contains('=')),
    ]
}

/// A condition: a plain regex, `${param}`, `${param$default}`, `$(func)` or an
/// unclosed form, optionally negated with a trailing `^`.
fn cond() -> impl Strategy<Value = String> {
    let name = prop::sample::select(vec!["called", "caller", "x", " p ", "a$dflt", "", "ü"]);
    let func = prop::sample::select(vec!["length,${called}", "add,1,2", "hex,ff", "", "index,1,a,b"]);
    let neg = prop::sample::select(vec!["", "^"]);
    prop_oneof![
        3 => regex(),
        2 => (name.clone(), regex(), neg.clone()).prop_map(|(n, r, g)| format!("${{{n}}}{r}{g}")),
        1 => (func, regex(), neg).prop_map(|(f, r, g)| format!("$({f}){r}{g}")),
        1 => name.prop_map(|n| format!("${{{n}")),
        1 => Just("$(length,x".to_string()),
    ]
    .prop_filter("no '=' in a condition", |s| !s.contains('='))
}

fn template() -> impl Strategy<Value = String> {
    let part = prop_oneof![
        prop::sample::select(vec!["\\1", "\\0", "${x}", "${called}", "$(add,1,2)", "$(upper,ab)", "\\\\", "$"])
            .prop_map(str::to_string),
        odd_text(),
    ];
    prop::collection::vec(part, 0..4).prop_map(|v| v.concat())
}

fn pieces() -> impl Strategy<Value = String> {
    let assign =
        prop_oneof![(template(), template()).prop_map(|(a, b)| format!("{a}={b}")), template(), Just(String::new())];
    prop::collection::vec(assign, 0..3).prop_map(|v| v.iter().map(|p| format!(";{p}")).collect())
}

/// What a line does: every action form, well-formed or not.
fn action() -> impl Strategy<Value = String> {
    let kw = prop::sample::select(vec![
        "goto", "jump", "@goto", "include", "call", "@call", "return", "match", "rename", "retval", "noop",
    ]);
    prop_oneof![
        (prop::sample::select(vec!["echo", "output"]), blanks(), template())
            .prop_map(|(w, g, t)| format!("{w}{g} {t}")),
        (blanks(), prop::sample::select(vec!["", "5 ", "+3\t", "-1 ", "x9 ", "10"]), template())
            .prop_map(|(g, l, t)| format!("debug {g}{l}{t}")),
        Just("{".to_string()),
        Just("sip/x={".to_string()),
        (prop::sample::select(vec!["dispatch", "enqueue"]), blanks(), template(), pieces())
            .prop_map(|(w, g, n, p)| format!("{w} {g}{n}{p}")),
        (kw, blanks(), template(), pieces()).prop_map(|(k, g, t, p)| format!("{k} {g}{t}{p}")),
        (template(), pieces()).prop_map(|(t, p)| format!("{t}{p}")),
    ]
}

/// `if`/`and`/`or` links, then an action or a connector with no `=` (broken).
fn value() -> impl Strategy<Value = String> {
    let conn = prop::sample::select(vec!["if", "and", "or"]);
    let link = (conn.clone(), blanks(), cond(), blanks()).prop_map(|(c, g, k, t)| format!("{c} {g}{k}={t}"));
    let tail =
        prop_oneof![4 => action(), 1 => (conn, odd_text()).prop_map(|(c, r)| format!("{c} {}", r.replace('=', "")))];
    (prop::collection::vec(link, 0..3), tail).prop_map(|(l, t)| format!("{}{t}", l.concat()))
}

fn rule_line() -> impl Strategy<Value = String> {
    let close = prop::sample::select(vec!["", "", "", "}", "} ", "}\t"]);
    (close, cond(), blanks(), blanks(), value()).prop_map(|(c, k, a, b, v)| format!("{c}{k}{a}={b}{v}"))
}

/// One physical line (or two, for a continuation) of a configuration.
fn line() -> impl Strategy<Value = String> {
    let section = prop::sample::select(vec![
        "default",
        "priorities",
        "extra",
        "contexts",
        " spaced ",
        "ünï",
        "${nosuch$dflt}",
        "a]b",
        "$include",
    ]);
    prop_oneof![
        8 => rule_line(),
        2 => section.prop_map(|s| format!("[{s}]")),
        1 => odd_text().prop_map(|t| format!(";{t}")),
        1 => odd_text().prop_map(|t| format!("#{t}")),
        1 => blanks(),
        1 => Just("}".to_string()),
        1 => odd_text().prop_map(|t| t.replace('=', "")),
        1 => (rule_line(), rule_line()).prop_map(|(a, b)| format!("{a}\\\n  {b}")),
        1 => (prop::sample::select(vec!["route", "maxdepth", "defaultrule", "call.execute"]), odd_text())
            .prop_map(|(k, v)| format!("{k}={v}")),
    ]
}

/// A whole file: a first header (most real files have one), lines, mixed endings.
fn config() -> impl Strategy<Value = String> {
    let eol = prop::sample::select(vec!["\n", "\n", "\r\n", "\r"]);
    (prop::sample::select(vec!["[default]\n", "", "\u{feff}[default]\n"]), prop::collection::vec((line(), eol), 0..24))
        .prop_map(|(head, lines)| lines.iter().fold(head.to_string(), |acc, (l, e)| acc + l + e))
}

proptest! {
    // Failures are saved next to this file (`roundtrip.proptest-regressions`) and replayed first.
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("proptest-regressions"))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn generated_configs_roundtrip(text in config()) {
        check_roundtrip(&ini::load_str("gen.conf", &text, &LoadOptions::default()));
    }
}

/// Every file in a folder (recursively for route cases) through the check.
fn roundtrip_dir(dir: &Path, pick: &dyn Fn(&Path) -> bool) -> usize {
    let mut n = 0;
    let Ok(rd) = std::fs::read_dir(dir) else { return 0 };
    let mut paths: Vec<_> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            n += roundtrip_dir(&p, pick);
        } else if pick(&p) {
            let text = String::from_utf8_lossy(&std::fs::read(&p).unwrap_or_default()).into_owned();
            check_roundtrip(&ini::load_str(&p.to_string_lossy(), &text, &LoadOptions::default()));
            n += 1;
        }
    }
    n
}

#[test]
fn real_corpus_roundtrips() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/real");
    if !dir.is_dir() {
        eprintln!("skipped: {} is absent", dir.display());
        return;
    }
    let n = roundtrip_dir(&dir, &|p| !matches!(p.extension(), Some(e) if e == "md"));
    assert!(n > 0, "no files in {}", dir.display());
    eprintln!("{n} real configurations round-trip");
}

#[test]
fn conformance_configs_roundtrip() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance/route");
    let n = roundtrip_dir(&dir, &|p| p.extension().is_some_and(|e| e == "conf"));
    assert!(n > 0, "no .conf files in {}", dir.display());
}
