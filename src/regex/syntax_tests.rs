//! Tests of the parser, most of them checked against glibc itself.

use super::*;
use crate::regex::posix::PosixRegex;
use proptest::prelude::*;

const BRE: Flags = Flags { extended: false, insensitive: false };
const ERE: Flags = Flags { extended: true, insensitive: false };

fn ast(pattern: &str, flags: Flags) -> Ast {
    match parse(pattern.as_bytes(), flags) {
        Ok(ast) => ast,
        Err(e) => panic!("{pattern:?}: {e}"),
    }
}

/// The parser and glibc agree on acceptance, error code and group count.
fn agrees(pattern: &[u8], flags: Flags) -> Result<(), String> {
    let ours = parse(pattern, flags);
    let glibc = PosixRegex::compile(pattern, flags);
    match (&ours, &glibc) {
        (Ok(a), Ok(g)) if a.group_count() == g.group_count() => Ok(()),
        (Err(e), Err(g)) if e.kind.regcomp_code() == Some(g.code) => Ok(()),
        (Err(e), _) if e.kind == ErrorKind::Unsupported => Ok(()),
        _ => Err(format!(
            "{:?} {flags:?}: parser {:?}, glibc {:?}",
            pattern.escape_ascii().to_string(),
            ours.map(|a| a.group_count()),
            glibc.map(|g| g.group_count())
        )),
    }
}

#[test]
fn dialplan_prefixes() {
    let a = ast(r"^0049\(.*\)$", BRE);
    assert!(a.anchored_start());
    assert_eq!(a.literal_prefix(), Some(b"0049".to_vec()));
    assert_eq!(a.exact_literal(), None);
    assert_eq!(a.group_count(), 1);
    let a = ast("^123$", BRE);
    assert_eq!(a.exact_literal(), Some(b"123".to_vec()));
    assert_eq!(ast(r"^\(123\)$", BRE).exact_literal(), Some(b"123".to_vec()));
    assert_eq!(ast("123", BRE).literal_prefix(), None);
    assert!(!ast("123", BRE).anchored_start());
    assert!(ast(r"^a\|^b", BRE).anchored_start());
    assert!(!ast(r"^a\|b", BRE).anchored_start());
    assert_eq!(ast("^1[2-9]", BRE).literal_prefix(), Some(b"1".to_vec()));
    assert_eq!(ast("^12*", BRE).literal_prefix(), Some(b"1".to_vec()));
    assert_eq!(ast("^+49", BRE).literal_prefix(), Some(b"+49".to_vec()));
}

#[test]
fn backrefs_and_groups() {
    assert!(ast(r"^\(.\)\1$", BRE).has_backrefs());
    assert!(!ast(r"^\(.\)1$", BRE).has_backrefs());
    assert_eq!(ast("(a)(b(c))", ERE).group_count(), 3);
    assert_eq!(ast("(a)(b(c))", BRE).group_count(), 0);
    assert_eq!(ast("(a){0}b", ERE).group_count(), 1);
}

#[test]
fn bre_context_rules() {
    let lit = |p: &str| ast(p, BRE).root;
    assert_eq!(lit("*"), Node::Literal(b'*'));
    assert_eq!(lit("^*"), Node::Concat(vec![Node::Assert(Assertion::LineStart), Node::Literal(b'*')]));
    assert_eq!(lit("a^"), Node::Concat(vec![Node::Literal(b'a'), Node::Literal(b'^')]));
    assert_eq!(lit("$a"), Node::Concat(vec![Node::Literal(b'$'), Node::Literal(b'a')]));
}

#[test]
fn errors_carry_ranges() {
    let e = parse(br"ab\(cd", BRE).err();
    assert_eq!(e.map(|e| (e.kind, e.range)), Some((ErrorKind::Paren, 2..4)));
    let e = parse(b"ab[cd", BRE).err();
    assert_eq!(e.map(|e| e.kind), Some(ErrorKind::Bracket));
    assert_eq!(parse(b"", BRE).err().map(|e| e.kind), Some(ErrorKind::Empty));
}

