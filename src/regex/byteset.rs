//! A set of bytes, the meaning of every single-byte atom after case folding.

use std::fmt;

/// A set of byte values (0..=255).
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ByteSet([u64; 4]);

impl ByteSet {
    /// The empty set.
    pub const EMPTY: ByteSet = ByteSet([0; 4]);

    /// Every byte.
    pub const FULL: ByteSet = ByteSet([u64::MAX; 4]);

    /// Adds `b`.
    pub fn insert(&mut self, b: u8) {
        self.0[usize::from(b >> 6)] |= 1 << (b & 63);
    }

    /// Adds every byte in `lo..=hi` (nothing when `lo > hi`).
    pub fn insert_range(&mut self, lo: u8, hi: u8) {
        for b in lo..=hi {
            self.insert(b);
        }
    }

    /// Whether `b` is in the set.
    pub fn contains(&self, b: u8) -> bool {
        self.0[usize::from(b >> 6)] & (1 << (b & 63)) != 0
    }

    /// The complement of the set.
    #[must_use]
    pub fn complement(&self) -> ByteSet {
        ByteSet(self.0.map(|w| !w))
    }

    /// The union of both sets.
    #[must_use]
    pub fn union(&self, other: &ByteSet) -> ByteSet {
        let mut out = *self;
        for (w, o) in out.0.iter_mut().zip(other.0.iter()) {
            *w |= o;
        }
        out
    }

    /// How many bytes are in the set.
    pub fn len(&self) -> usize {
        self.0.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0 == [0; 4]
    }

    /// The single member, if the set has exactly one.
    pub fn single(&self) -> Option<u8> {
        if self.len() == 1 {
            self.iter().next()
        } else {
            None
        }
    }

    /// The members in increasing order.
    pub fn iter(&self) -> impl Iterator<Item = u8> + '_ {
        (0..=255u8).filter(move |&b| self.contains(b))
    }

    /// The members as maximal inclusive ranges, in increasing order.
    pub fn ranges(&self) -> Vec<(u8, u8)> {
        let mut out: Vec<(u8, u8)> = Vec::new();
        for b in self.iter() {
            match out.last_mut() {
                Some((_, hi)) if u16::from(*hi) + 1 == u16::from(b) => *hi = b,
                _ => out.push((b, b)),
            }
        }
        out
    }

    /// The set of bytes `b` for which `pred(b)` holds.
    pub fn from_fn(pred: impl Fn(u8) -> bool) -> ByteSet {
        let mut out = ByteSet::EMPTY;
        for b in (0..=255u8).filter(|&b| pred(b)) {
            out.insert(b);
        }
        out
    }
}

impl fmt::Debug for ByteSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (lo, hi) in self.ranges() {
            if lo == hi {
                write!(f, "{}", lo.escape_ascii())?;
            } else {
                write!(f, "{}-{}", lo.escape_ascii(), hi.escape_ascii())?;
            }
        }
        f.write_str("]")
    }
}

/// Whether glibc's C-locale `isalnum(b) || b == '_'` holds: its notion of a word byte.
pub fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The members of a POSIX character class in the C locale, or `None` for an unknown name.
pub fn posix_class(name: &[u8]) -> Option<ByteSet> {
    let pred: fn(u8) -> bool = match name {
        b"alpha" => |b| b.is_ascii_alphabetic(),
        b"upper" => |b| b.is_ascii_uppercase(),
        b"lower" => |b| b.is_ascii_lowercase(),
        b"digit" => |b| b.is_ascii_digit(),
        b"xdigit" => |b| b.is_ascii_hexdigit(),
        // C `isspace`: space, \t \n \v \f \r (Rust's is_ascii_whitespace lacks \v).
        b"space" => |b| b == b' ' || (0x09..=0x0d).contains(&b),
        b"print" => |b| (0x20..=0x7e).contains(&b),
        b"punct" => |b| b.is_ascii_punctuation(),
        b"graph" => |b| b.is_ascii_graphic(),
        b"cntrl" => |b| b < 0x20 || b == 0x7f,
        b"blank" => |b| b == b' ' || b == b'\t',
        b"alnum" => |b| b.is_ascii_alphanumeric(),
        _ => return None,
    };
    Some(ByteSet::from_fn(pred))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_merge_neighbours() {
        let mut s = ByteSet::EMPTY;
        s.insert_range(b'a', b'c');
        s.insert(b'd');
        s.insert(b'x');
        s.insert(255);
        assert_eq!(s.ranges(), vec![(b'a', b'd'), (b'x', b'x'), (255, 255)]);
        assert_eq!(s.len(), 6);
        assert_eq!(s.complement().len(), 250);
        assert!(ByteSet::FULL.complement().is_empty());
    }

    #[test]
    fn classes() {
        assert_eq!(posix_class(b"digit").map(|s| s.len()), Some(10));
        assert_eq!(posix_class(b"space").map(|s| s.len()), Some(6));
        assert_eq!(posix_class(b"punct").map(|s| s.len()), Some(32));
        assert!(posix_class(b"ALPHA").is_none());
    }
}
