//! The regex table: every distinct (pattern, flags) compiled once and shared.

use crate::regex::{CompileError, Flags, Regex};
use std::collections::HashMap;
use std::sync::OnceLock;

/// Index of a regex in a [`RegexTable`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RegexId(pub u32);

/// One pattern. Yate compiles at every evaluation and treats a failure as "no match";
/// compiling once, on first use, gives the same answers. Compiling lazily keeps loading
/// fast: glibc's `regcomp` costs tens of microseconds a pattern, and most rules of a
/// large dialplan are never reached by a given workload.
#[derive(Debug)]
pub struct RegexEntry {
    /// The pattern text.
    pub pattern: Vec<u8>,
    /// BRE/ERE and case folding.
    pub flags: Flags,
    compiled: OnceLock<Result<Regex, CompileError>>,
}

impl RegexEntry {
    /// The exact engine with its fast path, or why glibc refused the pattern
    /// (compiled on first call).
    pub fn compiled(&self) -> &Result<Regex, CompileError> {
        self.compiled.get_or_init(|| Regex::new(&self.pattern, self.flags))
    }

    /// Whether the pattern compiles.
    pub fn is_valid(&self) -> bool {
        self.compiled().is_ok()
    }
}

/// Interned regexes.
#[derive(Debug, Default)]
pub struct RegexTable {
    entries: Vec<RegexEntry>,
    index: HashMap<(Vec<u8>, Flags), RegexId>,
}

impl RegexTable {
    /// The id of a pattern, compiling it the first time it is seen.
    pub fn intern(&mut self, pattern: &[u8], flags: Flags) -> RegexId {
        if let Some(id) = self.index.get(&(pattern.to_vec(), flags)) {
            return *id;
        }
        let id = RegexId(u32::try_from(self.entries.len()).unwrap_or(u32::MAX));
        self.entries.push(RegexEntry { pattern: pattern.to_vec(), flags, compiled: OnceLock::new() });
        self.index.insert((pattern.to_vec(), flags), id);
        id
    }

    /// An entry by id.
    pub fn get(&self, id: RegexId) -> Option<&RegexEntry> {
        self.entries.get(id.0 as usize)
    }

    /// Number of distinct patterns.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// All entries with their ids.
    pub fn iter(&self) -> impl Iterator<Item = (RegexId, &RegexEntry)> {
        self.entries.iter().enumerate().map(|(i, e)| (RegexId(i as u32), e))
    }
}
