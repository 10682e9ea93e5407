//! Translation to the `regex` crate for a fast "does it match at all" test.
//!
//! POSIX picks the leftmost-longest match and the `regex` crate the leftmost-first
//! one, but both find a match exactly when some substring of the subject is in the
//! pattern's language. So a translation that keeps the language (bytes, C locale,
//! `.` and negated brackets matching newline, `^`/`$` only at the subject's ends,
//! ASCII case folding) answers "matched or not" exactly like glibc. Capture positions
//! must still come from glibc.

use std::fmt::Write;

use super::byteset::ByteSet;
use super::posix::Flags;
use super::syntax::{parse, Assertion, Ast, Node};

/// Counted repetitions above this are left to glibc: the `regex` crate would
/// unroll them into very large programs.
const MAX_COUNT: u32 = 1000;

/// Why a pattern has no fast-path translation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Untranslatable {
    /// The pattern does not parse (glibc rejects it too, or it nests too deeply).
    Invalid,
    /// It refers back to a group: no regular language.
    Backref,
    /// It uses `[.x.]` or `[=x=]`, which depend on the locale.
    Collating,
    /// A counted repetition is too large.
    LargeCount,
    /// A `^` that may follow a newline, or a `$` that may precede one: glibc's DFA
    /// then lets it match next to that newline, which the `regex` crate cannot express.
    NewlineAnchor,
    /// An assertion inside a repetition: glibc mishandles those (ERE `(^a)+` does not
    /// match "aa", `(\ba)+` matches all of "aa"), so only glibc can answer.
    RepeatedAssertion,
}

/// Translates `pattern` into `regex::bytes::Regex` syntax that matches (somewhere in)
/// exactly the subjects glibc's `regexec` matches, or `None` if that cannot be assured.
///
/// Subjects must be cut at their first NUL before matching, as glibc sees them.
pub fn translate(pattern: &[u8], flags: Flags) -> Option<String> {
    translate_checked(pattern, flags).ok()
}

/// Like [`translate`], but says why there is no translation.
pub fn translate_checked(pattern: &[u8], flags: Flags) -> Result<String, Untranslatable> {
    let ast = parse(pattern, flags).map_err(|_| Untranslatable::Invalid)?;
    translate_ast(&ast)
}

/// Translates an already parsed pattern; see [`translate`].
pub fn translate_ast(ast: &Ast) -> Result<String, Untranslatable> {
    if ast.collating {
        return Err(Untranslatable::Collating);
    }
    check_anchors(&ast.root, false, false)?;
    // `s`: `.` matches `\n`; no `m`: `^`/`$` are not emitted anyway; `-u`: bytes, ASCII.
    let mut out = String::from("(?s-u)");
    emit(&ast.root, &mut out)?;
    Ok(out)
}

/// Whether `pattern` has a fast-path translation.
pub fn is_translatable(pattern: &[u8], flags: Flags) -> bool {
    translate_checked(pattern, flags).is_ok()
}

/// Appends `node` as a self-contained item (safe to concatenate or repeat).
fn emit(node: &Node, out: &mut String) -> Result<(), Untranslatable> {
    match node {
        Node::Empty => out.push_str("(?:)"),
        Node::Literal(b) => push_byte(*b, out),
        Node::Class(set) => push_class(set, out),
        Node::Any => out.push('.'),
        Node::Assert(a) => out.push_str(assertion(*a)),
        Node::Group { node, .. } => emit_grouped(node, out)?,
        Node::Concat(items) => {
            out.push_str("(?:");
            for item in items {
                emit(item, out)?;
            }
            out.push(')');
        }
        Node::Alternate(alts) => {
            out.push_str("(?:");
            for (i, alt) in alts.iter().enumerate() {
                if i > 0 {
                    out.push('|');
                }
                emit(alt, out)?;
            }
            out.push(')');
        }
        Node::Repeat { node, min, max } => {
            if *min > MAX_COUNT || max.is_some_and(|m| m > MAX_COUNT) {
                return Err(Untranslatable::LargeCount);
            }
            emit_grouped(node, out)?;
            // `write!` to a String cannot fail.
            let _ = match max {
                None => write!(out, "{{{min},}}"),
                Some(max) => write!(out, "{{{min},{max}}}"),
            };
        }
        Node::Backref(_) => return Err(Untranslatable::Backref),
    }
    Ok(())
}

