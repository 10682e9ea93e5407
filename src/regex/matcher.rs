//! A rule regex ready for use: glibc for captures, the `regex` crate for yes/no tests.

use std::fmt;
use std::sync::OnceLock;

use super::posix::{CompileError, Flags, PosixRegex, Slots};
use super::quick::Quick;
use super::shape::Shape;
use super::translate::translate;

/// Keeps a pathological translation from costing more memory than glibc's own program.
const FAST_SIZE_LIMIT: usize = 1 << 20;

/// Largest fully built DFA kept for a fast path. Small patterns (most non-literal rule
/// regexes) fit; a DFA answers without the `regex` crate's per-search setup, which
/// costs more than the search itself on a phone number.
const DFA_SIZE_LIMIT: usize = 16 << 10;

/// A yes/no matcher for a translated pattern.
pub(crate) enum Fast {
    /// The DFA and its start state for a search from the start of a subject (the same
    /// for every subject: nothing lies behind position 0).
    Dfa(Box<regex_automata::dfa::dense::DFA<Vec<u32>>>, regex_automata::util::primitives::StateID),
    Meta(regex::bytes::Regex),
}

impl Fast {
    pub(crate) fn new(translated: &str) -> Option<Fast> {
        use regex_automata::dfa::dense;
        use regex_automata::util::syntax;
        // The same syntax as `regex::bytes`: Unicode classes, matching any bytes.
        let dfa = dense::Builder::new()
            .syntax(syntax::Config::new().utf8(false))
            .thompson(regex_automata::nfa::thompson::Config::new().utf8(false))
            .configure(
                dense::Config::new()
                    .dfa_size_limit(Some(DFA_SIZE_LIMIT))
                    .determinize_size_limit(Some(4 * DFA_SIZE_LIMIT)),
            )
            .build(translated);
        let dfa = dfa.ok().and_then(|d| {
            use regex_automata::dfa::Automaton;
            let start = d.start_state_forward(&regex_automata::Input::new(b"")).ok()?;
            Some((d, start))
        });
        match dfa {
            Some((d, start)) => Some(Fast::Dfa(Box::new(d), start)),
            None => {
                regex::bytes::RegexBuilder::new(translated).size_limit(FAST_SIZE_LIMIT).build().ok().map(Fast::Meta)
            }
        }
    }

    /// `None` when the DFA gave up (it has no quit bytes configured, so it does not).
    /// The subject ends at its first NUL, as glibc reads it.
    pub(crate) fn is_match(&self, hay: &[u8]) -> Option<bool> {
        use regex_automata::dfa::Automaton;
        match self {
            Fast::Dfa(d, start) => {
                // The search loop by hand: the library's search prepares prefilters and
                // acceleration that a dialplan's short subjects never repay. Match states
                // come one byte late, so the end-of-input transition settles the last one.
                // A NUL ends the subject in the loop: most guards are settled by their
                // first byte or two, before a scan for the NUL would have finished.
                let mut state = *start;
                for &b in hay {
                    if b == 0 {
                        break;
                    }
                    if d.is_special_state(state) {
                        if d.is_match_state(state) {
                            return Some(true);
                        }
                        if d.is_dead_state(state) {
                            return Some(false);
                        }
                        if d.is_quit_state(state) {
                            return None;
                        }
                    }
                    state = d.next_state(state, b);
                }
                if d.is_match_state(state) {
                    return Some(true);
                }
                Some(d.is_match_state(d.next_eoi_state(state)))
            }
            Fast::Meta(r) => Some(r.is_match(until_nul(hay))),
        }
    }

    fn as_str(&self) -> &str {
        match self {
            Fast::Dfa(..) => "(dfa)",
            Fast::Meta(r) => r.as_str(),
        }
    }
}

/// A compiled rule regex.
///
/// Patterns whose match can only fall one way (see [`Shape`]) are matched by a direct
/// scan. Otherwise matching decisions use the `regex` crate when the pattern
/// translates provably (see [`translate`]), and capture positions come from glibc, so
/// they follow glibc's sub-match rules exactly.
pub struct Regex {
    posix: PosixRegex,
    quick: Option<Quick>,
    shape: Option<Shape>,
    fast: Option<Fast>,
    /// glibc's state cache only changes answers for patterns with word or buffer
    /// assertions; those are compiled afresh for every search, as Yate does.
    fresh: bool,
    /// [`matches_number`](Regex::matches_number)'s answers below [`NUMBERS`], one bit
    /// each, built on first use.
    numbers: OnceLock<[u64; NUMBERS / 64]>,
}

/// Numbers whose decimal text has its answer in a table.
const NUMBERS: usize = 256;

impl fmt::Debug for Regex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Regex")
            .field("posix", &self.posix)
            .field("fast", &self.fast.as_ref().map(|r| r.as_str()))
            .finish()
    }
}

