//! Source files, byte spans into them, and line/column lookup.

use std::path::{Path, PathBuf};

/// Index of a file in a [`SourceMap`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SourceId(pub u32);

/// A byte range in one source file. Line and column are computed only when shown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    /// The file.
    pub source: SourceId,
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl Span {
    /// A span in `source` from `start` to `end`.
    pub fn new(source: SourceId, start: usize, end: usize) -> Span {
        Span { source, start: clamp_u32(start), end: clamp_u32(end.max(start)) }
    }

    /// The sub-span `start..end` relative to this span's start.
    pub fn sub(self, start: usize, end: usize) -> Span {
        let base = self.start as usize;
        Span::new(self.source, base + start, base + end)
    }

    /// Length in bytes.
    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }

    /// Whether the span is empty.
    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    /// The smallest span covering both (same file assumed).
    pub fn to(self, other: Span) -> Span {
        Span { source: self.source, start: self.start.min(other.start), end: self.end.max(other.end) }
    }
}

fn clamp_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// One loaded file: its path as given and its text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The path the file was read from (or a label such as `<stdin>`).
    pub path: PathBuf,
    /// The file's text. Invalid UTF-8 was replaced with U+FFFD when read.
    pub text: String,
    /// Where each line starts, computed on first use.
    lines: std::sync::OnceLock<Vec<u32>>,
}

impl SourceFile {
    /// A file from its path and text.
    pub fn new(path: impl Into<PathBuf>, text: impl Into<String>) -> Self {
        SourceFile { path: path.into(), text: text.into(), lines: Default::default() }
    }

    /// Byte offsets of line starts. CR, LF and CR LF all end a line, as in Yate.
    fn line_starts(&self) -> &[u32] {
        self.lines.get_or_init(|| {
            let b = self.text.as_bytes();
            let mut starts = vec![0u32];
            let mut i = 0;
            while i < b.len() {
                if b[i] == b'\r' && b.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                if b[i] == b'\n' || b[i] == b'\r' {
                    starts.push(clamp_u32(i + 1));
                }
                i += 1;
            }
            starts
        })
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: u32) -> (usize, usize) {
        let starts = self.line_starts();
        let line = match starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = starts[line] as usize;
        let end = (offset as usize).min(self.text.len());
        let col = self.text.get(start..end).map_or(end - start, |s| s.chars().count());
        (line + 1, col + 1)
    }

    /// The text of a span in this file (empty if out of range).
    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.start as usize..span.end as usize).unwrap_or("")
    }

    /// The directory that relative includes in this file are resolved against.
    pub fn dir(&self) -> &Path {
        self.path.parent().unwrap_or_else(|| Path::new("."))
    }
}

/// Every file read while loading a configuration.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file and returns its id.
    pub fn add(&mut self, file: SourceFile) -> SourceId {
        self.files.push(file);
        SourceId(clamp_u32(self.files.len() - 1))
    }

    /// The file with this id.
    pub fn get(&self, id: SourceId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    /// All files, in the order they were read.
    pub fn files(&self) -> impl Iterator<Item = (SourceId, &SourceFile)> {
        self.files.iter().enumerate().map(|(i, f)| (SourceId(clamp_u32(i)), f))
    }

    /// The text of a span.
    pub fn slice(&self, span: Span) -> &str {
        self.get(span.source).map_or("", |f| f.slice(span))
    }

    /// `path:line:col` of a span's start.
    pub fn location(&self, span: Span) -> String {
        match self.get(span.source) {
            Some(f) => {
                let (l, c) = f.line_col(span.start);
                format!("{}:{}:{}", f.path.display(), l, c)
            }
            None => "?".to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_handles_cr_lf_and_crlf() {
        let f = SourceFile::new("x", "a\r\nbc\rd\né");
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(3), (2, 1));
        assert_eq!(f.line_col(4), (2, 2));
        assert_eq!(f.line_col(6), (3, 1));
        assert_eq!(f.line_col(8), (4, 1));
        assert_eq!(f.line_col(10), (4, 2));
    }
}
