//! Checks: a rule's one condition, when it compares text, in a form answered without the IR.
//!
//! Guards and block openers are mostly `${param}^literal`, `^text$`, `g729` or `.*`
//! on a parameter or the match string. Answered from the IR, each costs reads of the
//! rule, its condition, the regex table and the compiled regex before the one compare
//! that decides; a check holds the subject's name and the compare side by side.

use crate::ir::{self, Matcher, RegexId, Subject};
use crate::regex::Quick;
use crate::runtime::message::{Message, ParamName};

/// A single condition answered from a few fields.
#[derive(Debug)]
pub struct Check {
    /// What is compared.
    pub subject: CheckSubject,
    /// How.
    pub test: CheckTest,
    /// The regex was followed by `^`.
    pub negated: bool,
}

/// The subject of a [`Check`].
#[derive(Debug)]
pub enum CheckSubject {
    /// The match string.
    MatchString,
    /// A parameter, with the text used when it is absent.
    Param(ParamName, Box<[u8]>),
    /// `$(length,${name})`: the length of a parameter's value, with its default.
    Length(ParamName, Box<[u8]>),
}

/// The test of a [`Check`].
#[derive(Debug)]
pub enum CheckTest {
    /// The regex's own quick form: a byte compare.
    Quick(Quick),
    /// The regex itself, yes or no.
    Regex(RegexId),
    /// The regex on a length below 256: the answers for each, one bit each, read
    /// when the rule is compiled (a length check runs for every message).
    Lengths(RegexId, [u64; 4]),
}

impl Check {
    /// The check of `rule`, when its only condition is on the match string, a
    /// parameter or a parameter's length and its action reads no captures (or the
    /// condition is negated, so that there are none).
    pub fn of(ir: &ir::Ir, rule: &ir::Rule) -> Option<Check> {
        let c = &rule.cond;
        if !rule.links.is_empty() || rule.broken.is_some() || (rule.needs_caps && !c.negated) {
            return None;
        }
        let Matcher::Regex(id) = c.matcher else { return None };
        let e = ir.regexes.get(id)?;
        let subject = match &c.subject {
            Subject::MatchString => CheckSubject::MatchString,
            Subject::Param { name, default } => CheckSubject::Param(name.clone(), default.clone().into_boxed_slice()),
            Subject::Func(t) => {
                let (name, default) = t.plan.as_deref()?.length_of()?;
                CheckSubject::Length(name.clone(), default.to_vec().into_boxed_slice())
            }
        };
        // glibc refuses the empty pattern; every other pattern of plain literals and
        // anchors compiles, and is then answered by this same quick form.
        let quick = match subject {
            CheckSubject::Length(..) => None,
            _ if e.pattern.is_empty() => None,
            _ => crate::regex::parse(&e.pattern, e.flags).ok().and_then(|ast| Quick::of(&ast)),
        };
        let test = match (&subject, quick) {
            (_, Some(q)) => CheckTest::Quick(q),
            (CheckSubject::Length(..), None) => match e.compiled() {
                Ok(re) => CheckTest::Lengths(id, *re.numbers()),
                Err(_) => CheckTest::Regex(id),
            },
            (_, None) => CheckTest::Regex(id),
        };
        Some(Check { subject, test, negated: c.negated })
    }

    /// Whether the condition holds, for match string `ms`; `None` when the reference
    /// path must answer (a regex glibc refused, whose failure is logged there; a
    /// length whose substitution is not plain).
    // Always inline: in a loop over guards the call's frame costs as much as the check.
    #[inline(always)]
    pub fn holds(&self, ms: &[u8], msg: &Message, ir: &ir::Ir) -> Option<bool> {
        let subject = match &self.subject {
            CheckSubject::MatchString => ms,
            CheckSubject::Param(name, default) => msg.get_named(name).unwrap_or(default),
            CheckSubject::Length(name, default) => return self.length(msg.get_named(name).unwrap_or(default), ir),
        };
        let subject = ir::template_trim(subject);
        let hit = match &self.test {
            CheckTest::Quick(q) => q.is_match_c(subject),
            CheckTest::Regex(id) | CheckTest::Lengths(id, _) => {
                ir.regexes.get(*id)?.compiled().as_ref().ok()?.is_match(subject)
            }
        };
        Some(hit != self.negated)
    }

