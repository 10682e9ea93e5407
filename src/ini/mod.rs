//! Yate's INI dialect: sections of `key=value` entries, includes and `$enabled` regions.
//!
//! [`load`] reads a file (and whatever it includes) into a [`Document`] exactly as
//! Yate's `Configuration` parser does, keeping the span of every entry and recording
//! every line it ignored or could not follow as a [`Note`].

mod fs;
mod lex;
mod load;
mod note;
mod print;
mod subst;

pub use fs::{FileSystem, MemFs, RealFs};
pub use load::{load, load_str, LoadOptions};
pub use note::{IncludeKind, Note};

use crate::source::{SourceMap, Span};

/// A loaded configuration: its sections in first-seen order and the files read.
#[derive(Debug, Clone, Default)]
pub struct Document {
    /// Every file read, the top-level one first.
    pub sources: SourceMap,
    /// Sections in the order they were first opened; repeated headers append.
    pub sections: Vec<Section>,
    /// What the loader ignored, refused or could not read.
    pub notes: Vec<Note>,
}

impl Document {
    /// The section with this exact name.
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// The first value of `key` in `section` (Yate's lookup takes the first entry).
    pub fn value(&self, section: &str, key: &str) -> Option<&str> {
        self.section(section)?.entries.iter().find(|e| e.key == key).map(|e| e.value.as_str())
    }
}

/// One section: its name, where it was opened, and its entries in load order.
#[derive(Debug, Clone, Default)]
pub struct Section {
    /// The name after trimming and run-parameter substitution.
    pub name: String,
    /// Every header line that opened or reopened it.
    pub headers: Vec<Span>,
    /// Entries, with section includes already spliced in.
    pub entries: Vec<Entry>,
}

/// One `key=value` entry (a rule line, for regexroute).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Entry {
    /// The blank-trimmed key.
    pub key: String,
    /// The blank-trimmed value, continuation lines joined.
    pub value: String,
    /// The whole logical line, continuation lines included.
    pub span: Span,
    /// The key's text.
    pub key_span: Span,
    /// Where each run of `value` lies in the file: (offset in `value`, span). More than
    /// one run only when the value was continued over several lines.
    pub value_runs: Vec<(u32, Span)>,
    /// The `[$includesection]` directive that copied this entry here, if any.
    pub via: Option<Span>,
}

impl Entry {
    /// The file span of `value[start..end]`, clipped to the run that holds `start`.
    pub fn value_span(&self, start: usize, end: usize) -> Span {
        let start32 = u32::try_from(start).unwrap_or(u32::MAX);
        let idx = self.value_runs.iter().rposition(|(off, _)| *off <= start32).unwrap_or(0);
        let Some((off, run)) = self.value_runs.get(idx) else {
            return Span::new(self.span.source, self.span.end as usize, self.span.end as usize);
        };
        let rel = start - *off as usize;
        let len = end.saturating_sub(start).min(run.len().saturating_sub(rel));
        run.sub(rel.min(run.len()), (rel + len).min(run.len()))
    }

    /// The span of the whole value (first run to last run).
    pub fn whole_value_span(&self) -> Span {
        match (self.value_runs.first(), self.value_runs.last()) {
            (Some((_, a)), Some((_, b))) => a.to(*b),
            _ => Span::new(self.span.source, self.span.end as usize, self.span.end as usize),
        }
    }
}
