//! Differential tests of the fast path against glibc.

use super::*;
use crate::regex::posix::PosixRegex;
use crate::regex::syntax::tests::cases;
use proptest::prelude::*;
use regex::bytes::Regex;

const BRE: Flags = Flags { extended: false, insensitive: false };
const ERE: Flags = Flags { extended: true, insensitive: false };
const BRE_I: Flags = Flags { extended: false, insensitive: true };

/// Checks that glibc and the translation agree on every subject; `Ok(false)` when
/// there is nothing to compare (no translation, or glibc rejects the pattern).
fn same_answers(pattern: &[u8], flags: Flags, subjects: &[Vec<u8>]) -> Result<bool, String> {
    if hangs_glibc(pattern, flags) {
        return Ok(false);
    }
    let Ok(glibc) = PosixRegex::compile(pattern, flags) else {
        return match translate(pattern, flags) {
            None => Ok(false),
            Some(t) => Err(format!("glibc rejects {pattern:?} but it translates to {t}")),
        };
    };
    let Some(t) = translate(pattern, flags) else {
        return Ok(false);
    };
    let fast = Regex::new(&t).map_err(|e| format!("{t}: {e}"))?;
    // The matcher's own fast path (a DFA when small enough) must agree as well.
    let used = crate::regex::matcher::Fast::new(&t).ok_or_else(|| format!("{t}: no matcher"))?;
    for s in subjects {
        if used.is_match(s).is_some_and(|m| m != glibc.is_match(s)) {
            return Err(format!("{t} (matcher) on {:?}: glibc {}", s.escape_ascii().to_string(), glibc.is_match(s)));
        }
        if fast.is_match(s) != glibc.is_match(s) {
            return Err(format!(
                "{:?} {flags:?} -> {t} on {:?}: glibc {}",
                pattern.escape_ascii().to_string(),
                s.escape_ascii().to_string(),
                glibc.is_match(s)
            ));
        }
    }
    Ok(true)
}

/// glibc's `regexec` loops forever on some repeated groups holding empty groups
/// (ERE `(()|a|())+` on "a"), so the differential tests stay away from those.
fn hangs_glibc(pattern: &[u8], flags: Flags) -> bool {
    let Ok(ast) = crate::regex::syntax::parse(pattern, flags) else {
        return false;
    };
    let empty_group = |n: &Node| matches!(n, Node::Group { node, .. } if **node == Node::Empty);
    ast.root.any(&|n| matches!(n, Node::Repeat { node, .. } if node.any(&empty_group)))
}

fn check(pattern: &str, flags: Flags, subjects: &[&str]) {
    let subjects: Vec<Vec<u8>> = subjects.iter().map(|s| s.as_bytes().to_vec()).collect();
    assert_eq!(same_answers(pattern.as_bytes(), flags, &subjects), Ok(true));
}

#[test]
fn dialplan_patterns_translate() {
    let subjects = ["", "0049123", "49", "+49", "1234", "123", "1", "x0049", "\n"];
    for p in [
        r"^0049\(.*\)$",
        r"^1[2-9][0-9]\{2\}$",
        r"^\+\?49",
        ".*",
        "^$",
        "^123$",
        r"^\(false\|no\|off\|disable\|f\|0*\)$",
        "^+49",
        r"\<12",
        r"4\>",
        r"^[[:digit:]]\+$",
        r"\`1",
        r"3\'",
    ] {
        check(p, BRE, &subjects);
    }
    check("^(12|34)+$", ERE, &["1234", "12", "", "123"]);
    check("^[A-C]x$", BRE_I, &["bX", "Bx", "dx", "_x"]);
    check(r"\q\Q", BRE_I, &["qq", "QQ", "qQ"]);
}

#[test]
fn untranslatable_patterns() {
    assert_eq!(translate_checked(br"^\(.\)\1$", BRE), Err(Untranslatable::Backref));
    assert_eq!(translate_checked(b"[[=a=]]", BRE), Err(Untranslatable::Collating));
    assert_eq!(translate_checked(br"\(", BRE), Err(Untranslatable::Invalid));
    assert_eq!(translate_checked(br"a\{1001\}", BRE), Err(Untranslatable::LargeCount));
    assert!(is_translatable(b"^123$", BRE));
}

