//! The loader: physical lines to sections, following includes and `$enabled` regions.

use super::fs::FileSystem;
use super::lex;
use super::note::{IncludeKind, Note};
use super::subst::{is_blank, run_params};
use super::{Document, Entry, MemFs, Section};
use crate::source::{SourceFile, SourceId, Span};
use std::path::{Path, PathBuf};

/// Engine-wide loader options (Yate's `[configuration]` in yate.conf) and the facts
/// that headers and `$enabled` conditions may refer to.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Include nesting limit (Yate's `max_depth`, default 10).
    pub max_depth: u32,
    /// Refuse to include a file already open higher up (`check_recursive_include`).
    pub check_recursive: bool,
    /// Engine run parameters for `${name}` in headers (`configpath`, `nodename`, ...).
    pub run_params: Vec<(String, String)>,
    /// Modules that `[$enabled $loaded NAME]` sees as loaded.
    pub loaded: Vec<String>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            max_depth: 10,
            check_recursive: true,
            run_params: Vec::new(),
            loaded: vec!["regexroute".to_string()],
        }
    }
}

/// A section include waiting for the whole file to be read.
#[derive(Debug, Clone)]
enum Item {
    Entry(Entry),
    IncludeSection { name: String, span: Span, silent: bool },
}

struct Loader<'a> {
    opts: &'a LoadOptions,
    fs: &'a dyn FileSystem,
    doc: Document,
    items: Vec<Vec<Item>>,
    open: Vec<PathBuf>,
}

/// Loads `path` and everything it includes.
///
/// Fails only when the top-level file itself cannot be read; everything else Yate
/// would skip is skipped and recorded in [`Document::notes`].
pub fn load(path: &Path, opts: &LoadOptions, fs: &dyn FileSystem) -> std::io::Result<Document> {
    let bytes = fs.read(path)?;
    let mut loader = Loader { opts, fs, doc: Document::default(), items: Vec::new(), open: Vec::new() };
    loader.open.push(path.to_path_buf());
    loader.load_text(path, &bytes, None, 0);
    Ok(loader.finish())
}

/// Loads configuration text held in memory (includes resolve against `name`'s folder
/// in an empty in-memory file system, so they are all missing).
pub fn load_str(name: &str, text: &str, opts: &LoadOptions) -> Document {
    let fs = MemFs::default().with(name, text.as_bytes().to_vec());
    load(Path::new(name), opts, &fs).unwrap_or_default()
}

/// Where the reader is inside one file.
struct FileState {
    id: SourceId,
    section: Option<usize>,
    enabled: bool,
    depth: u32,
}