/// Refuses `^` where a newline-eating node may come before it, and `$` where one may
/// come after it. `before`/`after` tell whether such a node may precede/follow `node`.
///
/// glibc's DFA (`group_nodes_into_DFAstates`, `build_trtable`) treats a consumed `\n`
/// as a line boundary even without `REG_NEWLINE`: ERE `.^` and `$.` match "\n".
fn check_anchors(node: &Node, before: bool, after: bool) -> Result<(), Untranslatable> {
    match node {
        Node::Assert(Assertion::LineStart) if before => Err(Untranslatable::NewlineAnchor),
        Node::Assert(Assertion::LineEnd) if after => Err(Untranslatable::NewlineAnchor),
        Node::Group { node, .. } => check_anchors(node, before, after),
        Node::Repeat { node, .. } if node.any(&|n| matches!(n, Node::Assert(_))) => {
            Err(Untranslatable::RepeatedAssertion)
        }
        Node::Repeat { node, max, .. } => {
            // Each iteration may follow and precede another one.
            let again = max != &Some(1) && eats_newline(node);
            check_anchors(node, before || again, after || again)
        }
        Node::Alternate(alts) => alts.iter().try_for_each(|alt| check_anchors(alt, before, after)),
        Node::Concat(items) => {
            let eats: Vec<bool> = items.iter().map(eats_newline).collect();
            // How many newline eaters come after each item, to stay linear.
            let mut later = eats.iter().filter(|&&e| e).count();
            let mut earlier = false;
            for (item, eats) in items.iter().zip(eats) {
                later -= usize::from(eats);
                check_anchors(item, before || earlier, after || later > 0)?;
                earlier |= eats;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Whether some node in `node` may consume a `\n`.
fn eats_newline(node: &Node) -> bool {
    node.any(&|n| match n {
        Node::Any | Node::Backref(_) => true,
        Node::Literal(b) => *b == b'\n',
        Node::Class(set) => set.contains(b'\n'),
        _ => false,
    })
}

fn emit_grouped(node: &Node, out: &mut String) -> Result<(), Untranslatable> {
    out.push_str("(?:");
    emit(node, out)?;
    out.push(')');
    Ok(())
}

fn assertion(a: Assertion) -> &'static str {
    match a {
        Assertion::LineStart | Assertion::BufStart => r"\A",
        Assertion::LineEnd | Assertion::BufEnd => r"\z",
        Assertion::WordStart => r"\b{start}",
        Assertion::WordEnd => r"\b{end}",
        Assertion::WordBoundary => r"\b",
        Assertion::NotWordBoundary => r"\B",
    }
}

/// Alphanumerics as themselves (readable), every other byte as `\xHH` (never special).
fn push_byte(b: u8, out: &mut String) {
    if b.is_ascii_alphanumeric() {
        out.push(char::from(b));
    } else {
        let _ = write!(out, r"\x{b:02X}");
    }
}

fn push_class(set: &ByteSet, out: &mut String) {
    if let Some(b) = set.single() {
        return push_byte(b, out);
    }
    if set.is_empty() {
        // The `regex` crate accepts an empty class; it never matches.
        out.push_str(r"[^\x00-\xFF]");
        return;
    }
    out.push('[');
    for (lo, hi) in set.ranges() {
        push_byte(lo, out);
        if hi != lo {
            out.push('-');
            push_byte(hi, out);
        }
    }
    out.push(']');
}

#[cfg(test)]
#[path = "translate_tests.rs"]
mod tests;
