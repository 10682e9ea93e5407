//! Pre-tokenised templates: the pieces the three substitution passes would find.
//!
//! Yate substitutes a template as text in three passes (`\N`, `${param}`, `$(function)`),
//! each scanning the previous one's output, and the function pass restarts from the
//! beginning after every call. A [`Plan`] records, at load time, where those passes
//! would find their pieces, so the compiled engine can build the result in one left to
//! right walk.
//!
//! The walk gives the text passes' result only when inserted values cannot form new
//! syntax. That is a property of the values, checked when they are known
//! ([`DANGEROUS_CAPTURE`], [`DANGEROUS_VALUE`], [`DANGEROUS_RESULT`]); when it does not
//! hold, the runtime falls back to the text passes (before any function ran) or hands
//! its partial result over to them (after). A template whose structure could depend on
//! values in other ways (a back-reference inside `${…}`, a `$` right before a value,
//! an unclosed `${` or `$(`) gets no plan at all.

use crate::runtime::message::ParamName;

/// Bytes that, inside a captured text, could open or close a `${…}` or `$(…)` or split
/// a function's arguments once inserted.
pub const DANGEROUS_CAPTURE: &[u8] = b"${}(),";
/// The same for parameter values (the parameter pass does not re-scan its own
/// insertions, so braces are harmless there).
pub const DANGEROUS_VALUE: &[u8] = b"$(),";
/// Bytes of a function result that make the function pass's restart see something new.
pub const DANGEROUS_RESULT: &[u8] = b"$()";

/// Most value pieces (captures and parameters) a plan holds: the runtime keeps their
/// values in a fixed array while it checks them.
pub const MAX_VALUES: usize = 16;
/// Most function calls a plan holds.
const MAX_FUNCS: usize = 64;

/// One piece of a planned template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Text copied as is.
    Lit(Box<[u8]>),
    /// `\N`.
    Cap(u8),
    /// `${name}` or `${name$default}`.
    Param {
        /// The parameter, hashed once.
        name: ParamName,
        /// What stands for an absent parameter.
        default: Box<[u8]>,
    },
    /// `$(…)`: the pieces of the text between `$(` and the first `)` after it; never
    /// another `Func`.
    Func(Vec<Piece>),
}

/// A template's pieces, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Top-level pieces.
    pub pieces: Vec<Piece>,
}

/// One unit of the symbolic text the passes work on.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Sym {
    Byte(u8),
    Cap(u8),
    /// Index into the parameters found by the second pass.
    Param(usize),
}

impl Plan {
    /// The parameter (and its default) of a plan that is `$(length,${name})` and
    /// nothing else: number-length guards are common enough in dialplans to be
    /// answered without the passes (`runtime::subst::length_of_value`).
    pub fn length_of(&self) -> Option<(&ParamName, &[u8])> {
        let [Piece::Func(inner)] = self.pieces.as_slice() else { return None };
        match inner.as_slice() {
            [Piece::Lit(l), Piece::Param { name, default }] if &**l == b"length," => Some((name, default)),
            _ => None,
        }
    }

    /// The plan of `text`, with the back-reference pass when `backrefs` (action text;
    /// a function condition's subject has no captures). `None` when the text has no
    /// substitution at all or when its structure could depend on inserted values.
    pub fn new(text: &[u8], backrefs: bool) -> Option<Plan> {
        let syms = if backrefs { pass_matches(text) } else { text.iter().map(|&b| Sym::Byte(b)).collect() };
        let (syms, params) = pass_params(syms)?;
        let pieces = pass_functions(&syms, &params)?;
        let values = count_values(&pieces);
        let funcs = pieces.iter().filter(|p| matches!(p, Piece::Func(_))).count();
        if values > MAX_VALUES || funcs > MAX_FUNCS || pieces.iter().all(|p| matches!(p, Piece::Lit(_))) {
            return None;
        }
        Some(Plan { pieces })
    }
}

fn count_values(pieces: &[Piece]) -> usize {
    pieces
        .iter()
        .map(|p| match p {
            Piece::Lit(_) => 0,
            Piece::Cap(_) | Piece::Param { .. } => 1,
            Piece::Func(inner) => count_values(inner),
        })
        .sum()
}

