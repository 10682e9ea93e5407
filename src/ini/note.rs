//! What the loader skipped or refused, with where: the raw material of lint and migrate.

use crate::source::Span;
use std::fmt;

/// Which include directive a note is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncludeKind {
    /// `[$include F]`
    Include,
    /// `[$includesilent F]`
    Silent,
    /// `[$require F]`
    Require,
}

/// One observation of the loader. None of these stop loading, as in Yate.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
#[allow(missing_docs)] // fields are the span and the names shown in the message
pub enum Note {
    /// A key line with no current section (before any header, or after a header whose
    /// name substituted to nothing): `^1$=x` at the top of the file. Yate drops it.
    NoSection { span: Span },
    /// `[abc` with no `]`: the line is ignored and the section is unchanged.
    UnclosedHeader { span: Span },
    /// `[]`: ignored; the previous section stays current.
    EmptyHeader { span: Span },
    /// `[0-9]$=rule`: text after the first `]` of a header is ignored.
    HeaderTrailingText { header: Span, trailing: Span },
    /// `[${nosuch}]`: the name substituted to nothing; following keys are dropped.
    EmptySectionName { span: Span },
    /// `=value`: an empty key; the line is dropped.
    EmptyKey { span: Span },
    /// An include whose file or directory could not be read.
    IncludeMissing { span: Span, path: String, kind: IncludeKind },
    /// An include of a file already open higher up the include stack.
    IncludeCycle { span: Span, path: String },
    /// An include nested deeper than the depth limit.
    IncludeTooDeep { span: Span, path: String, limit: u32 },
    /// An include whose path substituted to nothing.
    IncludeEmptyPath { span: Span },
    /// `[$includesection S]` with no current section.
    SectionIncludeNoSection { span: Span },
    /// `[$includesection S]` for a section that does not exist.
    SectionIncludeMissing { span: Span, name: String, silent: bool },
    /// `[$includesection S]` that would include a section into itself.
    SectionIncludeCycle { span: Span, name: String },
    /// A NUL byte, which ends the line in Yate.
    NulByte { span: Span },
    /// Bytes that are not UTF-8; rexroute read them as U+FFFD.
    InvalidUtf8 { span: Span },
}

impl Note {
    /// Where the note points.
    pub fn span(&self) -> Span {
        match self {
            Note::NoSection { span }
            | Note::UnclosedHeader { span }
            | Note::EmptyHeader { span }
            | Note::EmptySectionName { span }
            | Note::EmptyKey { span }
            | Note::IncludeMissing { span, .. }
            | Note::IncludeCycle { span, .. }
            | Note::IncludeTooDeep { span, .. }
            | Note::IncludeEmptyPath { span }
            | Note::SectionIncludeNoSection { span }
            | Note::SectionIncludeMissing { span, .. }
            | Note::SectionIncludeCycle { span, .. }
            | Note::NulByte { span }
            | Note::InvalidUtf8 { span } => *span,
            Note::HeaderTrailingText { trailing, .. } => *trailing,
        }
    }
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::NoSection { .. } => write!(f, "entry outside any section is dropped"),
            Note::UnclosedHeader { .. } => write!(f, "line starting with `[` has no `]` and is ignored"),
            Note::EmptyHeader { .. } => write!(f, "empty section header is ignored"),
            Note::HeaderTrailingText { .. } => write!(f, "text after `]` of a section header is ignored"),
            Note::EmptySectionName { .. } => {
                write!(f, "section name is empty after substitution; entries up to the next header are dropped")
            }
            Note::EmptyKey { .. } => write!(f, "line with an empty key is dropped"),
            Note::IncludeMissing { path, kind, .. } => match kind {
                IncludeKind::Silent => write!(f, "optional include `{path}` could not be read"),
                _ => write!(f, "include `{path}` could not be read"),
            },
            Note::IncludeCycle { path, .. } => write!(f, "recursive include of `{path}` is refused"),
            Note::IncludeTooDeep { path, limit, .. } => {
                write!(f, "include of `{path}` exceeds the depth limit of {limit}")
            }
            Note::IncludeEmptyPath { .. } => write!(f, "include path is empty after substitution and is ignored"),
            Note::SectionIncludeNoSection { .. } => write!(f, "section include outside any section is ignored"),
            Note::SectionIncludeMissing { name, .. } => write!(f, "included section `{name}` does not exist"),
            Note::SectionIncludeCycle { name, .. } => write!(f, "section `{name}` includes itself"),
            Note::NulByte { .. } => write!(f, "NUL byte ends the line"),
            Note::InvalidUtf8 { .. } => write!(f, "bytes that are not UTF-8 were read as U+FFFD"),
        }
    }
}