impl Loader<'_> {
    fn load_text(&mut self, path: &Path, bytes: &[u8], section: Option<usize>, depth: u32) {
        let (text, bad_utf8) = decode(bytes);
        let id = self.doc.sources.add(SourceFile::new(path, text));
        if let Some(off) = bad_utf8 {
            self.doc.notes.push(Note::InvalidUtf8 { span: Span::new(id, off, off + 3) });
        }
        let Some(file) = self.doc.sources.get(id) else { return };
        let text = file.text.clone();
        let (lines, nul) = lex::lines(&text);
        if let Some(off) = nul {
            self.doc.notes.push(Note::NulByte { span: Span::new(id, off, off + 1) });
        }
        let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
        let mut st = FileState { id, section, enabled: true, depth };
        let mut i = 0;
        while i < lines.len() {
            let line = lines[i];
            let start = if i == 0 { line.start.max(bom) } else { line.start };
            i += 1;
            let raw = &text[start.min(line.end)..line.end];
            let body = raw.trim_start_matches(is_blank);
            let at = line.end - body.len();
            if body.is_empty() || body.starts_with(';') {
                continue;
            }
            if body.starts_with('[') {
                self.header(&mut st, body, at);
                continue;
            }
            let consumed = self.key_line(&mut st, &text, &lines[i..], body, at);
            i += consumed;
        }
    }

    /// Handles one key line and its continuations; returns how many more lines it took.
    fn key_line(&mut self, st: &mut FileState, text: &str, next: &[lex::Line], body: &str, at: usize) -> usize {
        let Some(eq) = body.find('=') else {
            if st.enabled {
                let key = body.trim_end_matches(is_blank);
                let span = Span::new(st.id, at, at + body.len());
                let entry = Entry {
                    key: key.to_string(),
                    value: String::new(),
                    span,
                    key_span: Span::new(st.id, at, at + key.len()),
                    value_runs: vec![(0, Span::new(st.id, at + body.len(), at + body.len()))],
                    via: None,
                };
                self.push_entry(st, entry);
            }
            return 0;
        };
        if eq == 0 {
            if st.enabled {
                self.doc.notes.push(Note::EmptyKey { span: Span::new(st.id, at, at + body.len()) });
            }
            return 0;
        }
        let (value, runs, end, consumed) = continued_value(text, next, body, at, eq);
        if !st.enabled {
            return consumed;
        }
        let key_raw = &body[..eq];
        let key = key_raw.trim_matches(is_blank);
        let key_start = at + (key_raw.len() - key_raw.trim_start_matches(is_blank).len());
        let lead = value.len() - value.trim_start_matches(is_blank).len();
        let trimmed = value.trim_matches(is_blank);
        let runs = clip_runs(shift_runs(runs, lead, st.id), trimmed.len());
        let entry = Entry {
            key: key.to_string(),
            value: trimmed.to_string(),
            span: Span::new(st.id, at, end),
            key_span: Span::new(st.id, key_start, key_start + key.len()),
            value_runs: runs,
            via: None,
        };
        self.push_entry(st, entry);
        consumed
    }

    fn push_entry(&mut self, st: &FileState, entry: Entry) {
        match st.section {
            Some(s) => self.items[s].push(Item::Entry(entry)),
            None => self.doc.notes.push(Note::NoSection { span: entry.span }),
        }
    }

    fn header(&mut self, st: &mut FileState, body: &str, at: usize) {
        let line_span = Span::new(st.id, at, at + body.len());
        let Some(close) = body.find(']') else {
            if st.enabled {
                self.doc.notes.push(Note::UnclosedHeader { span: line_span });
            }
            return;
        };
        let name = body[1..close].trim_matches(is_blank);
        let trailing = &body[close + 1..];
        if let Some(cond) = word_arg(name, "$enabled") {
            st.enabled = self.enabled(st.enabled, cond);
            return;
        }
        if !st.enabled {
            return;
        }
        if !trailing.trim_matches(is_blank).is_empty() {
            let t = Span::new(st.id, at + close + 1, at + body.len());
            let header = Span::new(st.id, at, at + close + 1);
            self.doc.notes.push(Note::HeaderTrailingText { header, trailing: t });
        }
        let span = Span::new(st.id, at, at + close + 1);
        if name.is_empty() {
            self.doc.notes.push(Note::EmptyHeader { span });
            return;
        }
        if self.file_include(st, name, span) || self.section_include(st, name, span) {
            return;
        }
        let name = run_params(name, &self.opts.run_params);
        if name.is_empty() {
            self.doc.notes.push(Note::EmptySectionName { span });
            st.section = None;
            return;
        }
        let idx = self.section_index(&name);
        self.doc.sections[idx].headers.push(span);
        st.section = Some(idx);
    }

    fn section_index(&mut self, name: &str) -> usize {
        if let Some(i) = self.doc.sections.iter().position(|s| s.name == name) {
            return i;
        }
        self.doc.sections.push(Section { name: name.to_string(), ..Default::default() });
        self.items.push(Vec::new());
        self.doc.sections.len() - 1
    }

    fn enabled(&self, current: bool, cond: &str) -> bool {
        let cond = run_params(cond, &self.opts.run_params);
        let cond = cond.trim_matches(is_blank);
        if cond == "else" || cond == "toggle" {
            return !current;
        }
        if let Some(rest) = word_arg(cond, "elseif") {
            return if current { false } else { self.condition(rest) };
        }
        self.condition(cond)
    }

    fn condition(&self, cond: &str) -> bool {
        let (neg, cond) = match word_arg(cond, "$not") {
            Some(rest) => (true, rest),
            None => (false, cond),
        };
        let loaded = |m: &str| self.opts.loaded.iter().any(|l| l == m.trim_matches(is_blank));
        let result = if let Some(m) = word_arg(cond, "$loaded") {
            loaded(m)
        } else if let Some(m) = word_arg(cond, "$unloaded") {
            !loaded(m)
        } else if let Some(x) = word_arg(cond, "$filled") {
            !x.is_empty()
        } else if let Some(x) = word_arg(cond, "$empty") {
            x.is_empty()
        } else if let Some(x) = word_arg(cond, "$bool") {
            yate_bool(x, false)
        } else {
            yate_bool(cond, true)
        };
        result != neg
    }

    fn file_include(&mut self, st: &FileState, name: &str, span: Span) -> bool {
        let kinds = [
            ("$include", IncludeKind::Include),
            ("$includesilent", IncludeKind::Silent),
            ("$require", IncludeKind::Require),
        ];
        let Some((arg, kind)) = kinds.iter().find_map(|(tok, k)| word_arg_strict(name, tok).map(|a| (a, *k))) else {
            return false;
        };
        let path = run_params(arg, &self.opts.run_params);
        let path = path.trim_matches(is_blank);
        if path.is_empty() {
            self.doc.notes.push(Note::IncludeEmptyPath { span });
            return true;
        }
        let dir = self.doc.sources.get(st.id).map(|f| f.dir().to_path_buf()).unwrap_or_default();
        let full = resolve(&dir, path);
        self.include_path(st, &full, span, kind);
        true
    }

    fn include_path(&mut self, st: &FileState, full: &Path, span: Span, kind: IncludeKind) {
        let shown = full.display().to_string();
        if st.depth + 1 > self.opts.max_depth {
            self.doc.notes.push(Note::IncludeTooDeep { span, path: shown, limit: self.opts.max_depth });
            return;
        }
        if self.fs.is_dir(full) {
            let mut names = match self.fs.list_files(full) {
                Ok(n) => n,
                Err(_) => return self.doc.notes.push(Note::IncludeMissing { span, path: shown, kind }),
            };
            names.retain(|n| !skipped_name(n));
            names.sort();
            for n in names {
                self.include_file(st, &full.join(n), span, kind);
            }
            return;
        }
        self.include_file(st, full, span, kind);
    }

    fn include_file(&mut self, st: &FileState, path: &Path, span: Span, kind: IncludeKind) {
        if self.opts.check_recursive && self.open.iter().any(|p| p == path) {
            let path = path.display().to_string();
            self.doc.notes.push(Note::IncludeCycle { span, path });
            return;
        }
        let bytes = match self.fs.read(path) {
            Ok(b) => b,
            Err(_) => {
                let path = path.display().to_string();
                return self.doc.notes.push(Note::IncludeMissing { span, path, kind });
            }
        };
        self.open.push(path.to_path_buf());
        self.load_text(path, &bytes, st.section, st.depth + 1);
        self.open.pop();
    }

    fn section_include(&mut self, st: &FileState, name: &str, span: Span) -> bool {
        let kinds = [("$includesection", false), ("$includesectionsilent", true), ("$requiresection", false)];
        let Some((arg, silent)) = kinds.iter().find_map(|(tok, s)| word_arg_strict(name, tok).map(|a| (a, *s))) else {
            return false;
        };
        let target = run_params(arg, &self.opts.run_params).trim_matches(is_blank).to_string();
        match st.section {
            Some(s) => self.items[s].push(Item::IncludeSection { name: target, span, silent }),
            None => self.doc.notes.push(Note::SectionIncludeNoSection { span }),
        }
        true
    }

    /// Splices section includes in place, now that every section is known.
    fn finish(mut self) -> Document {
        let mut done: Vec<Option<Vec<Entry>>> = vec![None; self.items.len()];
        for s in 0..self.items.len() {
            let mut stack = Vec::new();
            self.expand(s, &mut done, &mut stack);
        }
        for (s, entries) in done.into_iter().enumerate() {
            self.doc.sections[s].entries = entries.unwrap_or_default();
        }
        self.doc
    }

    fn expand(&mut self, s: usize, done: &mut Vec<Option<Vec<Entry>>>, stack: &mut Vec<usize>) -> Vec<Entry> {
        if let Some(d) = &done[s] {
            return d.clone();
        }
        stack.push(s);
        let mut out = Vec::new();
        let items = std::mem::take(&mut self.items[s]);
        for item in &items {
            match item {
                Item::Entry(e) => out.push(e.clone()),
                Item::IncludeSection { name, span, silent } => {
                    let target = self.doc.sections.iter().position(|x| &x.name == name);
                    match target {
                        None => self.doc.notes.push(Note::SectionIncludeMissing {
                            span: *span,
                            name: name.clone(),
                            silent: *silent,
                        }),
                        Some(t) if stack.contains(&t) => {
                            self.doc.notes.push(Note::SectionIncludeCycle { span: *span, name: name.clone() })
                        }
                        Some(t) => {
                            for mut e in self.expand(t, done, stack) {
                                e.via.get_or_insert(*span);
                                out.push(e);
                            }
                        }
                    }
                }
            }
        }
        self.items[s] = items;
        stack.pop();
        done[s] = Some(out.clone());
        out
    }
}

