//! Diagnostics: what a check reports, and the two ways it is shown (miette text, JSON).
//!
//! A [`Diagnostic`] holds [`Span`]s only; the source text is attached once, when the
//! report is rendered, through miette's `NamedSource`. Rendering uses a fixed,
//! colourless theme and a fixed width so the output is the same on every terminal and
//! in snapshot tests.

use crate::source::{SourceMap, Span};
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};
use std::fmt;

/// How bad a finding is. The CLI exits 1 when any error is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Worth a look, but Yate may well do what the author meant.
    Warning,
    /// The line does not work as written in Yate, whatever the messages.
    Error,
}

impl Severity {
    /// `"error"` or `"warning"`, as written in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A labelled span shown under the source snippet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// Where.
    pub span: Span,
    /// What to say there.
    pub text: String,
    /// The primary label is drawn as the main pointer (miette's `primary`).
    pub primary: bool,
}

/// One finding, pointing into the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Stable code such as `RR101`.
    pub code: &'static str,
    /// The rule's kebab-case name, such as `invalid-regex`.
    pub name: &'static str,
    /// Error or warning.
    pub severity: Severity,
    /// One sentence saying what is wrong.
    pub message: String,
    /// The primary location (line and column in JSON come from its start and end).
    pub span: Span,
    /// Labels; when none is primary, an unlabelled primary pointer is drawn at `span`.
    pub labels: Vec<Label>,
    /// How to fix it, if there is a fix to suggest.
    pub help: Option<String>,
}

impl Diagnostic {
    /// Adds the primary label text at the diagnostic's own span.
    pub fn primary(&mut self, text: impl Into<String>) -> &mut Self {
        self.labels.push(Label { span: self.span, text: text.into(), primary: true });
        self
    }

    /// Adds a secondary label.
    pub fn label(&mut self, span: Span, text: impl Into<String>) -> &mut Self {
        self.labels.push(Label { span, text: text.into(), primary: false });
        self
    }

    /// Sets the help text.
    pub fn help(&mut self, text: impl Into<String>) -> &mut Self {
        self.help = Some(text.into());
        self
    }

    /// Overrides the rule's default severity.
    pub fn severity(&mut self, severity: Severity) -> &mut Self {
        self.severity = severity;
        self
    }
}

/// Counts of errors and warnings.
pub fn summary(diags: &[Diagnostic]) -> (usize, usize) {
    let errors = diags.iter().filter(|d| d.severity == Severity::Error).count();
    (errors, diags.len() - errors)
}

/// Orders diagnostics by file, position, then code, so output is stable.
pub fn sort(diags: &mut [Diagnostic]) {
    diags.sort_by(|a, b| {
        (a.span.source, a.span.start, a.span.end, a.code).cmp(&(b.span.source, b.span.start, b.span.end, b.code))
    });
}

/// The width every report is wrapped to, whatever the terminal.
pub const RENDER_WIDTH: usize = 100;

/// Renders one diagnostic as text: a source snippet with labels, the code and the help.
pub fn render_human(diag: &Diagnostic, sources: &SourceMap) -> String {
    let handler = GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
        .with_width(RENDER_WIDTH)
        .with_links(false)
        .without_syntax_highlighting();
    let report = Report::new(diag, sources);
    let mut out = String::new();
    if handler.render_report(&mut out, &report).is_err() {
        // Rendering into a String cannot fail for I/O reasons; fall back to one line.
        out = format!("{}: {} [{}] {}\n", location(diag, sources), diag.severity, diag.code, diag.message);
    }
    out
}

/// `path:line:col` of a diagnostic.
pub fn location(diag: &Diagnostic, sources: &SourceMap) -> String {
    sources.location(diag.span)
}

/// 1-based (line, column, end_line, end_column); the end is just past the last character.
pub fn positions(span: Span, sources: &SourceMap) -> (usize, usize, usize, usize) {
    match sources.get(span.source) {
        Some(f) => {
            let (l, c) = f.line_col(span.start);
            let (el, ec) = f.line_col(span.end);
            (l, c, el, ec)
        }
        None => (0, 0, 0, 0),
    }
}

