//! The rule AST: every line of every section as Yate will read it, losslessly.
//!
//! Each node keeps the exact text it came from, so printing the tree gives back the
//! key and value character for character (see `print.rs`). Offsets are byte ranges
//! into the entry's key or value; [`Rule::span_of`] turns them into file spans.

use crate::ini::Entry;
use crate::source::Span;
use std::ops::Range;

/// A whole configuration as rules: one [`Context`] per section.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ast {
    /// Sections in load order; every section can be a routing context.
    pub contexts: Vec<Context>,
}

/// One section's rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    /// The section name.
    pub name: String,
    /// Header spans (a section may be opened several times).
    pub headers: Vec<Span>,
    /// Its lines, in order.
    pub rules: Vec<Rule>,
}

/// One rule line: `[}] COND = [if|and|or COND =]... ACTION`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// The INI entry (key, value and their spans).
    pub entry: Entry,
    /// A leading `}` and the blanks after it: this line closes a block.
    pub close: Option<String>,
    /// The key's condition (after the `}`, if any).
    pub cond: Cond,
    /// `if`/`and`/`or` links of the value, in order.
    pub links: Vec<Link>,
    /// A connector with no `=` after it (`if noequals`): the line can never match
    /// once evaluation reaches it.
    pub broken: Option<BrokenLink>,
    /// What the line does when it matches (absent when `broken` is set).
    pub action: Option<Action>,
    /// Whether the raw value opens a block (`^(.*=[[:space:]]*)?{$`), which Yate
    /// checks on every line, matching or not.
    pub opens_block: bool,
}

/// Where a node's text lies: in the key or in the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The entry's key.
    Key,
    /// The entry's value.
    Value,
}

/// A condition: a regex over the match string, a parameter or a function result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cond {
    /// The condition's raw text.
    pub text: String,
    /// Where `text` lies.
    pub side: Side,
    /// Byte range of `text` in the key or value.
    pub range: Range<usize>,
    /// Which form it has.
    pub kind: CondKind,
    /// The regex part of `text`, as a range relative to `text` (may be empty).
    pub regex: Range<usize>,
    /// The regex ends with `^` (then blanks): written as negated. For `${p}^` and
    /// `$(f)^` the IR reads it as "negate the default rule" (spec §3.3).
    pub negated: bool,
}

impl Cond {
    /// The regex text as written (untrimmed).
    pub fn regex_text(&self) -> &str {
        self.text.get(self.regex.clone()).unwrap_or("")
    }
}

/// The form of a condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CondKind {
    /// A regex over the match string.
    Plain,
    /// `${inner}REGEX`; `inner` is the raw text between the braces.
    Param {
        /// Text between `${` and the first `}`.
        inner: String,
    },
    /// `$(inner)REGEX`; `inner` is the raw text between the parentheses.
    Func {
        /// Text between `$(` and the first `)`.
        inner: String,
    },
    /// `${...` with no `}`: never matches.
    UnclosedParam,
    /// `$(...` with no `)`: never matches.
    UnclosedFunc,
}

/// A chain connector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connector {
    /// `if`
    If,
    /// `and` (the same as `if`)
    And,
    /// `or`
    Or,
}

/// `CONNECTOR COND =` in a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The connector.
    pub conn: Connector,
    /// Whitespace after the connector.
    pub gap: String,
    /// The condition (untrimmed text up to the `=`).
    pub cond: Cond,
    /// Blanks after the `=`.
    pub trail: String,
}

/// A connector with no `=` in the rest of the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenLink {
    /// The connector.
    pub conn: Connector,
    /// Everything after the connector word.
    pub rest: String,
    /// Byte range in the value.
    pub range: Range<usize>,
}

/// A `;`-separated piece of an action, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    /// Raw text.
    pub text: String,
    /// Byte range in the value.
    pub range: Range<usize>,
}

impl Piece {
    /// The piece's template tokens, as written. Substitution rescans captured and
    /// inserted text at run time (spec §4.1), so this is the static view only.
    pub fn segments(&self) -> Vec<Segment> {
        super::parse::template(&self.text)
    }
}

/// A token of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// Literal text.
    Text(String),
    /// `\N`: capture N.
    Backref(u8),
    /// `\c` other than a digit (`\\` is one backslash; others stay as written).
    Escape(String),
    /// `${...}`: the raw text between the braces.
    Param(String),
    /// `$(...)`: the raw text between the parentheses.
    Func(String),
}

/// What a matching line does. Words Yate recognises before substitution get their own
/// variants; everything else is `Plain`, whose first piece is interpreted only after
/// substitution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// `echo TEXT` / `output TEXT`: printed after substitution, no `;` split.
    Echo {
        /// The word as written (`echo` or `output`).
        word: String,
        /// Whitespace after it.
        gap: String,
        /// The text.
        text: Piece,
    },
    /// `debug [LEVEL] TEXT`.
    Debug {
        /// Whitespace after `debug`.
        gap: String,
        /// The level word and the whitespace after it, if an integer follows.
        level: Option<(String, String)>,
        /// The text.
        text: Piece,
    },
    /// A value that is exactly `{`.
    Block,
    /// `dispatch NAME;...` / `enqueue NAME;...`.
    Message {
        /// `true` for enqueue.
        enqueue: bool,
        /// Whitespace after the word.
        gap: String,
        /// The pieces; the first is the message name.
        pieces: Vec<Piece>,
    },
    /// `TARGET;name=value;...`, including keywords known only after substitution.
    Plain {
        /// The pieces; the first is the action string.
        pieces: Vec<Piece>,
    },
}

impl Rule {
    /// The file span of a node range.
    pub fn span_of(&self, side: Side, range: Range<usize>) -> Span {
        match side {
            Side::Key => self.entry.key_span.sub(range.start, range.end),
            Side::Value => self.entry.value_span(range.start, range.end),
        }
    }

    /// The file span of a condition's regex.
    pub fn regex_span(&self, cond: &Cond) -> Span {
        let r = cond.range.start + cond.regex.start..cond.range.start + cond.regex.end;
        self.span_of(cond.side, r)
    }

    /// All conditions of the line: the key's, then each link's.
    pub fn conds(&self) -> impl Iterator<Item = &Cond> {
        std::iter::once(&self.cond).chain(self.links.iter().map(|l| &l.cond))
    }
}
