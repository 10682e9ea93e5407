//! Yes/no answers for patterns that are plain text, without an automaton.
//!
//! Dialplan guards are mostly `^sip$`, `^Grandstream`, `g729` or `.*`: a literal with
//! optional anchors, or anything at all. A compare or a substring search answers them
//! exactly, where a DFA would first pay its per-search setup.

use super::syntax::{Assertion, Ast, Node};
use memchr::memmem::Finder;

/// A pattern answered by comparing bytes.
#[derive(Clone, Debug)]
pub enum Quick {
    /// Every subject matches (`.*`, a lone `^`).
    Always,
    /// `^text$`.
    Exact(Box<[u8]>),
    /// `^text`.
    Prefix(Box<[u8]>),
    /// `text$`.
    Suffix(Box<[u8]>),
    /// `text` anywhere.
    Contains(Box<Finder<'static>>),
}

impl Quick {
    /// The quick form of `ast`, when it has one.
    pub fn of(ast: &Ast) -> Option<Quick> {
        if ast.collating {
            return None;
        }
        let nodes = ast.root.flatten();
        let start = matches!(nodes.first(), Some(Node::Assert(Assertion::LineStart | Assertion::BufStart)));
        let body = if start { &nodes[1..] } else { &nodes[..] };
        let end = matches!(body.last(), Some(Node::Assert(Assertion::LineEnd | Assertion::BufEnd)));
        let body = if end { &body[..body.len() - 1] } else { body };
        // `.*` matches the empty string at the start: any subject, anchors or not.
        if let [Node::Repeat { node, min: 0, max: None }] = body {
            if matches!(**node, Node::Any) {
                return Some(Quick::Always);
            }
        }
        let mut text = Vec::with_capacity(body.len());
        for n in body {
            match n {
                Node::Literal(b) => text.push(*b),
                _ => return None,
            }
        }
        let text = text.into_boxed_slice();
        Some(match (start, end) {
            (true, true) => Quick::Exact(text),
            (true, false) if text.is_empty() => Quick::Always,
            (true, false) => Quick::Prefix(text),
            (false, true) if text.is_empty() => Quick::Always,
            (false, true) => Quick::Suffix(text),
            (false, false) if text.is_empty() => Quick::Always,
            (false, false) => Quick::Contains(Box::new(Finder::new(&text).into_owned())),
        })
    }

    /// Whether the pattern matches `subject` (already cut at its first NUL).
    #[inline]
    pub fn is_match(&self, subject: &[u8]) -> bool {
        match self {
            Quick::Always => true,
            Quick::Exact(t) => same(subject, t),
            Quick::Prefix(t) => subject.get(..t.len()).is_some_and(|s| same(s, t)),
            Quick::Suffix(t) => {
                subject.len().checked_sub(t.len()).and_then(|at| subject.get(at..)).is_some_and(|s| same(s, t))
            }
            Quick::Contains(f) => contains(subject, f),
        }
    }

    /// [`is_match`](Self::is_match) on a subject as glibc reads it, cut at its first
    /// NUL: the literals hold no NUL, so a prefix or `.*` needs no search for one.
    // Always inline: a rule's test is mostly a prefix compare, cheaper than the call.
    #[inline(always)]
    pub fn is_match_c(&self, subject: &[u8]) -> bool {
        match self {
            Quick::Always => true,
            Quick::Prefix(t) => subject.get(..t.len()).is_some_and(|s| same(s, t)),
            Quick::Exact(t) => {
                subject.get(..t.len()).is_some_and(|s| same(s, t)) && subject.get(t.len()).map_or(true, |&b| b == 0)
            }
            Quick::Contains(f) => contains(subject, f),
            Quick::Suffix(_) => self.is_match(super::until_nul(subject)),
        }
    }
}

/// `a == b` a word at a time: the texts are a few bytes long, shorter than the call of
/// the C library's compare would be.
#[inline(always)]
fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (mut x, mut y) = (a, b);
    while let (Some((p, xs)), Some((q, ys))) = (x.split_first_chunk::<8>(), y.split_first_chunk::<8>()) {
        if u64::from_ne_bytes(*p) != u64::from_ne_bytes(*q) {
            return false;
        }
        (x, y) = (xs, ys);
    }
    if let (Some((p, xs)), Some((q, ys))) = (x.split_first_chunk::<4>(), y.split_first_chunk::<4>()) {
        if u32::from_ne_bytes(*p) != u32::from_ne_bytes(*q) {
            return false;
        }
        (x, y) = (xs, ys);
    }
    x.iter().zip(y).all(|(p, q)| p == q)
}