#[test]
fn deep_nesting_is_refused_not_recursed() {
    let deep = format!("{}a{}", r"\(".repeat(300), r"\)".repeat(300));
    let e = parse(deep.as_bytes(), BRE).err();
    assert_eq!(e.map(|e| e.kind), Some(ErrorKind::Unsupported));
    let stacked = format!("a{}", r"\+".repeat(10_000));
    let e = parse(stacked.as_bytes(), BRE).err();
    assert_eq!(e.map(|e| e.kind), Some(ErrorKind::Unsupported));
    let shallow = format!("{}a{}", "(".repeat(50), ")".repeat(50));
    assert_eq!(ast(&shallow, ERE).group_count(), 50);
}

#[test]
fn agrees_with_glibc_on_known_cases() {
    let cases = [
        r"^g\(a\|ab\)\(c\|bcd\)\(d*\)$",
        "a**",
        r"a*\+",
        r"a\+*",
        r"a\?*",
        r"a\{1\}\{2\}",
        r"a\{1\}\+",
        r"\{1\}a",
        "^*",
        r"\(^*a\)",
        r"x\|*",
        r"a$\)",
        r"\($\)",
        "a$*",
        "[]",
        "[]a]",
        "[^]a]",
        "[a-z-0]",
        "[--0]",
        "[a--]",
        "[!--]",
        "[[:foo:]]",
        "[[:alpha:]-z]",
        "[a-[:alpha:]]",
        "[[.a.]-c]",
        "[a-[.c.]]",
        "[[=a=]-c]",
        "[[:alpha:]",
        "[[:alpha]",
        "[[.space.]]",
        "[[=ab=]]",
        "[[..]]",
        "[[==]]",
        "[[::]]",
        r"a\{1\,2\}",
        r"a\{1,2",
        r"a\{1,2}",
        r"a\{2,1\}",
        r"a\{x\}",
        r"a\{1",
        r"a\{",
        r"\(a\1\)",
        r"\(a\)\2",
        "a\\",
        r"\(a\|b\)*\1",
        r"a\{32768\}",
        r"a\{,2\}",
        r"\)",
        r"a\|\|b",
        "[a-\\]",
        r"[[.-.]-0]",
    ];
    for p in cases {
        assert_eq!(agrees(p.as_bytes(), BRE), Ok(()));
    }
    let ere = [
        "(?!x)",
        "(?:a)",
        "*a",
        "^*a",
        "a|*b",
        "(+)",
        "a|*)",
        "a)",
        "{1}a",
        "a{",
        "a{,3}",
        "^*",
        "a|*",
        "()",
        "a||b",
        "(|a)",
        "a{0}",
        "(a){0}b",
        "a{}",
        "a{,}",
        "a{1,2}{3}",
        "a+*?",
        "(a)|\\1",
        "(a)|b\\1",
        "(a)\\1|b",
        "a{1}}",
        "}",
        "a{ 1}",
        "a$*",
        "$*",
    ];
    for p in ere {
        assert_eq!(agrees(p.as_bytes(), ERE), Ok(()));
    }
}

/// Patterns over the bytes that matter to the parser, to reach its corners.
fn pattern_bytes() -> impl Strategy<Value = Vec<u8>> {
    let alphabet: Vec<u8> = br"\\\()|{}[]^$*+?.,-:=a1_A9xb0 ".to_vec();
    prop::collection::vec(prop::sample::select(alphabet), 1..24)
}

fn any_flags() -> impl Strategy<Value = Flags> {
    (any::<bool>(), any::<bool>()).prop_map(|(extended, insensitive)| Flags { extended, insensitive })
}

/// `REXROUTE_PROPTEST_CASES` raises the case count for a deeper run.
pub(crate) fn cases(default: u32) -> u32 {
    std::env::var("REXROUTE_PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(4000)))]

    #[test]
    fn matches_glibc_acceptance(pattern in pattern_bytes(), flags in any_flags()) {
        prop_assert_eq!(agrees(&pattern, flags), Ok(()));
    }

    #[test]
    fn never_panics(pattern in prop::collection::vec(any::<u8>(), 0..64), flags in any_flags()) {
        let _ = parse(&pattern, flags);
    }
}
