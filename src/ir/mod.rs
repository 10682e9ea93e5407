//! The checked IR: contexts with resolved targets, conditions with compiled regexes.
//!
//! [`lower`] turns the lossless [`crate::syntax::Ast`] into an [`Ir`] that holds only
//! what routing needs, every decision Yate makes at load time already taken:
//! `[priorities]` read, `[extra]` handlers built, default rules and negation applied,
//! regexes compiled once (an invalid one becomes a matcher that never matches).

mod keyword;
mod lower;
pub mod plan;
mod print;
mod regexes;
mod settings;
mod template;

pub use keyword::{classify, classify_owned, may_be_keyword, Keyword};
pub use lower::lower;
pub use regexes::{RegexEntry, RegexId, RegexTable};
pub use settings::{read_extras, Extra, Filter, Settings, KNOWN_KEYS, STOCK_DEFAULT_RULE};
pub use template::{trim as template_trim, Assign, Template};

use crate::source::{SourceMap, Span};
use std::collections::HashMap;

/// Index of a context in [`Ir::contexts`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContextId(pub u32);

/// A loaded, checked routing configuration.
#[derive(Debug, Default)]
pub struct Ir {
    /// Every section as a context.
    pub contexts: Vec<Context>,
    /// Context lookup by name (bytes: a `goto` target is message text).
    pub by_name: HashMap<Vec<u8>, ContextId, foldhash::fast::RandomState>,
    /// `[priorities]`.
    pub settings: Settings,
    /// `[$once]` entries in order.
    pub once: Vec<(String, String)>,
    /// `[$init]` entries in order.
    pub init: Vec<(String, String)>,
    /// `[extra]` handlers whose context exists, duplicates collapsed.
    pub extras: Vec<Extra>,
    /// Compiled regexes, shared between rules.
    pub regexes: RegexTable,
    /// The files the configuration came from.
    pub sources: SourceMap,
}

impl Ir {
    /// The context with this name.
    pub fn context(&self, name: &[u8]) -> Option<ContextId> {
        self.by_name.get(name).copied()
    }

    /// A context by id.
    pub fn get(&self, id: ContextId) -> Option<&Context> {
        self.contexts.get(id.0 as usize)
    }
}

/// One context: its rules in order.
#[derive(Debug, Clone)]
pub struct Context {
    /// The section name.
    pub name: String,
    /// Its rules.
    pub rules: Vec<Rule>,
}

/// One rule line, lowered.
#[derive(Debug, Clone)]
pub struct Rule {
    /// The whole line in its file.
    pub span: Span,
    /// The raw key and value, for traces (`Matched:... - key=value`).
    pub key: String,
    /// See `key`.
    pub value: String,
    /// The line starts with `}`.
    pub closes_block: bool,
    /// The raw value opens a block.
    pub opens_block: bool,
    /// The key condition.
    pub cond: Cond,
    /// `if`/`and`/`or` links.
    pub links: Vec<Link>,
    /// A trailing connector without `=`: the line fails when evaluation reaches it.
    pub broken: Option<crate::syntax::Connector>,
    /// The action.
    pub action: Action,
    /// The action refers to captures (`\N`), so conditions must report them; otherwise
    /// a yes/no test is enough.
    pub needs_caps: bool,
}

/// A chain link.
#[derive(Debug, Clone)]
pub struct Link {
    /// `if`, `and` or `or`.
    pub conn: crate::syntax::Connector,
    /// `None` when the condition text is empty (`if =x`): Yate's "Missing 'if'".
    pub cond: Option<Cond>,
}

/// What a condition tests.
#[derive(Debug, Clone)]
pub enum Subject {
    /// The current match string.
    MatchString,
    /// A message parameter (present-but-empty wins over the default).
    Param {
        /// Parameter name.
        name: crate::runtime::message::ParamName,
        /// Used when the parameter is absent.
        default: Vec<u8>,
    },
    /// `$(...)` text, substituted and evaluated.
    Func(Template),
}

/// How a condition decides.
#[derive(Debug, Clone)]
pub enum Matcher {
    /// Match a compiled regex (which may be one that never matches).
    Regex(RegexId),
    /// The condition is malformed and always false, whatever negation says.
    Invalid(&'static str),
}

/// A condition: subject, matcher and negation.
#[derive(Debug, Clone)]
pub struct Cond {
    /// What is matched.
    pub subject: Subject,
    /// How.
    pub matcher: Matcher,
    /// A trailing `^` inverted the result.
    pub negated: bool,
    /// Where the condition is written.
    pub span: Span,
}

/// What a matching rule does.
#[derive(Debug, Clone)]
pub enum Action {
    /// `echo`/`output`: print the expanded text.
    Echo(Template),
    /// `debug [LEVEL] TEXT`.
    Debug {
        /// 1..=10.
        level: u8,
        /// The text.
        text: Template,
    },
    /// `{`: the block just opened runs.
    Block,
    /// `dispatch`/`enqueue` with a name piece and assignments.
    Message {
        /// `true` for enqueue.
        enqueue: bool,
        /// The name piece.
        name: Template,
        /// The other pieces.
        assigns: Vec<Template>,
    },
    /// `dispatch`/`enqueue` without a name: nothing happens.
    NoMessage,
    /// A target or a keyword known after substitution, plus assignments.
    Plain {
        /// The first piece.
        first: Template,
        /// Its meaning when `first` needs no substitution.
        keyword: Option<Keyword>,
        /// The other pieces.
        assigns: Vec<Template>,
    },
}
