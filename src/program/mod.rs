//! The decision program: each context as a flat list of steps, where runs of rules
//! that only test subjects are searched through prefix tries instead of one by one.
//!
//! [`compile`] lowers an [`Ir`](crate::ir::Ir) into a [`Program`]. The interpreter
//! (`runtime::vm`) still executes every matching rule exactly as the reference engine
//! does; the program only decides, without evaluating them, which rules cannot match,
//! and keeps the common actions of a run's rules packed beside it ([`Acts`]), so that
//! the rule that routes is read from one record rather than from the IR.
//! A rule is skipped only when that is provable: its key condition tests a subject
//! that has no side effects (the match string, a parameter, a function of neither)
//! and its regex is anchored on a literal prefix the subject does not start with.

mod check;
mod compile;
mod disasm;
mod index;
mod pack;

pub use check::{Check, CheckSubject};
pub use compile::compile;
pub use index::{Ahead, Index, SubjectKey};
pub use pack::{Act, Acts, First, Piece, Set};

use crate::regex::PrefixTail;
use crate::source::Span;

/// Index of a step in [`Code::steps`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StepId(pub u32);

/// Index of a rule in its IR context (`ir::Context::rules`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleId(pub u32);

/// A compiled configuration: one [`Code`] per IR context, same order.
#[derive(Debug, Default)]
pub struct Program {
    /// Per context.
    pub contexts: Vec<Code>,
}

/// One context's steps.
#[derive(Debug, Default)]
pub struct Code {
    /// In order.
    pub steps: Vec<Instr>,
    /// Where each step's first rule is written (for `debug program`).
    pub spans: Vec<Span>,
    /// Per rule of the context, what the VM reads of it instead of the IR when it can.
    pub rules: Vec<Fast>,
    /// The packed actions of the context's rules (see [`Fast::act`]), in rule order.
    pub acts: Acts,
    /// The step of the run whose trie the lines before it walk ahead of its search
    /// ([`Index::ahead`]): the first run with a large match-string trie.
    pub ahead: Option<u32>,
}

/// A rule's condition and action in the forms the VM reads first.
#[derive(Debug, Default)]
pub struct Fast {
    /// Its condition as a byte compare, when it is one.
    pub check: Option<Check>,
    /// Where its action is packed in [`Code::acts`], plus one; 0 when it is not.
    pub act: u32,
    /// When its action only assigns literal values (no target, no keyword), those
    /// assignments, read as they are: the walk applies them and goes on. (Packed too,
    /// but a line of a context's preamble runs for every message, and reading these
    /// costs nothing to decode.)
    pub sets: Option<Box<[crate::ir::Assign]>>,
    /// When the rule opens a block chain of the simple form, its layout.
    pub shape: Option<Box<Shape>>,
}

/// A block chain whose every body is plain lines: `cond={`, lines, then any number of
/// `} cond={` or `}={` alternatives with their lines, then `}`. Walked branch by
/// branch: once one runs, nothing after it is read.
#[derive(Debug)]
pub struct Shape {
    /// Each alternative: the opening line, then its body's lines.
    pub branches: Vec<Branch>,
    /// The final `}` line.
    pub close: RuleId,
    /// Whether that line is a bare `}` (nothing to evaluate when no branch ran).
    pub close_noop: bool,
}

/// One alternative of a [`Shape`].
#[derive(Debug, Clone, Copy)]
pub struct Branch {
    /// The line whose action is `{`.
    pub opener: RuleId,
    /// One past the body's last line (the body starts after the opener).
    pub end: RuleId,
}

