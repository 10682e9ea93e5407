//! Tests of the lint findings.

use super::*;
use proptest::prelude::*;

const BRE: Flags = Flags { extended: false, insensitive: false };
const ERE: Flags = Flags { extended: true, insensitive: false };

fn found(pattern: &str, flags: Flags) -> Vec<(Range<usize>, FindingKind)> {
    pcre_findings(pattern.as_bytes(), flags).into_iter().map(|f| (f.range, f.kind)).collect()
}

#[test]
fn perl_groups() {
    assert_eq!(found("^(?!analog).*$", ERE), vec![(1..4, FindingKind::Pcre)]);
    assert_eq!(found("^(?!analog).*$", BRE), vec![(1..4, FindingKind::Pcre)]);
    assert_eq!(found(r"^\(?:a\)", BRE), vec![(1..5, FindingKind::Pcre)]);
    assert_eq!(found("(?i)abc", ERE), vec![(0..3, FindingKind::Pcre)]);
}

#[test]
fn perl_escapes() {
    assert_eq!(found(r"^\d+$", ERE), vec![(1..3, FindingKind::Pcre)]);
    assert_eq!(found(r"\Aab\z", ERE).len(), 2);
    assert_eq!(found(r"\x41", BRE), vec![(0..2, FindingKind::Pcre)]);
    assert_eq!(found(r"a\q", BRE), vec![(1..3, FindingKind::LiteralEscape)]);
    assert_eq!(found(r"[\d]", BRE), vec![(1..3, FindingKind::Pcre)]);
    let icase = Flags { extended: false, insensitive: true };
    let f = pcre_findings(br"\q", icase);
    assert!(f.iter().any(|f| f.message.contains("matches nothing")));
}

#[test]
fn quantifiers() {
    assert_eq!(found("a*?", ERE), vec![(1..3, FindingKind::Pcre)]);
    assert_eq!(found("a++", ERE), vec![(1..3, FindingKind::Pcre)]);
    assert_eq!(found(r"a\+\?", BRE), vec![(1..5, FindingKind::Pcre)]);
    assert_eq!(found("a{,3}", ERE), vec![(1..3, FindingKind::GnuExtension)]);
}

#[test]
fn clean_patterns_have_no_findings() {
    for p in [r"^0049\(.*\)$", r"^\+\?49", r"^1[2-9][0-9]\{2\}$", r"\.\*\[\]\$\^", r"\<a\b\w"] {
        assert_eq!(found(p, BRE), vec![], "{p}");
    }
    for p in ["^(12|34)+$", r"^\(lit\)$", "a{2,3}", "[0-9]+\\.[0-9]+"] {
        assert_eq!(found(p, ERE), vec![], "{p}");
    }
}

#[test]
fn bre_alternation_without_backslash() {
    assert_eq!(found("^(a|b)$", BRE), vec![(3..4, FindingKind::BreLiteral)]);
}

proptest! {
    #[test]
    fn never_panics(pattern in prop::collection::vec(any::<u8>(), 0..48), e in any::<bool>()) {
        let flags = Flags { extended: e, insensitive: !e };
        for f in pcre_findings(&pattern, flags) {
            prop_assert!(f.range.start < f.range.end && f.range.end <= pattern.len());
        }
    }
}
