//! A rule regex ready for use: glibc for captures, the `regex` crate for yes/no tests.

use std::fmt;

use super::posix::{CompileError, Flags, PosixRegex, Slots};
use super::shape::Shape;
use super::translate::translate;

/// Keeps a pathological translation from costing more memory than glibc's own program.
const FAST_SIZE_LIMIT: usize = 1 << 20;

/// A compiled rule regex.
///
/// Patterns whose match can only fall one way (see [`Shape`]) are matched by a direct
/// scan. Otherwise matching decisions use the `regex` crate when the pattern
/// translates provably (see [`translate`]), and capture positions come from glibc, so
/// they follow glibc's sub-match rules exactly.
pub struct Regex {
    posix: PosixRegex,
    shape: Option<Shape>,
    fast: Option<regex::bytes::Regex>,
    /// glibc's state cache only changes answers for patterns with word or buffer
    /// assertions; those are compiled afresh for every search, as Yate does.
    fresh: bool,
}

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
        let shape = super::syntax::parse(pattern, flags).ok().and_then(|ast| Shape::of(&ast));
        let fast = translate(pattern, flags)
            .and_then(|t| regex::bytes::RegexBuilder::new(&t).size_limit(FAST_SIZE_LIMIT).build().ok());
        let fresh = pattern.windows(2).any(|w| w[0] == b'\\' && b"<>bB`'".contains(&w[1]));
        Ok(Regex { posix, shape, fast, fresh })
    }

    /// Whether `pattern` matches somewhere in `subject` (cut at its first NUL).
    pub fn is_match(&self, subject: &[u8]) -> bool {
        if let Some(shape) = &self.shape {
            return shape.is_match(until_nul(subject));
        }
        match &self.fast {
            Some(fast) => fast.is_match(until_nul(subject)),
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

    /// Whether yes/no tests avoid calling glibc.
    pub fn has_fast_path(&self) -> bool {
        self.shape.is_some() || self.fast.is_some()
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

/// glibc reads subjects as C strings.
fn until_nul(subject: &[u8]) -> &[u8] {
    let end = subject.iter().position(|&b| b == 0).unwrap_or(subject.len());
    &subject[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

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
