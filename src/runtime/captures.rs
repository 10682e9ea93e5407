//! Back-reference values `\0`..`\9` as Yate derives them from a regex match.

/// Number of `regexec` slots Yate asks for: the whole match plus groups 1..8.
pub const SLOTS: usize = 9;

/// What `regexec` fills in: `(start, end)` byte offsets per slot, `None` for `-1`.
pub type Slots = [Option<(usize, usize)>; SLOTS];

/// The texts `\0`..`\9` of the last evaluated condition.
///
/// Yate's bookkeeping (`StringMatchPrivate::fixup`) has two visible quirks that this
/// reproduces: `\9` is always empty (only 9 slots are requested), and when no group
/// participated `\1` repeats the whole match.
///
/// The texts are ranges of one copy of the subject: one allocation per match.
#[derive(Clone, Debug, Default)]
pub struct Captures {
    subject: Vec<u8>,
    /// `(start, end)` of `\0`..`\9` in `subject`; `(0, 0)` is empty.
    spans: [(u32, u32); 10],
}

/// A slot as a span of a subject of `len` bytes: its end clamped to the subject, and
/// empty when the group did not take part or the start is past the end (as Yate's
/// `substr` gives, rather than a panic).
#[inline]
fn span(len: usize, slot: Option<(usize, usize)>) -> (u32, u32) {
    match slot {
        Some((start, end)) if start < end.min(len) => (start as u32, end.min(len) as u32),
        _ => (0, 0),
    }
}

impl PartialEq for Captures {
    fn eq(&self, other: &Captures) -> bool {
        (0..10).all(|n| self.get(n) == other.get(n))
    }
}

impl Eq for Captures {}

impl Captures {
    /// All captures empty: the state after a failed or negated condition.
    pub fn none() -> Self {
        Captures::default()
    }

    /// Builds the captures of a successful match.
    ///
    /// `slots[0]` is the whole match and `slots[1..9]` are groups 1..8, each `Some((start,
    /// end))` as byte offsets into `subject` (glibc's `rm_so`/`rm_eo`) or `None` when the
    /// group did not participate. An end past `subject` is clamped to it and a start past
    /// the end gives empty text, as Yate's `substr` would, rather than a panic.
    pub fn from_slots(subject: &[u8], slots: &Slots) -> Self {
        let mut caps = Captures::default();
        caps.set(subject, slots);
        caps
    }

    /// Back to [`none`](Self::none), keeping the buffer for the next match.
    pub fn clear(&mut self) {
        self.subject.clear();
        self.spans = [(0, 0); 10];
    }

    /// [`from_slots`](Self::from_slots) into this value, reusing its buffer: routing
    /// fills the same one for every rule that matches.
    #[inline]
    pub fn set(&mut self, subject: &[u8], slots: &Slots) {
        let len = self.take_subject(subject);
        self.spans[0] = span(len, slots[0]);
        let highest = (1..SLOTS).rev().find(|&i| slots[i].is_some()).unwrap_or(0);
        if highest == 0 {
            self.spans[1] = self.spans[0];
            return;
        }
        for (i, slot) in slots.iter().enumerate().take(highest + 1).skip(1) {
            self.spans[i] = span(len, *slot);
        }
    }

    /// [`set`](Self::set) for a match whose only group is the first (`None`: it did
    /// not take part), as a prefix proof gives: the same captures, without a table
    /// of nine slots to fill and scan.
    #[inline]
    pub fn set_groups(&mut self, subject: &[u8], whole: (usize, usize), group: Option<(usize, usize)>) {
        let len = self.take_subject(subject);
        self.spans[0] = span(len, Some(whole));
        self.spans[1] = if group.is_some() { span(len, group) } else { self.spans[0] };
    }

    /// Copies `subject` (cut at 4 GiB, which no configuration or message reaches)
    /// into the buffer with every span empty; its length.
    #[inline]
    fn take_subject(&mut self, subject: &[u8]) -> usize {
        let subject = &subject[..subject.len().min(u32::MAX as usize)];
        self.subject.clear();
        self.subject.extend_from_slice(subject);
        self.spans = [(0, 0); 10];
        subject.len()
    }