impl Regex {
    /// Compiles `pattern` with glibc, and a fast path when one is provably equivalent.
    ///
    /// Fails exactly when glibc's `regcomp` fails, or for the empty pattern.
    pub fn new(pattern: &[u8], flags: Flags) -> Result<Regex, CompileError> {
        let posix = PosixRegex::compile(pattern, flags)?;
        let ast = super::syntax::parse(pattern, flags).ok();
        let quick = ast.as_ref().and_then(Quick::of);
        let shape = ast.as_ref().and_then(Shape::of);
        // Quick forms and shapes answer on their own: a second matcher would only cost memory.
        let fast = if shape.is_some() || quick.is_some() {
            None
        } else {
            translate(pattern, flags).and_then(|t| Fast::new(&t))
        };
        let fresh = pattern.windows(2).any(|w| w[0] == b'\\' && b"<>bB`'".contains(&w[1]));
        Ok(Regex { posix, quick, shape, fast, fresh, numbers: OnceLock::new() })
    }

    /// Whether `pattern` matches somewhere in `subject` (cut at its first NUL).
    #[inline]
    pub fn is_match(&self, subject: &[u8]) -> bool {
        match &self.quick {
            Some(q) => q.is_match_c(subject),
            None => self.is_match_slow(subject),
        }
    }

    /// [`is_match`](Self::is_match) past the quick forms, kept out of line so that a
    /// quick answer pays no set-up for the automata.
    #[inline(never)]
    fn is_match_slow(&self, subject: &[u8]) -> bool {
        if let Some(shape) = &self.shape {
            return shape.is_match(until_nul(subject));
        }
        match self.fast.as_ref().and_then(|f| f.is_match(subject)) {
            Some(answer) => answer,
            None => self.captures(subject).is_some(),
        }
    }

    /// The whole match and groups 1..=8, as glibc reports them.
    pub fn captures(&self, subject: &[u8]) -> Option<Slots> {
        if let Some(shape) = &self.shape {
            return shape.captures(until_nul(subject));
        }
        if self.fresh {
            self.posix.exec(subject)
        } else {
            self.posix.exec_reusing(subject)
        }
    }

    /// Whether the decimal text of `n` matches. Number-length guards
    /// (`$(length,${called})^\(1[6-9]\|[2-9][0-9]\)$`) ask it for every message:
    /// below 256 the answer is read from a table of [`is_match`](Self::is_match)'s.
    pub fn matches_number(&self, n: usize) -> bool {
        if n >= NUMBERS {
            let mut digits = itoa::Buffer::new();
            return self.is_match(digits.format(n).as_bytes());
        }
        self.numbers().get(n / 64).is_some_and(|w| w >> (n % 64) & 1 == 1)
    }

    /// [`matches_number`](Self::matches_number)'s answers below 256, one bit each.
    pub fn numbers(&self) -> &[u64; NUMBERS / 64] {
        self.numbers.get_or_init(|| {
            let mut digits = itoa::Buffer::new();
            let mut t = [0u64; NUMBERS / 64];
            for i in 0..NUMBERS {
                if self.is_match(digits.format(i).as_bytes()) {
                    t[i / 64] |= 1 << (i % 64);
                }
            }
            t
        })
    }

    /// Whether yes/no tests avoid calling glibc.
    pub fn has_fast_path(&self) -> bool {
        self.quick.is_some() || self.shape.is_some() || self.fast.is_some()
    }

    /// Whether captures, too, avoid calling glibc.
    pub fn has_shape(&self) -> bool {
        self.shape.is_some()
    }

    /// The number of groups glibc counted.
    pub fn group_count(&self) -> usize {
        self.posix.group_count()
    }

    /// The glibc-compiled pattern.
    pub fn posix(&self) -> &PosixRegex {
        &self.posix
    }
}

/// A subject as glibc reads it: a C string, cut at its first NUL.
// Eight bytes a step: every subject of a match is scanned so, and a number or a name
// is a word or two long, where a byte loop costs a compare and a branch a byte.
#[inline]
pub fn until_nul(subject: &[u8]) -> &[u8] {
    let mut at = 0usize;
    while at < subject.len() {
        let zero = zero_bytes(word_at(subject, at));
        if zero != 0 {
            let end = at + (zero.trailing_zeros() / 8) as usize;
            return subject.get(..end).unwrap_or(subject);
        }
        at += 8;
    }
    subject
}

/// Whether `s` holds byte `b`, eight bytes at a time: the values tested are short,
/// and a byte loop costs four or five instructions a byte.
pub fn has_byte(s: &[u8], b: u8) -> bool {
    // The padding `word_at` reads past the end is 0xff: that byte is looked for alone.
    if b == 0xff {
        return s.contains(&b);
    }
    let pattern = u64::from(b) * ONES;
    let mut at = 0usize;
    while at < s.len() {
        if zero_bytes(word_at(s, at) ^ pattern) != 0 {
            return true;
        }
        at += 8;
    }
    false
}

/// `0x01` in every byte.
pub(crate) const ONES: u64 = 0x0101_0101_0101_0101;

/// The high bit of every zero byte of `x`, and at times of a byte above a zero one (a
/// borrow): the lowest bit set always marks the first zero byte.
#[inline(always)]
pub(crate) fn zero_bytes(x: u64) -> u64 {
    x.wrapping_sub(ONES) & !x & 0x8080_8080_8080_8080
}