/// The value of a key line with its continuations: (value, runs, end offset, lines taken).
fn continued_value(
    text: &str,
    next: &[lex::Line],
    body: &str,
    at: usize,
    eq: usize,
) -> (String, Vec<(usize, usize, usize)>, usize, usize) {
    let mut value = String::new();
    let mut runs = Vec::new();
    let mut piece = &body[eq + 1..];
    let mut piece_at = at + eq + 1;
    let mut end = at + body.len();
    let mut consumed = 0;
    loop {
        let Some(cut) = piece.strip_suffix('\\') else {
            runs.push((value.len(), piece_at, piece_at + piece.len()));
            value.push_str(piece);
            break;
        };
        runs.push((value.len(), piece_at, piece_at + cut.len()));
        value.push_str(cut);
        let Some(line) = next.get(consumed) else { break };
        consumed += 1;
        let raw = &text[line.start..line.end];
        let b = raw.trim_start_matches(is_blank);
        if b.is_empty() {
            break;
        }
        piece = b;
        piece_at = line.end - b.len();
        end = line.end;
    }
    (value, runs, end, consumed)
}

/// Moves value runs after the value lost `lead` leading blanks.
fn shift_runs(runs: Vec<(usize, usize, usize)>, lead: usize, id: SourceId) -> Vec<(u32, Span)> {
    let mut out = Vec::new();
    let last_end = runs.last().map_or(0, |r| r.2);
    for (off, start, end) in runs {
        if off + (end - start) <= lead && lead > 0 {
            continue;
        }
        let cut = lead.saturating_sub(off);
        let off = u32::try_from(off + cut - lead).unwrap_or(u32::MAX);
        out.push((off, Span::new(id, start + cut, end)));
    }
    if out.is_empty() {
        out.push((0, Span::new(id, last_end, last_end)));
    }
    out
}

