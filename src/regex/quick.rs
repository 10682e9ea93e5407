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
            Quick::Exact(t) => subject == &t[..],
            Quick::Prefix(t) => subject.starts_with(t),
            Quick::Suffix(t) => subject.ends_with(t),
            Quick::Contains(f) => f.find(subject).is_some(),
        }
    }

    /// [`is_match`](Self::is_match) on a subject as glibc reads it, cut at its first
    /// NUL: the literals hold no NUL, so a prefix or `.*` needs no search for one.
    // Always inline: a rule's test is mostly a prefix compare, cheaper than the call.
    #[inline(always)]
    pub fn is_match_c(&self, subject: &[u8]) -> bool {
        match self {
            Quick::Always => true,
            Quick::Prefix(t) => subject.starts_with(t),
            Quick::Exact(t) => subject.starts_with(t) && subject.get(t.len()).map_or(true, |&b| b == 0),
            _ => self.is_match(super::until_nul(subject)),
        }
    }
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
}