/// The eight bytes of `s` from `from`, the first in the low byte; bytes past the end
/// read as `0xff`. Near the end the word is the last eight bytes shifted, not a copy.
#[inline(always)]
pub(crate) fn word_at(s: &[u8], from: usize) -> u64 {
    if let Some(w) = s.get(from..).and_then(|r| r.first_chunk::<8>()) {
        return u64::from_le_bytes(*w);
    }
    let n = s.len().saturating_sub(from);
    if n == 0 {
        return u64::MAX;
    }
    let fill = u64::MAX << (8 * n);
    let low = match s.last_chunk::<8>() {
        Some(w) => u64::from_le_bytes(*w) >> (8 * (8 - n)),
        None => s.get(from..).unwrap_or_default().iter().rev().fold(0u64, |w, &b| w << 8 | u64::from(b)),
    };
    low | fill
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The word-wise search finds a byte wherever it lies, and nothing in texts
    /// without it, whatever bytes surround it (0xff, which pads words, included).
    #[test]
    fn has_byte_agrees_with_a_byte_scan() {
        for b in [b')', 0, 0x80, 0xfe, 0xff] {
            for len in 0..40usize {
                let base: Vec<u8> = (0..len).map(|i| [b'1', 0xff, 0x28, 0x2a, 0][i % 5]).filter(|&c| c != b).collect();
                assert!(!has_byte(&base, b), "{b:#x} absent, {} bytes", base.len());
                for at in 0..base.len() {
                    let mut s = base.clone();
                    s[at] = b;
                    assert!(has_byte(&s, b), "{b:#x} at {at} of {}", s.len());
                }
            }
        }
    }

    /// The word-wise cut ends where the first NUL is, wherever it lies in a word, and
    /// keeps subjects without one whole.
    #[test]
    fn until_nul_cuts_at_the_first_nul() {
        for len in 0..40usize {
            let base: Vec<u8> = (0..len).map(|i| b'1' + (i % 9) as u8).collect();
            assert_eq!(until_nul(&base), &base[..], "no NUL, {len} bytes");
            for at in 0..len {
                let mut s = base.clone();
                s[at] = 0;
                assert_eq!(until_nul(&s), &base[..at], "NUL at {at} of {len}");
                // A later NUL, and high bytes around it, change nothing.
                if at + 1 < len {
                    s[at + 1] = 0x80;
                }
                if at + 2 < len {
                    s[at + 2] = 0;
                }
                if at > 0 {
                    s[at - 1] = 0x81;
                }
                let cut = s.iter().position(|&b| b == 0).unwrap_or(len);
                assert_eq!(until_nul(&s).len(), cut, "NUL at {at} of {len}, high bytes near");
            }
        }
        assert_eq!(until_nul(&[0x01, 0x00, 0xff, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01]), &[0x01]);
        assert_eq!(until_nul(&[0x80; 8]), &[0x80; 8]);
    }

    /// Words read near the end are the bytes that are there, padded with `0xff`.
    #[test]
    fn words_past_the_end_are_padded() {
        let s: Vec<u8> = (1..=20).collect();
        for len in 0..=20 {
            for from in 0..=len + 2 {
                let mut want = [0xffu8; 8];
                for (k, w) in want.iter_mut().enumerate() {
                    if let Some(&b) = s[..len].get(from + k) {
                        *w = b;
                    }
                }
                assert_eq!(word_at(&s[..len], from), u64::from_le_bytes(want), "{len} {from}");
            }
        }
    }

    const BRE: Flags = Flags { extended: false, insensitive: false };

    #[test]
    fn fast_and_exact_paths_agree() {
        let r = Regex::new(br"^0049\(.*\)$", BRE);
        let Ok(r) = r else { panic!("compile failed") };
        assert!(r.has_fast_path());
        assert!(r.is_match(b"00491234"));
        assert!(r.is_match(b"0049\0x"));
        assert!(!r.is_match(b"x0049"));
        assert_eq!(r.captures(b"00491234").map(|s| s[1]), Some(Some((4, 8))));
        assert_eq!(r.group_count(), 1);
    }

    /// The table answers what matching the number's text answers, on both sides of
    /// its end.
    #[test]
    fn number_answers_come_from_matching_the_text() {
        for p in [&br"^\(1[6-9]\|[2-9][0-9]\)$"[..], br"^[0-9]$", br"1", br"^$", br"^25[5-7]$", br"\<3"] {
            let Ok(r) = Regex::new(p, BRE) else { panic!("compile failed") };
            for n in (0..300).chain([999, 1000, 123_456]) {
                assert_eq!(r.matches_number(n), r.is_match(n.to_string().as_bytes()), "{n}");
            }
        }
    }

    #[test]
    fn backrefs_use_glibc() {
        let Ok(r) = Regex::new(br"^\(.\)\1$", BRE) else { panic!("compile failed") };
        assert!(!r.has_fast_path());
        assert!(r.is_match(b"aa"));
        assert!(!r.is_match(b"ab"));
    }

    #[test]
    fn invalid_and_empty_patterns_fail() {
        assert!(Regex::new(br"\(unclosed", BRE).is_err());
        assert!(Regex::new(b"", BRE).is_err());
    }
}