/// Cuts runs past `len`: the trailing blanks trimmed off the value are not part of it.
fn clip_runs(runs: Vec<(u32, Span)>, len: usize) -> Vec<(u32, Span)> {
    let len = u32::try_from(len).unwrap_or(u32::MAX);
    let mut out: Vec<(u32, Span)> = Vec::with_capacity(runs.len());
    for (off, span) in runs {
        if off > len || (off == len && !out.is_empty()) {
            break;
        }
        let keep = (len - off).min(span.end - span.start);
        out.push((off, Span { end: span.start + keep, ..span }));
    }
    out
}

/// `tok` as a whole word at the start of `s`, then the rest after its blanks.
fn word_arg<'a>(s: &'a str, tok: &str) -> Option<&'a str> {
    let rest = s.strip_prefix(tok)?;
    if rest.is_empty() {
        return Some(rest);
    }
    let first = rest.chars().next()?;
    matches!(first, ' ' | '\t' | '\r' | '\n').then(|| rest.trim_start_matches([' ', '\t', '\r', '\n']))
}

/// Like [`word_arg`] but a blank must follow: `[$include]` alone is a plain section.
fn word_arg_strict<'a>(s: &'a str, tok: &str) -> Option<&'a str> {
    let rest = s.strip_prefix(tok)?;
    rest.starts_with(is_blank).then(|| rest.trim_start_matches(is_blank))
}

/// Yate's boolean words; anything else gives the default.
fn yate_bool(s: &str, default: bool) -> bool {
    match s {
        "false" | "no" | "off" | "disable" | "f" => false,
        "true" | "yes" | "on" | "enable" | "t" => true,
        _ => default,
    }
}

fn skipped_name(n: &str) -> bool {
    n.starts_with('.') || n.ends_with('~') || n.ends_with(".bak") || n.ends_with(".tmp")
}

fn resolve(dir: &Path, path: &str) -> PathBuf {
    let p = if path.starts_with('/') { PathBuf::from(path) } else { dir.join(path) };
    let s = p.to_string_lossy();
    if s.contains("//") {
        let mut collapsed = String::with_capacity(s.len());
        for c in s.chars() {
            if !(c == '/' && collapsed.ends_with('/')) {
                collapsed.push(c);
            }
        }
        return PathBuf::from(collapsed);
    }
    p
}

/// UTF-8 text from bytes, with the offset of the first invalid sequence if any.
fn decode(bytes: &[u8]) -> (String, Option<usize>) {
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_string(), None),
        Err(e) => (String::from_utf8_lossy(bytes).into_owned(), Some(e.valid_up_to())),
    }
}

#[cfg(test)]
mod tests;
