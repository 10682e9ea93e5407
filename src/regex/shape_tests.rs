//! Differential tests of shape matching against glibc's sub-matches.

use super::*;
use crate::regex::posix::{Flags, PosixRegex};
use crate::regex::syntax::parse;
use crate::regex::syntax::tests::cases;
use proptest::prelude::*;

const BRE: Flags = Flags { extended: false, insensitive: false };

/// The shape of `pattern`, if it has one.
fn shape(pattern: &[u8], flags: Flags) -> Option<Shape> {
    Shape::of(&parse(pattern, flags).ok()?)
}

fn cut(s: &[u8]) -> &[u8] {
    &s[..s.iter().position(|&b| b == 0).unwrap_or(s.len())]
}

/// Checks that the shape, if any, reports glibc's slots on every subject; `Ok(true)`
/// when there was a shape to compare.
fn same_slots(pattern: &[u8], flags: Flags, subjects: &[Vec<u8>]) -> Result<bool, String> {
    let Some(sh) = shape(pattern, flags) else {
        return Ok(false);
    };
    let glibc = PosixRegex::compile(pattern, flags)
        .map_err(|e| format!("{:?} has a shape but glibc rejects it: {e:?}", pattern.escape_ascii().to_string()))?;
    for s in subjects {
        let (want, got) = (glibc.exec(s), sh.captures(cut(s)));
        if want != got {
            return Err(format!(
                "{:?} {flags:?} on {:?}: glibc {want:?}, shape {got:?}",
                pattern.escape_ascii().to_string(),
                s.escape_ascii().to_string()
            ));
        }
    }
    Ok(true)
}

fn check(pattern: &str, subjects: &[&str]) {
    let subjects: Vec<Vec<u8>> = subjects.iter().map(|s| s.as_bytes().to_vec()).collect();
    assert_eq!(same_slots(pattern.as_bytes(), BRE, &subjects), Ok(true), "{pattern}");
}

#[test]
fn dialplan_shapes() {
    let subjects = ["", "0049123", "0049", "49", "1790974054", "17909069", "779", "7791234", "x779", "11\n", "\n"];
    for p in [
        r"^0049\(.*\)$",
        r"^\(0049.*\)$",
        r"^1790974054$",
        r"^17909069\(.*\)$",
        r"^779[0-9]*$",
        r"^11[02]$",
        r"^1[2-9][0-9]\{2\}$",
        r"^[[:digit:]]\+$",
        r"^\(00\)\(49\)\(.*\)$",
        r"^0\(0\(4\)\)9",
        r"^\*",
        r"^.*$",
        r"^$",
        r"^0049.*",
        r"^\(.*\)\(9\)$",
        r"^\(\)0",
        r"^\*0\([0-9]\{2,4\}\)$",
        r"^0800\([0-9]\{6,8\}\)$",
        r"^0\(49.\{0,3\}\)",
        r"^0\?49$",
        r"^\+\?49$",
    ] {
        check(p, &subjects);
    }
    // Groups past the eighth are matched but not reported.
    let ten = r"^\(1\)\(2\)\(3\)\(4\)\(5\)\(6\)\(7\)\(8\)\(9\)\(.*\)$";
    check(ten, &["123456789", "123456789x", "12345678", ""]);
}

/// A bounded repeat takes what lies between the fixed items only within its bounds:
/// subjects one byte short of the least and one past the most are refused.
#[test]
fn bounded_repeats() {
    let subjects = [
        "*0",
        "*01",
        "*012",
        "*0123",
        "*01234",
        "*012345",
        "0800",
        "0800123",
        "080012345",
        "08001234567",
        "080012345678",
        "0800123456789",
        "a",
        "aa",
        "aaa",
        "aaaa",
        "aaaab",
        "49",
        "049",
        "0049",
    ];
    for p in [
        r"^\*0\([0-9]\{2,4\}\)$",
        r"^\*0\([0-9]\{2,4\}\)",
        r"^0800\([0-9]\{6,8\}\)$",
        r"^\(0800[0-9]\{0,3\}\)",
        r"^a\{1,3\}$",
        r"^\(a\{0,2\}\)\(a\)$",
        r"^0\?49$",
        r"^a\{2,3\}",
    ] {
        check(p, &subjects);
    }
}

#[test]
fn outside_the_class() {
    for p in
        ["0049", r"^\+\?49", r"^\(a\|b\)", r"^a*b*$", r"^\(ab\)*$", r"^a\{1,3\}b\?$", r"^a*b", r"^a\>", r"^\(a\)\1$"]
    {
        assert!(shape(p.as_bytes(), BRE).is_none(), "{p}");
    }
}

/// Patterns built to land in the class often, and near its edges.
fn near_shapes() -> impl Strategy<Value = Vec<u8>> {
    let tokens = prop::sample::select(vec![
        "a", "b", "1", ".", "[ab]", "[^a]", "[0-9]", r"\(", r"\)", "*", r"\+", r"\?", r"\{2\}", r"\{1,\}", r"\{0\}",
        r"\{1,3\}", r"\{0,2\}", r"\|", "$", "^", r"\n", "\n",
    ]);
    (prop::collection::vec(tokens, 0..8), any::<bool>())
        .prop_map(|(v, end)| format!("^{}{}", v.concat(), if end { "$" } else { "" }).into_bytes())
}

fn subjects() -> impl Strategy<Value = Vec<Vec<u8>>> {
    let alphabet: Vec<u8> = b"abAB12 \n.\x00\xe9".to_vec();
    prop::collection::vec(prop::collection::vec(prop::sample::select(alphabet), 0..9), 16)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(4000)))]

    #[test]
    fn shapes_agree_with_glibc(p in near_shapes(), ere in any::<bool>(), icase in any::<bool>(), s in subjects()) {
        let flags = Flags { extended: ere, insensitive: icase };
        prop_assert_eq!(same_slots(&p, flags, &s).map(|_| ()), Ok(()));
    }
}

/// The generator does reach the class, so the property test compares something.
#[test]
fn generator_reaches_shapes() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let (mut inside, mut total) = (0, 0);
    for _ in 0..2000 {
        let Ok(tree) = near_shapes().new_tree(&mut runner) else { continue };
        total += 1;
        inside += usize::from(shape(&tree.current(), BRE).is_some());
    }
    assert!(inside * 4 > total, "{inside} of {total}");
}