const BRE_TOKENS: &[&str] = &[
    "a",
    "b",
    "1",
    "2",
    "A",
    ".",
    "*",
    r"\+",
    r"\?",
    r"\|",
    r"\(",
    r"\)",
    r"\{1\}",
    r"\{0,2\}",
    r"\{1,\}",
    r"\{,1\}",
    "[ab]",
    "[^a]",
    "[[:digit:]]",
    "[a-b1]",
    "[]a]",
    "[^[:alpha:]_]",
    "^",
    "$",
    r"\<",
    r"\>",
    r"\b",
    r"\B",
    r"\w",
    r"\W",
    r"\s",
    r"\S",
    r"\`",
    r"\'",
    r"\.",
    r"\*",
    " ",
    "-",
    "+",
    "?",
    "|",
    "(",
    ")",
    "{",
    "}",
    r"\q",
    "\u{e9}",
    "[\n]",
];

const ERE_TOKENS: &[&str] = &[
    "a",
    "b",
    "1",
    "2",
    "A",
    ".",
    "*",
    "+",
    "?",
    "|",
    "(",
    ")",
    "{1}",
    "{0,2}",
    "{1,}",
    "{,1}",
    "[ab]",
    "[^a]",
    "[[:digit:]]",
    "[a-b1]",
    "[^[:alpha:]_]",
    "^",
    "$",
    r"\<",
    r"\>",
    r"\b",
    r"\B",
    r"\w",
    r"\W",
    r"\s",
    r"\`",
    r"\'",
    r"\(",
    r"\)",
    r"\|",
    r"\.",
    " ",
    "-",
    "{",
    "}",
];

/// A pattern made of random tokens, well-formed or not.
fn soup(tokens: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop::sample::select(tokens), 1..9).prop_map(|v| v.concat().into_bytes())
}

/// A well-formed ERE, to reach deeper structures than the soup does.
fn structured() -> impl Strategy<Value = String> {
    let leaf = prop::sample::select(vec![
        "a", "b", "1", ".", "[ab]", "[^a]", "^", "$", r"\<", r"\>", r"\b", r"\B", r"\w", "()",
    ])
    .prop_map(str::to_owned);
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 1..4).prop_map(|v| v.concat()),
            prop::collection::vec(inner.clone(), 2..4).prop_map(|v| format!("({})", v.join("|"))),
            (inner, prop::sample::select(vec!["*", "+", "?", "{2}", "{0,1}", "{1,3}", "{0}"]))
                .prop_map(|(e, q)| format!("({e}){q}")),
        ]
    })
    // glibc compiles a counted repeat by copying its operand, and its closure pass grows
    // exponentially with nested copies: several nested counts can keep it busy for
    // minutes. Two bound the copies at nine and still nest a count inside a count.
    .prop_filter("at most two counted repeats", |p| p.matches('{').count() <= 2)
    .prop_filter("no copied assertions under a repeat", |p| !slow_glibc_closure(p.as_bytes()))
}

/// A counted repeat whose operand holds an assertion, itself under a repeat: glibc's
/// closure pass then tracks every combination of the copies' constraints, and
/// `(((\b|$)){3})*` alone keeps `regcomp` busy for minutes (as it would Yate).
fn slow_glibc_closure(pattern: &[u8]) -> bool {
    let Ok(ast) = crate::regex::syntax::parse(pattern, ERE) else {
        return false;
    };
    let asserts = |n: &Node| matches!(n, Node::Assert(_));
    let counted = |n: &Node| matches!(n, Node::Repeat { node, min, max } if (*min > 1 || max.is_some_and(|m| m > 1)) && node.any(&asserts));
    let repeat_over_counted = |n: &Node| matches!(n, Node::Repeat { node, .. } if node.any(&counted));
    ast.root.any(&repeat_over_counted)
}

#[test]
fn closure_blowups_are_recognised() {
    assert!(slow_glibc_closure(br"(((\b|$)){1,3})*"));
    assert!(slow_glibc_closure(br"((\b|$){3})+"));
    assert!(!slow_glibc_closure(br"((\b|$)){1,3}"));
    assert!(!slow_glibc_closure(br"(((a|b)){1,3})*"));
}