/// Pass 1 as in `subst::replace_matches`, captures left opaque.
fn pass_matches(t: &[u8]) -> Vec<Sym> {
    let mut out = Vec::with_capacity(t.len());
    let mut i = 0;
    while i < t.len() {
        match (t[i], t.get(i + 1)) {
            (b'\\', Some(b'\\')) => out.push(Sym::Byte(b'\\')),
            (b'\\', Some(&d @ b'0'..=b'9')) => out.push(Sym::Cap(d - b'0')),
            (b'\\', Some(&c)) => out.extend([Sym::Byte(b'\\'), Sym::Byte(c)]),
            (b'\\', None) => out.push(Sym::Byte(b'\\')),
            (b, _) => {
                out.push(Sym::Byte(b));
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    out
}

fn find_pair(s: &[Sym], a: u8, b: u8, from: usize) -> Option<usize> {
    (from..s.len().saturating_sub(1)).find(|&i| s[i] == Sym::Byte(a) && s[i + 1] == Sym::Byte(b))
}

fn find_sym(s: &[Sym], b: u8, from: usize) -> Option<usize> {
    (from..s.len()).find(|&i| s[i] == Sym::Byte(b))
}

fn bytes_of(s: &[Sym]) -> Option<Vec<u8>> {
    s.iter().map(|x| if let Sym::Byte(b) = x { Some(*b) } else { None }).collect()
}

/// Whether a `$` sits right before a value: an empty value would join it to what
/// follows (`$\1{x}` is `${x}` when `\1` is empty).
fn dollar_before_value(s: &[Sym]) -> bool {
    s.windows(2).any(|w| w[0] == Sym::Byte(b'$') && !matches!(w[1], Sym::Byte(_)))
}

/// Pass 2 as in `subst::replace_params`; parameters become opaque symbols.
fn pass_params(mut s: Vec<Sym>) -> Option<(Vec<Sym>, Vec<Piece>)> {
    if dollar_before_value(&s) {
        return None;
    }
    let mut params = Vec::new();
    let mut from = 0;
    while let Some(p1) = find_pair(&s, b'$', b'{', from) {
        // An unclosed `${` leaves the rest literal: rare enough to leave to the text passes.
        let p2 = find_sym(&s, b'}', p1 + 2)?;
        // A capture inside the braces would be part of the name.
        let inner = bytes_of(&s[p1 + 2..p2])?;
        let inner = crate::runtime::subst::trim_blanks(&inner);
        let (name, default) = match inner.iter().position(|&b| b == b'$') {
            Some(p) => {
                (crate::runtime::subst::trim_blanks(&inner[..p]), crate::runtime::subst::trim_blanks(&inner[p + 1..]))
            }
            None => (inner, &[][..]),
        };
        if default.iter().any(|b| DANGEROUS_VALUE.contains(b)) {
            return None;
        }
        params.push(Piece::Param { name: ParamName::new(name), default: default.into() });
        s.splice(p1..=p2, [Sym::Param(params.len() - 1)]);
        from = p1 + 1;
    }
    if dollar_before_value(&s) {
        return None;
    }
    Some((s, params))
}

/// Pieces of a symbol run without functions.
fn pieces_of(s: &[Sym], params: &[Piece], out: &mut Vec<Piece>) {
    let mut lit = Vec::new();
    let flush = |lit: &mut Vec<u8>, out: &mut Vec<Piece>| {
        if !lit.is_empty() {
            out.push(Piece::Lit(std::mem::take(lit).into()));
        }
    };
    for sym in s {
        match *sym {
            Sym::Byte(b) => lit.push(b),
            Sym::Cap(n) => {
                flush(&mut lit, out);
                out.push(Piece::Cap(n));
            }
            Sym::Param(i) => {
                flush(&mut lit, out);
                if let Some(p) = params.get(i) {
                    out.push(p.clone());
                }
            }
        }
    }
    flush(&mut lit, out);
}

/// Pass 3 as in `subst::eval_functions`: with results that bring no `$`, `(` or `)`,
/// its restart from the beginning finds the next `$(` after the last `)`.
fn pass_functions(s: &[Sym], params: &[Piece]) -> Option<Vec<Piece>> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(p1) = find_pair(s, b'$', b'(', at) {
        // An empty result after a `$` would join it to a following `(`.
        if p1 > at && s[p1 - 1] == Sym::Byte(b'$') {
            return None;
        }
        // Unmatched: the text passes log it.
        let p2 = find_sym(s, b')', p1 + 2)?;
        pieces_of(&s[at..p1], params, &mut out);
        let mut inner = Vec::new();
        pieces_of(&s[p1 + 2..p2], params, &mut inner);
        out.push(Piece::Func(inner));
        at = p2 + 1;
    }
    pieces_of(&s[at..], params, &mut out);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str) -> Piece {
        Piece::Lit(s.as_bytes().into())
    }

    fn param(n: &str, d: &str) -> Piece {
        Piece::Param { name: ParamName::new(n.as_bytes()), default: d.as_bytes().into() }
    }

    fn plan(s: &str) -> Option<Vec<Piece>> {
        Plan::new(s.as_bytes(), true).map(|p| p.pieces)
    }

    #[test]
    fn pieces_in_order() {
        assert_eq!(plan("sip/sip:\\1@gw.example"), Some(vec![lit("sip/sip:"), Piece::Cap(1), lit("@gw.example")]));
        assert_eq!(plan("x${ a $ b c }y\\\\"), Some(vec![lit("x"), param("a", "b c"), lit("y\\")]));
        assert_eq!(plan("$(length,${called})"), Some(vec![Piece::Func(vec![lit("length,"), param("called", "")])]));
        assert_eq!(
            plan("a$(x)b$(y,\\2)"),
            Some(vec![lit("a"), Piece::Func(vec![lit("x")]), lit("b"), Piece::Func(vec![lit("y,"), Piece::Cap(2)])])
        );
        // The first `)` closes, as in the text pass: the inner `$(` is argument text.
        assert_eq!(plan("$(a,$(b))"), Some(vec![Piece::Func(vec![lit("a,$(b")]), lit(")")]));
        assert_eq!(plan("\\q\\"), None, "no substitution: the literal path");
    }

    #[test]
    fn structures_that_depend_on_values_get_no_plan() {
        assert_eq!(plan("${a\\1}"), None);
        assert_eq!(plan("$\\1{x}"), None);
        assert_eq!(plan("$${x}(y)"), None);
        assert_eq!(plan("$$(upper,)(x)"), None);
        assert_eq!(plan("a${b"), None);
        assert_eq!(plan("a$(b"), None);
        assert_eq!(plan("${x$a,b}"), None);
        assert!(Plan::new(b"$(length,${called})", false).is_some());
        assert_eq!(Plan::new(b"\\1", false), None, "no back-references in a subject");
    }
}