/// One JSON object: file, line, column, end_line, end_column, severity, code, name,
/// message and help (null when absent).
pub fn to_json(diag: &Diagnostic, sources: &SourceMap) -> serde_json::Value {
    let file = sources.get(diag.span.source).map(|f| f.path.display().to_string()).unwrap_or_default();
    let (line, column, end_line, end_column) = positions(diag.span, sources);
    serde_json::json!({
        "file": file,
        "line": line,
        "column": column,
        "end_line": end_line,
        "end_column": end_column,
        "severity": diag.severity.as_str(),
        "code": diag.code,
        "name": diag.name,
        "message": diag.message,
        "help": diag.help,
    })
}

/// A diagnostic with its source attached, in the shape miette renders.
struct Report<'a> {
    diag: &'a Diagnostic,
    source: NamedSource<String>,
    labels: Vec<LabeledSpan>,
}

impl<'a> Report<'a> {
    fn new(diag: &'a Diagnostic, sources: &SourceMap) -> Self {
        let (name, text) = match sources.get(diag.span.source) {
            Some(f) => (f.path.display().to_string(), f.text.clone()),
            None => (String::from("<unknown>"), String::new()),
        };
        // A snippet shows one file: labels in other files would point at wrong text.
        let same_file = |s: Span| s.source == diag.span.source;
        let mut labels: Vec<LabeledSpan> = diag
            .labels
            .iter()
            .filter(|l| same_file(l.span))
            .map(|l| {
                let at = miette_span(l.span, text.len());
                if l.primary {
                    LabeledSpan::new_primary_with_span(Some(l.text.clone()), at)
                } else {
                    LabeledSpan::new_with_span(Some(l.text.clone()), at)
                }
            })
            .collect();
        if !diag.labels.iter().any(|l| l.primary) {
            labels.insert(0, LabeledSpan::new_primary_with_span(None, miette_span(diag.span, text.len())));
        }
        Report { diag, source: NamedSource::new(name, text), labels }
    }
}

/// The only place a [`Span`] becomes a miette span; clipped to the text.
fn miette_span(span: Span, text_len: usize) -> SourceSpan {
    let start = (span.start as usize).min(text_len);
    let end = (span.end as usize).clamp(start, text_len);
    SourceSpan::new(start.into(), end - start)
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Report").field("code", &self.diag.code).finish()
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diag.message)
    }
}

impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(format!("{}({})", self.diag.code, self.diag.name)))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diag.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.diag.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{SourceFile, SourceId};

    fn diag(start: usize, end: usize) -> Diagnostic {
        Diagnostic {
            code: "RR999",
            name: "test-rule",
            severity: Severity::Warning,
            message: "something odd".into(),
            span: Span::new(SourceId(0), start, end),
            labels: vec![],
            help: Some("do better".into()),
        }
    }

    #[test]
    fn json_positions_are_one_based_and_end_exclusive() {
        let mut map = SourceMap::new();
        map.add(SourceFile::new("a.conf", "[default]\n^1$=x\n"));
        let j = to_json(&diag(10, 13), &map);
        assert_eq!(j["line"], 2);
        assert_eq!(j["column"], 1);
        assert_eq!(j["end_line"], 2);
        assert_eq!(j["end_column"], 4);
        assert_eq!(j["severity"], "warning");
    }

    #[test]
    fn renders_without_colour() {
        let mut map = SourceMap::new();
        map.add(SourceFile::new("a.conf", "[default]\n^1$=x\n"));
        let text = render_human(&diag(10, 13), &map);
        assert!(text.contains("RR999(test-rule)"), "{text}");
        assert!(text.contains("a.conf:2:1"), "{text}");
        assert!(!text.contains('\u{1b}'), "{text}");
    }
}