/// Subjects up to this long are searched a word at a time: a parameter value is
/// short, and the vectorised searcher's set-up costs more than such a scan.
const SHORT_SCAN: usize = 64;

/// Whether the needle of `f` occurs in `subject` before its first NUL (the needle holds
/// none, so an occurrence that would reach past it cannot compare equal).
#[inline]
fn contains(subject: &[u8], f: &Finder<'_>) -> bool {
    let needle = f.needle();
    let Some((&first, rest)) = needle.split_first() else { return true };
    if subject.len() > SHORT_SCAN {
        return f.find(super::until_nul(subject)).is_some();
    }
    // One read of each word answers both where the first NUL is and where the
    // needle's first byte is: a separate scan for the NUL cost as much as the search.
    let pattern = u64::from(first) * super::matcher::ONES;
    let mut base = 0usize;
    while base < subject.len() {
        let word = super::matcher::word_at(subject, base);
        // The lowest flagged byte is the first NUL (padding past the end is 0xff):
        // starts at or after it are dropped.
        let nul = super::matcher::zero_bytes(word);
        let before_nul = if nul == 0 { u64::MAX } else { (nul & nul.wrapping_neg()) - 1 };
        // Bytes equal to the needle's first become zero. The test flags every zero
        // byte, and at times a byte above one, which the compare then turns down.
        let mut hits = super::matcher::zero_bytes(word ^ pattern) & before_nul;
        while hits != 0 {
            let at = base + (hits.trailing_zeros() / 8) as usize;
            // The first byte too: a flagged byte above a zero one may differ there.
            // A window that would reach past the end is not there to compare.
            if subject.get(at) == Some(&first) && subject.get(at + 1..at + needle.len()).is_some_and(|w| same(w, rest))
            {
                return true;
            }
            hits &= hits - 1;
        }
        if nul != 0 {
            return false;
        }
        base += 8;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::regex::{Flags, Regex};

    const BRE: Flags = Flags { extended: false, insensitive: false };
    const ERE: Flags = Flags { extended: true, insensitive: false };

    fn quick(p: &[u8], f: Flags) -> Option<Quick> {
        crate::regex::parse(p, f).ok().and_then(|a| Quick::of(&a))
    }

    #[test]
    fn plain_text_patterns_have_a_quick_form() {
        assert!(matches!(quick(b"^sip$", BRE), Some(Quick::Exact(t)) if &*t == b"sip"));
        assert!(matches!(quick(b"^Grandstream", BRE), Some(Quick::Prefix(t)) if &*t == b"Grandstream"));
        assert!(matches!(quick(b"g729", BRE), Some(Quick::Contains(_))));
        assert!(matches!(quick(b"\\.net$", BRE), Some(Quick::Suffix(t)) if &*t == b".net"));
        assert!(matches!(quick(b".*", BRE), Some(Quick::Always)));
        assert!(matches!(quick(b"^$", BRE), Some(Quick::Exact(t)) if t.is_empty()));
        assert!(matches!(quick(b"^\\(sip\\)$", BRE), Some(Quick::Exact(_))));
        assert!(quick(b"^si*p$", BRE).is_none());
        assert!(quick(b"^s.p$", BRE).is_none());
        assert!(quick(b"^\\(a\\|b\\)", BRE).is_none());
        assert!(quick(b"^sip$", Flags { extended: false, insensitive: true }).is_none());
        assert!(quick(b"^\\<sip", BRE).is_none());
    }

    /// Every quick answer is glibc's, on subjects built around the literal.
    #[test]
    fn quick_answers_are_glibcs() {
        let patterns: [(&[u8], Flags); 14] = [
            (b"^sip$", BRE),
            (b"^Grandstream", BRE),
            (b"g729", BRE),
            (b"9$", BRE),
            (b".*", BRE),
            (b"^.*$", BRE),
            (b"^$", BRE),
            (b"^", BRE),
            (b"a^b", BRE),
            (b"a$b", BRE),
            (b"^+\\?", BRE),
            (b"^(sip)$", ERE),
            (b"^a{0}b$", ERE),
            (b"x\\{1\\}$", BRE),
        ];
        let subjects: [&[u8]; 20] = [
            b"",
            b"sip",
            b"sips",
            b"xsip",
            b"Grandstream GXP",
            b"a Grandstream",
            b"alaw,g729",
            b"g72",
            b"9",
            b"19",
            b"a^b",
            b"a$b",
            b"+",
            b"b",
            b"x",
            b"sip\nx",
            b"sip\0x",
            b"\0",
            b"Grandstream\0",
            b"a\0g729",
        ];
        for (p, f) in patterns {
            let Some(q) = quick(p, f) else { continue };
            let Ok(posix) = crate::regex::PosixRegex::compile(p, f) else { panic!("{p:?} compiles") };
            for s in subjects {
                let want = posix.exec(s).is_some();
                let what = format!("{:?} on {:?}", String::from_utf8_lossy(p), String::from_utf8_lossy(s));
                assert_eq!(q.is_match(crate::regex::until_nul(s)), want, "{what}");
                assert_eq!(q.is_match_c(s), want, "{what}");
                let Ok(r) = Regex::new(p, f) else { panic!("compiles") };
                assert_eq!(r.is_match(s), want);
            }
        }
    }

    /// The word-wise compare and the byte scan agree with plain slice operations, on
    /// both sides of the scan's length limit and around NULs.
    #[test]
    fn compares_and_scans_agree_with_slices() {
        let mut next = crate::testing::seeded(0x9e37_79b9_u64);
        // 0x01, high bytes and `f`, `` ` `` (`g`, `a` with the low bit flipped): what a
        // word-wise zero test can take for a zero.
        let alphabet = b"ag72,9\0\x01\x80\xff`f";
        for needle in [
            &b"g729"[..],
            b"a",
            b"aa",
            b"729,a",
            b"g729g729g",
            b"0123456789abcdef0",
            b"\x01a",
            b"\x80",
            b"\xff",
            b"a\xff",
        ] {
            let q = Quick::Contains(Box::new(Finder::new(needle).into_owned()));
            let p = Quick::Prefix(needle.into());
            let e = Quick::Exact(needle.into());
            let x = Quick::Suffix(needle.into());
            for round in 0..400 {
                let len = if round % 4 == 0 { 60 + next(12) } else { next(140) };
                let mut hay: Vec<u8> = (0..len).map(|_| alphabet[next(alphabet.len() as u64) as usize]).collect();
                if next(3) == 0 {
                    let at = next(hay.len() as u64 + 1) as usize;
                    hay.splice(at..at, needle.iter().copied());
                }
                if next(4) == 0 {
                    let at = next(hay.len() as u64 + 1) as usize;
                    hay.insert(at, 0);
                }
                let cut = &hay[..hay.iter().position(|&b| b == 0).unwrap_or(hay.len())];
                assert_eq!(crate::regex::until_nul(&hay), cut);
                let found = cut.windows(needle.len()).any(|w| w == needle);
                assert_eq!(q.is_match_c(&hay), found, "{needle:?} in {hay:?}");
                assert_eq!(q.is_match(cut), found, "{needle:?} in {cut:?}");
                assert_eq!(p.is_match_c(&hay), cut.starts_with(needle), "{needle:?} {hay:?}");
                assert_eq!(e.is_match_c(&hay), cut == needle, "{needle:?} {hay:?}");
                assert_eq!(x.is_match_c(&hay), cut.ends_with(needle), "{needle:?} {hay:?}");
                assert!(same(&hay, &hay.clone()));
                if let Some((_, shorter)) = hay.split_last() {
                    assert!(!same(&hay, shorter));
                    let mut changed = hay.clone();
                    let at = next(hay.len() as u64) as usize;
                    changed[at] ^= 1;
                    assert!(!same(&hay, &changed));
                }
            }
        }
    }
}
