//! Templates: text that gets back-references, `${param}` and `$(function)` substitution.

use crate::runtime::message::ParamName;

use super::plan::Plan;

/// A piece of action text. Most are literal; those are recognised once here so the
/// runtime can skip substitution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// The raw text.
    pub text: Vec<u8>,
    /// No `\`, `${` or `$(`: substitution would return the text unchanged.
    pub literal: bool,
    /// For an assignment piece with literal text: what it does.
    pub assign: Option<Assign>,
    /// Where substitution finds its pieces, for text that has some (see [`Plan`]).
    pub plan: Option<Box<Plan>>,
}

impl Template {
    /// A template from raw text.
    pub fn new(text: &str) -> Template {
        let b = text.as_bytes();
        let literal = !b.contains(&b'\\') && !b.windows(2).any(|w| w == b"${" || w == b"$(");
        let plan = if literal { None } else { Plan::new(b, true).map(Box::new) };
        Template { text: b.to_vec(), literal, assign: None, plan }
    }

    /// Whether the text may call a function (`$(`), the only substitution with
    /// effects beyond its result.
    pub fn calls_functions(&self) -> bool {
        self.text.windows(2).any(|w| w == b"$(")
    }

    /// A function condition's subject: parameter and function passes only.
    pub fn subject(text: &str) -> Template {
        let b = text.as_bytes();
        let literal = !b.windows(2).any(|w| w == b"${" || w == b"$(");
        Template { text: b.to_vec(), literal, assign: None, plan: Plan::new(b, false).map(Box::new) }
    }

    /// An assignment piece; literal ones are split now.
    pub fn assignment(text: &str) -> Template {
        let mut t = Template::new(text);
        if t.literal {
            t.assign = Some(Assign::parse(&t.text));
        }
        t
    }
}

/// What a `;`-piece does once substituted (spec §3.5 phase B step 4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assign {
    /// Empty piece: nothing.
    Nothing,
    /// `name=value`, the name hashed once.
    Set(ParamName, Vec<u8>),
    /// `$name=value`.
    SetGlobal(Vec<u8>, Vec<u8>),
    /// `name`: remove every parameter of that name.
    Clear(Vec<u8>),
    /// `$name`: delete the global.
    ClearGlobal(Vec<u8>),
}

impl Assign {
    /// Interprets a substituted piece.
    pub fn parse(piece: &[u8]) -> Assign {
        let p = trim(piece);
        if p.is_empty() {
            return Assign::Nothing;
        }
        match p.iter().position(|&c| c == b'=') {
            Some(eq) if eq >= 1 => {
                let name = trim(&p[..eq]);
                let value = trim(&p[eq + 1..]).to_vec();
                match name.strip_prefix(b"$") {
                    Some(g) => Assign::SetGlobal(g.to_vec(), value),
                    None => Assign::Set(ParamName::new(name), value),
                }
            }
            _ => match p.strip_prefix(b"$") {
                Some(g) => Assign::ClearGlobal(g.to_vec()),
                None => Assign::Clear(p.to_vec()),
            },
        }
    }
}

/// Trims Yate blanks (space, tab) from both ends.
#[inline]
pub fn trim(s: &[u8]) -> &[u8] {
    let blank = |c: u8| c == b' ' || c == b'\t';
    // Nearly every subject and value starts and ends with a printable byte: two
    // compares settle it (a control byte or a space takes the careful path).
    match (s.first(), s.last()) {
        (Some(&a), Some(&z)) if a > b' ' && z > b' ' => s,
        (Some(&a), Some(&z)) if !blank(a) && !blank(z) => s,
        _ => {
            let start = s.iter().position(|&c| !blank(c)).unwrap_or(s.len());
            let end = s.iter().rposition(|&c| !blank(c)).map_or(start, |e| e + 1);
            &s[start..end.max(start)]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignments() {
        assert_eq!(Assign::parse(b"  a  =  x y  "), Assign::Set(ParamName::new(&b"a"[..]), b"x y".to_vec()));
        assert_eq!(Assign::parse(b"=nokey"), Assign::Clear(b"=nokey".to_vec()));
        assert_eq!(Assign::parse(b"e==eq"), Assign::Set(ParamName::new(&b"e"[..]), b"=eq".to_vec()));
        assert_eq!(Assign::parse(b"$g"), Assign::ClearGlobal(b"g".to_vec()));
        assert_eq!(Assign::parse(b"$g=1"), Assign::SetGlobal(b"g".to_vec(), b"1".to_vec()));
        assert_eq!(Assign::parse(b" \t"), Assign::Nothing);
        assert!(Template::new("a$b").literal);
        assert!(!Template::new("a${b}").literal);
    }
}