fn subjects() -> impl Strategy<Value = Vec<Vec<u8>>> {
    let alphabet: Vec<u8> = b"abAB12 \n.*+-_,\xe9".to_vec();
    prop::collection::vec(prop::collection::vec(prop::sample::select(alphabet), 0..7), 12)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(3000)))]

    #[test]
    fn bre_soup(p in soup(BRE_TOKENS), icase in any::<bool>(), s in subjects()) {
        let flags = Flags { extended: false, insensitive: icase };
        prop_assert_eq!(same_answers(&p, flags, &s).map(|_| ()), Ok(()));
    }

    #[test]
    fn ere_soup(p in soup(ERE_TOKENS), icase in any::<bool>(), s in subjects()) {
        let flags = Flags { extended: true, insensitive: icase };
        prop_assert_eq!(same_answers(&p, flags, &s).map(|_| ()), Ok(()));
    }

    #[test]
    fn ere_structured(p in structured(), s in subjects()) {
        prop_assert_eq!(same_answers(p.as_bytes(), ERE, &s).map(|_| ()), Ok(()));
    }
}

/// The regex of a rule key: `}` and `${..}`/`$(..)` prefixes and the negating `^` removed.
fn key_regex(key: &str) -> &str {
    let key = key.trim().trim_start_matches('}').trim_start();
    let key = if key.starts_with("${") {
        key.split_once('}').map_or("", |(_, r)| r)
    } else if key.starts_with("$(") {
        key.split_once(')').map_or("", |(_, r)| r)
    } else {
        key
    };
    let key = key.trim();
    key.strip_suffix('^').unwrap_or(key)
}

/// Reports how many real-world rule regexes take the fast path, and checks them
/// against glibc on a few subjects. Run with `--ignored --nocapture`; the corpus
/// directory comes from `REXROUTE_CORPUS`.
#[test]
#[ignore = "needs the shared corpus"]
fn corpus_translation_rate() {
    let dir = std::env::var("REXROUTE_CORPUS").unwrap_or_else(|_| "/work/shared/corpus/real".into());
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    let mut keys = std::collections::BTreeSet::new();
    keys.insert(r"^\(false\|no\|off\|disable\|f\|0*\)$".to_owned());
    for entry in entries.flatten() {
        if !entry.file_name().to_string_lossy().contains(".conf") {
            continue;
        }
        let text = std::fs::read(entry.path()).unwrap_or_default();
        for line in String::from_utf8_lossy(&text).lines() {
            let line = line.trim_start();
            if line.starts_with(';') || line.starts_with('[') {
                continue;
            }
            if let Some((key, _)) = line.split_once('=') {
                let r = key_regex(key);
                if !r.is_empty() {
                    keys.insert(r.to_owned());
                }
            }
        }
    }
    let subjects: Vec<Vec<u8>> =
        ["", "123", "0049123", "+49", "sip/1", "yes", "no", "0", "a b"].iter().map(|s| s.as_bytes().to_vec()).collect();
    let (mut fast, mut valid) = (0, 0);
    for key in &keys {
        if PosixRegex::compile(key.as_bytes(), BRE).is_err() {
            println!("invalid: {key}");
            continue;
        }
        valid += 1;
        match translate_checked(key.as_bytes(), BRE) {
            Ok(_) => fast += 1,
            Err(why) => println!("slow ({why:?}): {key}"),
        }
        assert_eq!(same_answers(key.as_bytes(), BRE, &subjects).map(|_| ()), Ok(()));
    }
    println!("{fast} of {valid} valid distinct rule regexes translate ({} keys)", keys.len());
}

#[test]
fn long_patterns_stay_cheap() {
    let long = format!("^{}$", "a.".repeat(20_000));
    let started = std::time::Instant::now();
    assert!(translate(long.as_bytes(), BRE).is_some());
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let interior = format!("{}$.", "a".repeat(20_000));
    assert_eq!(translate_checked(interior.as_bytes(), ERE), Err(Untranslatable::NewlineAnchor));
}

#[test]
fn glibc_anchor_quirks_stay_with_glibc() {
    // glibc's DFA lets `$`/`^` match next to a consumed newline.
    let g = |p: &[u8], s: &[u8]| PosixRegex::compile(p, ERE).map(|r| r.is_match(s));
    assert_eq!(g(b"$.", b"\n"), Ok(true));
    assert_eq!(g(b".^", b"\n"), Ok(true));
    assert_eq!(translate(b"$.", ERE), None);
    assert_eq!(translate(b".^", ERE), None);
    // Assertions inside repetitions are mishandled.
    assert_eq!(g(b"(^a)+", b"aa"), Ok(false));
    assert_eq!(translate(b"(^a)+", ERE), None);
    // Anchors next to characters that cannot be a newline are fine.
    check("a$", ERE, &["a", "a\n", "ba"]);
    check(r"(.){1,3}$\>", ERE, &["aa", "aa.", "a"]);
    check("^a", ERE, &["a", "\na", "ba"]);
}
