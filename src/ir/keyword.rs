//! Action keywords, recognised on the substituted action string (spec §3.5 phase C).

/// What an action string means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Keyword {
    /// Empty: a set-only rule; go on.
    Nothing,
    /// `noop ...`: go on.
    Noop,
    /// `return [B]`: leave the context with B as a Yate boolean (default false).
    Return(bool),
    /// `goto`/`jump` (tail call); `silent` for the `@` forms.
    Goto {
        /// Target context name (may be empty: routing fails).
        ctx: Vec<u8>,
        /// `@goto`: no warning for a missing context.
        silent: bool,
    },
    /// `include`/`call`: run and come back unless it routed.
    Include {
        /// Target context name.
        ctx: Vec<u8>,
        /// `@include`: no warning for a missing context.
        silent: bool,
    },
    /// `match`/`newmatch STR`: a new match string (ignored when empty).
    Match(Vec<u8>),
    /// `rename NAME` (ignored when empty).
    Rename(Vec<u8>),
    /// `retval [STR]`.
    Retval(Vec<u8>),
    /// `msleep N`: milliseconds (negative or invalid: 0).
    Msleep(u64),
    /// Anything else: the target, which ends the context with "handled".
    Target(Vec<u8>),
}

const WS: &[u8] = b" \t\r\n";

/// `word` at the start of `s` as a whole word, and the rest after its whitespace.
pub fn word<'a>(s: &'a [u8], word: &[u8]) -> Option<&'a [u8]> {
    let rest = s.strip_prefix(word)?;
    match rest.first() {
        None => Some(rest),
        Some(c) if WS.contains(c) => {
            let skip = rest.iter().position(|c| !WS.contains(c)).unwrap_or(rest.len());
            Some(&rest[skip..])
        }
        Some(_) => None,
    }
}

/// The first bytes of every keyword: an action starting otherwise is a target.
const KEYWORD_STARTS: &[u8] = b"nrgj@icm";

/// Whether an action string starting with `b` (trimmed) could be a keyword; any other
/// is a target.
#[inline]
pub fn may_be_keyword(b: u8) -> bool {
    KEYWORD_STARTS.contains(&b)
}

/// [`classify`] for an owned, untrimmed action string; a target keeps its buffer.
pub fn classify_owned(mut action: Vec<u8>) -> Keyword {
    let trimmed = crate::ir::template_trim(&action);
    match trimmed.first() {
        Some(c) if !KEYWORD_STARTS.contains(c) => {
            let (start, len) = (trimmed.as_ptr() as usize - action.as_ptr() as usize, trimmed.len());
            action.truncate(start + len);
            action.drain(..start);
            Keyword::Target(action)
        }
        _ => classify(trimmed),
    }
}

/// Classifies a substituted, trimmed action string.
pub fn classify(action: &[u8]) -> Keyword {
    match action.first() {
        None => return Keyword::Nothing,
        Some(c) if !KEYWORD_STARTS.contains(c) => return Keyword::Target(action.to_vec()),
        Some(_) => {}
    }
    if word(action, b"noop").is_some() {
        return Keyword::Noop;
    }
    if let Some(b) = word(action, b"return") {
        return Keyword::Return(crate::runtime::num::to_boolean(b, false));
    }
    for (w, silent) in [(&b"goto"[..], false), (b"jump", false), (b"@goto", true), (b"@jump", true)] {
        if let Some(c) = word(action, w) {
            return Keyword::Goto { ctx: c.to_vec(), silent };
        }
    }
    for (w, silent) in [(&b"include"[..], false), (b"call", false), (b"@include", true), (b"@call", true)] {
        if let Some(c) = word(action, w) {
            return Keyword::Include { ctx: c.to_vec(), silent };
        }
    }
    if let Some(s) = word(action, b"match").or_else(|| word(action, b"newmatch")) {
        return Keyword::Match(s.to_vec());
    }
    if let Some(s) = word(action, b"rename") {
        return Keyword::Rename(s.to_vec());
    }
    if let Some(s) = word(action, b"retval") {
        return Keyword::Retval(s.to_vec());
    }
    if let Some(s) = word(action, b"msleep") {
        let ms = crate::runtime::num::int64_auto(s, 0);
        return Keyword::Msleep(u64::try_from(ms).unwrap_or(0));
    }
    Keyword::Target(action.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_need_a_break() {
        assert_eq!(classify(b"returned"), Keyword::Target(b"returned".to_vec()));
        assert_eq!(classify(b"return"), Keyword::Return(false));
        assert_eq!(classify(b"return yes"), Keyword::Return(true));
        assert_eq!(classify(b"return TRUE"), Keyword::Return(false));
        assert_eq!(classify(b"goto my ctx"), Keyword::Goto { ctx: b"my ctx".to_vec(), silent: false });
        assert_eq!(classify(b"jump"), Keyword::Goto { ctx: vec![], silent: false });
        assert_eq!(classify(b"@call x"), Keyword::Include { ctx: b"x".to_vec(), silent: true });
        assert_eq!(classify(b"include/x"), Keyword::Target(b"include/x".to_vec()));
        assert_eq!(classify(b"noopy"), Keyword::Target(b"noopy".to_vec()));
        assert_eq!(classify(b"msleep -5"), Keyword::Msleep(0));
        assert_eq!(classify(b"msleep 0x10"), Keyword::Msleep(16));
        assert_eq!(classify_owned(b"  sip/x \t".to_vec()), Keyword::Target(b"sip/x".to_vec()));
        assert_eq!(classify_owned(b" goto x ".to_vec()), Keyword::Goto { ctx: b"x".to_vec(), silent: false });
        assert_eq!(classify_owned(b" \t".to_vec()), Keyword::Nothing);
        assert_eq!(classify_owned(b"-".to_vec()), Keyword::Target(b"-".to_vec()));
    }
}
