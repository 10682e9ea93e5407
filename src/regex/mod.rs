//! POSIX regular expressions as Yate compiles them.
//!
//! * [`posix`]: the exact engine, glibc's `regcomp`/`regexec` (the ground truth).
//! * [`syntax`]: a parser of glibc's BRE/ERE dialects, for analysis (groups,
//!   back-references, anchoring, literal prefixes).
//! * [`lint`]: Perl-isms and silently literal escapes.
//! * [`translate`]: a provably equivalent `regex`-crate pattern for yes/no matching.
//! * [`quick`]: plain-text patterns answered by comparing bytes.
//! * [`shape`]: anchored patterns whose sub-matches are unique, matched directly.
//! * [`Regex`]: the engines together, as the rule evaluator should use them.

mod ast;
mod bracket;
pub mod byteset;
mod closure;
pub mod lint;
mod matcher;
pub mod posix;
mod quick;
mod shape;
pub mod syntax;
mod token;
pub mod translate;

pub use ast::PrefixTail;
pub use lint::{pcre_findings, Finding, FindingKind};
pub use matcher::{has_byte, until_nul, Regex};
pub use posix::{CompileError, Flags, PosixRegex, Slots};
pub use quick::Quick;
pub use syntax::{parse, Ast, Node, ParseError};
pub use translate::translate;