/// One step of a context.
#[derive(Debug)]
pub enum Instr {
    /// Evaluate one line that opens or closes a block outside a balanced chain (a
    /// stray `}`, a `{` never closed) as the reference engine does.
    Rule(RuleId),
    /// Rules `start..end`, none of which opens or closes a block, evaluated one by one
    /// as the reference engine does (a context's leading guards, a rule whose
    /// conditions have side effects), in one loop.
    Rules {
        /// The first.
        start: RuleId,
        /// One past the last.
        end: RuleId,
    },
    /// Walk a balanced block chain `start..end` as the reference engine does (one
    /// that every search would name anyway).
    Chain {
        /// The opener.
        start: RuleId,
        /// One past the last rule.
        end: RuleId,
    },
    /// Items whose conditions are free of side effects: only the items the index
    /// names as candidates are evaluated, in file order.
    Run {
        /// The items, in file order, each with what the search needs of it; the
        /// index gives positions in this list.
        items: Vec<Entry>,
        /// Candidate finder.
        index: Index,
    },
}

/// An item of a run with its flags and, when it is short enough, its packed action,
/// side by side in one cache line: a candidate that routes then costs one read from
/// memory, not a read of the entry and then one of the record it names.
#[derive(Debug, Clone, Copy)]
#[repr(align(64))]
pub struct Entry {
    /// The rule or block chain.
    pub item: Item,
    /// Whether its actions can change a subject of the index, so that the candidates
    /// must be checked again after it.
    pub touches: bool,
    /// How its match follows from being a candidate, when it does.
    pub proof: Option<Proof>,
    /// Where its action is packed in [`Code::acts`], plus one; 0 when it is not.
    pub act: u32,
    /// A copy of that record, when it fits in the rest of the line (the candidate that
    /// routes then reads no other table).
    pub inline: Inline,
}

/// Bytes an [`Entry`] holds of its record.
const INLINE: usize = 39;

// One cache line: the point of the copy.
const _: () = assert!(std::mem::size_of::<Entry>() == 64);

/// A packed record kept in an [`Entry`] (see [`Acts::record`]).
#[derive(Debug, Clone, Copy)]
pub struct Inline {
    len: u8,
    bytes: [u8; INLINE],
}

impl Inline {
    /// None held.
    pub const NONE: Inline = Inline { len: 0, bytes: [0; INLINE] };

    /// A copy of `record`, when it fits.
    pub fn of(record: &[u8]) -> Inline {
        let mut bytes = [0u8; INLINE];
        match (bytes.get_mut(..record.len()), u8::try_from(record.len())) {
            (Some(room), Ok(len)) => {
                room.copy_from_slice(record);
                Inline { len, bytes }
            }
            _ => Inline::NONE,
        }
    }

    /// The record, when one is held.
    #[inline(always)]
    pub fn get(&self) -> Option<&[u8]> {
        self.bytes.get(..usize::from(self.len)).filter(|b| !b.is_empty())
    }
}

/// A rule of a run whose only condition is a [`PrefixTail`] pattern on a subject of
/// the index: when the index names it, the subject starts with the pattern's literal
/// prefix, and the match and its groups follow from the lengths (and, after a
/// `[0-9]*`, from which bytes after the prefix are digits). The rule's
/// regex is then never consulted (it is valid: the form is plain literals, groups,
/// `.*`, `[0-9]*` and anchors, which glibc always compiles).
#[derive(Debug, Clone, Copy)]
pub struct Proof {
    /// Position of the subject among the index's keys. (Two bytes, as the prefix's
    /// length: they leave the entry's line room for its record; a rule past either
    /// bound gets no proof and is evaluated.)
    pub key: u16,
    /// Length of the literal prefix.
    pub prefix: u16,
    /// What follows the prefix.
    pub tail: PrefixTail,
    /// Whether the action reads captures.
    pub needs_caps: bool,
}

/// An entry of a [`Instr::Run`].
#[derive(Debug, Clone, Copy)]
pub enum Item {
    /// A rule that neither opens nor closes a block.
    Rule(RuleId),
    /// A balanced block chain `start..end` (opener, bodies, `} ... {` alternatives,
    /// final `}`) at the top level of the context. It is a candidate when one of the
    /// lines evaluated while no branch runs could match; otherwise it can have no
    /// effect and is skipped whole.
    Chain {
        /// First rule (the opener).
        start: RuleId,
        /// One past the last rule.
        end: RuleId,
    },
}