    /// [`holds`](Self::holds) for a length subject whose parameter reads `value`.
    #[inline(never)]
    fn length(&self, value: &[u8], ir: &ir::Ir) -> Option<bool> {
        let n = crate::runtime::subst::length_of_value(value)?;
        let hit = match &self.test {
            CheckTest::Lengths(_, bits) if n < 256 => bits.get(n / 64).is_some_and(|w| w >> (n % 64) & 1 == 1),
            CheckTest::Lengths(id, _) | CheckTest::Regex(id) => {
                ir.regexes.get(*id)?.compiled().as_ref().ok()?.matches_number(n)
            }
            CheckTest::Quick(_) => return None,
        };
        Some(hit != self.negated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first_rule(text: &str) -> (ir::Ir, ir::Rule) {
        let doc = crate::ini::load_str("t.conf", text, &crate::ini::LoadOptions::default());
        let ir = crate::ir::lower(&doc, &crate::syntax::parse(&doc));
        let Some(r) = ir.contexts.first().and_then(|c| c.rules.first()).cloned() else { panic!("no rule") };
        (ir, r)
    }

    /// Which lines get a check: one text compare, no captures read.
    #[test]
    fn only_plain_single_conditions_get_a_check() {
        let with = |line: &str| {
            let (ir, r) = first_rule(&format!("[c]\n{line}\n"));
            Check::of(&ir, &r).is_some()
        };
        assert!(with("${module}^sip$=;a=1"));
        assert!(with("${sip_user-agent}^Grandstream=-"));
        assert!(with("${formats}g729=;formats=g729"));
        assert!(with(".*=;tonedetect_in=true"));
        assert!(with("${username}^$^=goto x"), "negated");
        assert!(with(r"^0049$^=sip/\0"), "negated: no captures");
        assert!(!with(r"^00\(.*\)$=sip/\1"), "reads a capture");
        assert!(with("^0[1-9]=-"), "a regex");
        assert!(with(r"$(length,${called})^\(1[6-9]\|[2-9][0-9]\)$=-"), "a length");
        assert!(!with("$(upper,${called})^1$=-"), "another function");
        assert!(!with("${a}^x$=if ${b}^y$=-"), "not alone");
        assert!(!with("${a}^x$=or ${b}^y$=-"), "not alone");
    }

    /// A check answers as the regex does, with the subject trimmed and cut at a NUL.
    #[test]
    fn checks_answer_as_the_regex() {
        let cases: [(&str, &[u8], bool); 9] = [
            ("${m}^sip$=-", b"sip", true),
            ("${m}^sip$=-", b" sip\t", true),
            ("${m}^sip$=-", b"sips", false),
            ("${m}^sip$=-", b"sip\0x", true),
            ("${f}g729=-", b"alaw,g729", true),
            ("${f}g729=-", b"alaw\0g729", false),
            ("${f}g729^=-", b"alaw", true),
            ("${u}^$=-", b"", true),
            ("${u}^$=-", b"u1", false),
        ];
        for (line, value, want) in cases {
            let (ir, r) = first_rule(&format!("[c]\n{line}\n"));
            let Some(check) = Check::of(&ir, &r) else { panic!("{line}: no check") };
            let mut msg = Message::new("call.route");
            if let Some(Subject::Param { name, .. }) = Some(&r.cond.subject) {
                msg.set(name.as_bytes(), value);
            }
            assert_eq!(check.holds(b"", &msg, &ir), Some(want), "{line} on {value:?}");
        }
        let (ir, r) = first_rule("[c]\n${absent}^$=-\n");
        let Some(check) = Check::of(&ir, &r) else { panic!("no check") };
        assert_eq!(check.holds(b"", &Message::new("x"), &ir), Some(true), "an absent parameter is its default, empty");
    }

    /// A length check reads its answers below 256 from the table made when it was
    /// compiled, and asks the regex above: both as the regex answers the length's digits.
    #[test]
    fn length_checks_answer_as_the_regex_on_the_digits() {
        for line in [r"$(length,${called})^\(1[6-9]\|[2-9][0-9]\)$=-", r"$(length,${called})^2..$^=-"] {
            let (ir, r) = first_rule(&format!("[c]\n{line}\n"));
            let Some(check) = Check::of(&ir, &r) else { panic!("{line}: no check") };
            assert!(matches!(check.test, CheckTest::Lengths(..)), "{line}: a table");
            let Some(re) = ir.regexes.get(match check.test {
                CheckTest::Lengths(id, _) | CheckTest::Regex(id) => id,
                CheckTest::Quick(_) => panic!("{line}: quick"),
            }) else {
                panic!("no regex")
            };
            let Ok(re) = re.compiled() else { panic!("{line}: does not compile") };
            for n in [0usize, 9, 15, 16, 19, 20, 99, 100, 199, 200, 255, 256, 299, 300] {
                let mut msg = Message::new("call.route");
                msg.set(b"called", "7".repeat(n).as_bytes());
                let want = re.is_match(n.to_string().as_bytes()) != check.negated;
                assert_eq!(check.holds(b"", &msg, &ir), Some(want), "{line} on a length of {n}");
            }
        }
    }
}