    /// Capture `n` (`\n`); empty when `n` is out of range or the group did not take part.
    pub fn get(&self, n: usize) -> &[u8] {
        match self.spans.get(n) {
            Some(&(start, end)) => self.subject.get(start as usize..end as usize).unwrap_or_default(),
            None => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slots(list: &[Option<(usize, usize)>]) -> Slots {
        let mut s = [None; SLOTS];
        s[..list.len()].copy_from_slice(list);
        s
    }

    /// The two-group form gives what the nine slots give.
    #[test]
    fn set_groups_matches_set() {
        let subject = b"0049123";
        let cases =
            [((0, 7), None), ((0, 7), Some((4, 7))), ((0, 4), None), ((0, 7), Some((7, 7))), ((3, 2), Some((0, 9)))];
        for (whole, group) in cases {
            let mut a = Captures::none();
            a.set_groups(subject, whole, group);
            let mut s = [None; SLOTS];
            s[0] = Some(whole);
            s[1] = group;
            let b = Captures::from_slots(subject, &s);
            for n in 0..10 {
                assert_eq!(a.get(n), b.get(n), "{whole:?} {group:?} \\{n}");
            }
        }
    }

    #[test]
    fn none_is_all_empty() {
        let c = Captures::none();
        for n in 0..12 {
            assert_eq!(c.get(n), b"");
        }
    }

    #[test]
    fn no_group_repeats_whole_match_in_slot_one() {
        let c = Captures::from_slots(b"x123y", &slots(&[Some((1, 4))]));
        assert_eq!(c.get(0), b"123");
        assert_eq!(c.get(1), b"123");
        assert_eq!(c.get(2), b"");
        assert_eq!(c.get(9), b"");
    }

    #[test]
    fn optional_unused_groups_also_repeat_whole_match() {
        let c = Captures::from_slots(b"ab", &slots(&[Some((0, 2)), None, None]));
        assert_eq!(c.get(1), b"ab");
    }

    #[test]
    fn groups_in_order_and_gaps_empty() {
        // ^l\(a\)\?\(b\)$ on "lb": group 1 unused, group 2 = "b".
        let c = Captures::from_slots(b"lb", &slots(&[Some((0, 2)), None, Some((1, 2))]));
        assert_eq!(c.get(0), b"lb");
        assert_eq!(c.get(1), b"");
        assert_eq!(c.get(2), b"b");
        assert_eq!(c.get(3), b"");
    }

    #[test]
    fn empty_participating_group_is_empty() {
        // ^f\(x*\)\(x*\)$ on "fxxx".
        let c = Captures::from_slots(b"fxxx", &slots(&[Some((0, 4)), Some((1, 4)), Some((4, 4))]));
        assert_eq!(c.get(1), b"xxx");
        assert_eq!(c.get(2), b"");
    }

    #[test]
    fn eight_groups_and_nine_is_always_empty() {
        let subject = b"abcdefgh";
        let mut s = [None; SLOTS];
        s[0] = Some((0, 8));
        for (g, slot) in s.iter_mut().enumerate().skip(1) {
            *slot = Some((g - 1, g));
        }
        let c = Captures::from_slots(subject, &s);
        assert_eq!(c.get(1), b"a");
        assert_eq!(c.get(8), b"h");
        assert_eq!(c.get(9), b"");
    }

    #[test]
    fn bad_offsets_do_not_panic() {
        let c = Captures::from_slots(b"abc", &slots(&[Some((2, 9)), Some((3, 1)), Some((7, 8))]));
        assert_eq!(c.get(0), b"c");
        assert_eq!(c.get(1), b"");
        assert_eq!(c.get(2), b"");
    }

    /// Expands `template` with the captures of `subject` and checks the result.
    fn expands(subject: &str, s: &Slots, template: &str, want: &str) {
        let caps = Captures::from_slots(subject.as_bytes(), s);
        let got = crate::runtime::subst::replace_matches(template.as_bytes(), &caps);
        assert_eq!(String::from_utf8_lossy(&got), want, "{subject}");
    }

    /// Conformance case 036: the slots glibc reports, through `replace_matches`.
    #[test]
    fn case_036_captures_in_target() {
        expands("gabc", &slots(&[Some((0, 4)), Some((1, 4)), Some((4, 4))]), "greedy[\\1][\\2]", "greedy[abc][]");
        expands("xxuyxzz", &slots(&[Some((2, 5))]), "unanchored[\\0]", "unanchored[uyx]");
        expands("n42", &slots(&[Some((0, 3))]), "nogroup[\\0][\\1][\\2]", "nogroup[n42][n42][]");
        expands("ob", &slots(&[Some((0, 2)), None]), "opt[\\0][\\1]", "opt[ob][ob]");
        expands("oaab", &slots(&[Some((0, 4)), Some((2, 3))]), "opt[\\0][\\1]", "opt[oaab][a]");
        let mut nine = [None; SLOTS];
        nine[0] = Some((0, 10));
        for (g, slot) in nine.iter_mut().enumerate().skip(1) {
            *slot = Some((g, g + 1));
        }
        expands("e123456789", &nine, "nine[\\8][\\9][\\10]", "nine[8][][10]");
        let mut eight = nine;
        eight[0] = Some((0, 9));
        expands("f12345678", &eight, "eight[\\1\\2\\3\\4\\5\\6\\7\\8]", "eight[12345678]");
        expands("bq", &slots(&[Some((0, 2)), Some((1, 2))]), "bs[\\\\1][\\x][\\1]", "bs[\\1][\\x][q]");
    }
}
