//! `rexroute migrate YATE_CONF_DIR --out DIR`: what rexroute makes of a Yate configuration folder.
//!
//! Every item found is put in one of four groups (runs as in Yate, read differently,
//! ignored, not supported yet) with its `file:line`. The files `rexroute serve` reads
//! are copied to DIR beside `MIGRATION.md`. See `docs/migrate.md`.

use crate::ini::{self, Document, Note};
use crate::ir::{classify, template_trim, Action, Ir, Keyword};
use crate::runtime::num::{int_auto, to_boolean};
use crate::runtime::subst::MAX_EVALUATIONS;
use crate::runtime::vm::MAX_SLEEP_MS;
use crate::sip::regfile::Support;
use crate::source::{SourceId, Span};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `migrate`.
#[derive(clap::Args, Debug)]
pub struct MigrateArgs {
    /// Yate's configuration folder (the one holding regexroute.conf).
    dir: PathBuf,
    /// Where to write the files `rexroute serve` uses and MIGRATION.md.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

/// How rexroute treats an item, in report order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Group {
    Same,
    Differs,
    Ignored,
    Unsupported,
}

impl Group {
    const ALL: [Group; 4] = [Group::Same, Group::Differs, Group::Ignored, Group::Unsupported];

    fn title(self) -> &'static str {
        match self {
            Group::Same => "Runs as in Yate",
            Group::Differs => "Read differently",
            Group::Ignored => "Ignored",
            Group::Unsupported => "Not supported yet",
        }
    }
}

/// One report line.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Item {
    group: Group,
    /// Sort key: file order, then line.
    order: (usize, usize),
    /// `file:line`, or just `file` for whole files.
    place: String,
    text: String,
}

/// The SIP files `rexroute serve` reads besides regexroute.conf; each option is reported.
const SIP_FILES: [&str; 3] = ["regfile.conf", "ysipchan.conf", "lateroute.conf"];

/// Runs `migrate`.
pub fn run(a: MigrateArgs) -> ExitCode {
    match migrate(&a.dir, &a.out) {
        Ok((report, unsupported)) => {
            print!("{report}");
            eprintln!("wrote {}", a.out.join("MIGRATION.md").display());
            if unsupported {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// Analyses `dir`, writes `out`; returns the report and whether anything is unsupported.
fn migrate(dir: &Path, out: &Path) -> Result<(String, bool), String> {
    if !dir.is_dir() {
        return Err(format!("{}: not a directory", dir.display()));
    }
    let conf = dir.join("regexroute.conf");
    if !conf.is_file() {
        return Err(format!("{}: no regexroute.conf in this directory", dir.display()));
    }
    let canon_dir = dir.canonicalize().map_err(|e| format!("{}: {e}", dir.display()))?;
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let canon_out = out.canonicalize().map_err(|e| format!("{}: {e}", out.display()))?;
    if canon_out == canon_dir {
        return Err("--out must not be the Yate configuration directory itself".to_string());
    }
    let (doc, ir) = super::load(&conf)?;
    let mut m = Migration::new(&doc, &ir, canon_dir, canon_out);
    m.analyse(dir)?;
    let report = m.render(dir);
    for (src, rel) in &m.copies {
        let to = out.join(rel);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        std::fs::copy(src, &to).map_err(|e| format!("copying {} to {}: {e}", src.display(), to.display()))?;
    }
    let md = out.join("MIGRATION.md");
    std::fs::write(&md, &report).map_err(|e| format!("{}: {e}", md.display()))?;
    let unsupported = m.items.iter().any(|i| i.group == Group::Unsupported);
    Ok((report, unsupported))
}

struct Migration<'a> {
    doc: &'a Document,
    ir: &'a Ir,
    canon_out: PathBuf,
    /// Display name of every loaded file: relative to the folder when inside it.
    names: Vec<String>,
    /// Files to copy: (source, path relative to the output folder).
    copies: Vec<(PathBuf, PathBuf)>,
    items: Vec<Item>,
    /// Whether some rule calls `$(config,…)`, which Yate answers from yate.conf.
    uses_config: bool,
}

/// `s` as a markdown code span, whatever backticks it holds.
fn code(s: &str) -> String {
    let longest = s.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    if longest > 0 {
        format!("{fence} {s} {fence}")
    } else {
        format!("{fence}{s}{fence}")
    }
}

/// Physical lines as Yate splits them (LF, CR or CR LF): (start offset, text).
fn physical_lines(text: &str) -> Vec<(usize, &str)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\n' || b[i] == b'\r' {
            out.push((start, &text[start..i]));
            if b[i] == b'\r' && b.get(i + 1) == Some(&b'\n') {
                i += 1;
            }
            start = i + 1;
        }
        i += 1;
    }
    if start < b.len() {
        out.push((start, &text[start..]));
    }
    out
}

/// `tok` as a whole word at the start of `s`, and the rest after its whitespace.
fn word<'s>(s: &'s str, tok: &str) -> Option<&'s str> {
    let rest = s.strip_prefix(tok)?;
    match rest.chars().next() {
        None => Some(rest),
        Some(' ' | '\t' | '\r' | '\n') => Some(rest.trim_start_matches([' ', '\t', '\r', '\n'])),
        Some(_) => None,
    }
}

/// The `$enabled` state after a `[$enabled COND]` line, as rexroute's loader decides it:
/// no run parameters, and only `regexroute` loaded.
fn enabled_after(current: bool, cond: &str) -> bool {
    let cond = ini_run_params(cond);
    if cond == "else" || cond == "toggle" {
        return !current;
    }
    if let Some(rest) = word(&cond, "elseif") {
        return !current && condition(rest);
    }
    condition(&cond)
}

fn condition(cond: &str) -> bool {
    let (neg, cond) = match word(cond, "$not") {
        Some(rest) => (true, rest),
        None => (false, cond),
    };
    let loaded = |m: &str| m.trim_matches([' ', '\t']) == "regexroute";
    let result = if let Some(m) = word(cond, "$loaded") {
        loaded(m)
    } else if let Some(m) = word(cond, "$unloaded") {
        !loaded(m)
    } else if let Some(x) = word(cond, "$filled") {
        !x.is_empty()
    } else if let Some(x) = word(cond, "$empty") {
        x.is_empty()
    } else if let Some(x) = word(cond, "$bool") {
        to_boolean(x.as_bytes(), false)
    } else {
        to_boolean(cond.as_bytes(), true)
    };
    result != neg
}

/// `tok`, then at least one blank, then the argument (as Yate's include directives).
fn directive<'s>(name: &'s str, tok: &str) -> Option<&'s str> {
    let rest = name.strip_prefix(tok)?;
    rest.starts_with([' ', '\t']).then(|| rest.trim_matches([' ', '\t']))
}

/// Every `$(…)` call in `text`: (offset of `$(`, end, inside). Calls do not nest, and an
/// unclosed one ends the scan, as in Yate.
fn calls(text: &str) -> Vec<(usize, usize, &str)> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(open) = text[at..].find("$(").map(|p| p + at) {
        let Some(close) = text[open + 2..].find(')').map(|p| p + open + 2) else { break };
        out.push((open, close + 1, &text[open + 2..close]));
        at = close + 1;
    }
    out
}

fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// `value` names a boolean Yate understands.
fn is_bool(value: &str) -> bool {
    to_boolean(value.as_bytes(), true) == to_boolean(value.as_bytes(), false)
}

fn is_int(value: &str) -> bool {
    int_auto(value.as_bytes(), 1) == int_auto(value.as_bytes(), 2)
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

impl<'a> Migration<'a> {
    fn new(doc: &'a Document, ir: &'a Ir, canon_dir: PathBuf, canon_out: PathBuf) -> Self {
        let mut names = Vec::new();
        let mut copies = Vec::new();
        for (_, f) in doc.sources.files() {
            let rel = f.path.canonicalize().ok().and_then(|c| {
                let rel = c.strip_prefix(&canon_dir).ok()?.to_path_buf();
                rel.components().all(|k| matches!(k, Component::Normal(_))).then_some(rel)
            });
            match rel {
                Some(r) => {
                    names.push(r.display().to_string());
                    if !copies.iter().any(|(_, c)| c == &r) {
                        copies.push((f.path.clone(), r));
                    }
                }
                None => names.push(f.path.display().to_string()),
            }
        }
        Migration { doc, ir, canon_out, names, copies, items: Vec::new(), uses_config: false }
    }

    fn at(&mut self, group: Group, span: Span, text: String) {
        let file = span.source.0 as usize;
        let line = self.doc.sources.get(span.source).map_or(0, |f| f.line_col(span.start).0);
        let name = self.names.get(file).cloned().unwrap_or_else(|| "?".to_string());
        self.items.push(Item { group, order: (file, line), place: format!("{name}:{line}"), text });
    }

    /// An item about a whole file outside the loaded configuration, listed after it.
    fn file_item(&mut self, group: Group, name: &str, text: String) {
        let order = (usize::MAX, self.items.len());
        self.items.push(Item { group, order, place: name.to_string(), text });
    }

    fn analyse(&mut self, dir: &Path) -> Result<(), String> {
        self.sections();
        self.priorities();
        self.extras();
        self.directives();
        self.notes();
        self.functions();
        self.msleeps();
        self.self_references();
        self.outside_files();
        self.other_files(dir)?;
        self.items.sort();
        self.items.dedup();
        Ok(())
    }

    fn sections(&mut self) {
        let s = &self.ir.settings;
        for sec in &self.doc.sections {
            let Some(&head) = sec.headers.first() else { continue };
            let n = sec.entries.len();
            let rules = count(n, "rule");
            let vars = count(n, "global variable");
            let name = code(&format!("[{}]", sec.name));
            let text = match sec.name.as_str() {
                "priorities" | "extra" => continue,
                "$once" => format!("{name}: {vars} set on the first load"),
                "$init" => format!("{name}: {vars} set at every load"),
                "contexts" if s.preroute == 0 => {
                    format!("{name}: not run, `preroute` is 0 so no call.preroute handler is installed")
                }
                "contexts" => format!("{name}: preroute context, {rules} (call.preroute at priority {})", s.preroute),
                "default" if s.route == 0 => {
                    format!("{name}: not run by call.route, `route` is 0 so no call.route handler is installed")
                }
                "default" => format!("{name}: route context for calls without a `context` parameter, {rules}"),
                _ => format!("{name}: context, {rules}"),
            };
            self.at(Group::Same, head, text);
        }
    }

    fn priorities(&mut self) {
        let Some(sec) = self.doc.section("priorities") else { return };
        let s = self.ir.settings.clone();
        let mut first: BTreeMap<&str, Span> = BTreeMap::new();
        for e in &sec.entries {
            let k = e.key.as_str();
            let shown = code(&format!("{k}={}", e.value));
            if let Some(&earlier) = first.get(k) {
                let line = self.doc.sources.get(earlier.source).map_or(0, |f| f.line_col(earlier.start).0);
                let text = format!("{shown}: only the first `{k}` (line {line}) counts, as in Yate");
                self.at(Group::Ignored, e.span, text);
                continue;
            }
            first.insert(k, e.span);
            let v = e.value.as_str();
            let not_bool = |d: bool| {
                if is_bool(v) {
                    String::new()
                } else {
                    format!(" (`{v}` is not a Yate boolean: the default `{}` applies, as in Yate)", yes_no(d))
                }
            };
            let not_int = |d: i32| {
                if is_int(v) {
                    String::new()
                } else {
                    format!(" (`{v}` is not an integer: the default {d} applies, as in Yate)")
                }
            };
            let (group, what) = match k {
                "preroute" | "route" => {
                    let p = if k == "route" { s.route } else { s.preroute };
                    let what = if p == 0 {
                        format!("no call.{k} handler is installed")
                    } else {
                        format!("call.{k} handler at priority {p}")
                    };
                    (Group::Same, format!("{what}{}", not_int(100)))
                }
                "extended" => {
                    (Group::Same, format!("POSIX extended regexes: {}{}", yes_no(s.extended), not_bool(false)))
                }
                "insensitive" => {
                    (Group::Same, format!("case-insensitive regexes: {}{}", yes_no(s.insensitive), not_bool(false)))
                }
                "prerouteall" => {
                    (Group::Same, format!("preroute every call: {}{}", yes_no(s.prerouteall), not_bool(false)))
                }
                "add_once" => (
                    Group::Same,
                    format!("add new `[$once]` variables on reload: {}{}", yes_no(s.add_once), not_bool(true)),
                ),
                "defaultrule" if v.is_empty() => {
                    (Group::Same, "the default rule is disabled: `${p}=` and `$(f)=` conditions never match".into())
                }
                "defaultrule" => (Group::Same, "the default rule of `${p}=` and `$(f)=` conditions".to_string()),
                "maxdepth" => {
                    let clamped = is_int(v) && int_auto(v.as_bytes(), 5) != s.maxdepth as i32;
                    let note = if clamped { " (clamped to 5..100, as in Yate)" } else { "" };
                    (Group::Same, format!("goto/include depth limit {}{note}{}", s.maxdepth, not_int(5)))
                }
                "status" => (Group::Ignored, "rexroute has no `status` command; the priority is not used".into()),
                "trackparam" if !s.trackparam => {
                    (Group::Same, "no handler tracking: messages get no `handlers` parameter, as in rexroute".into())
                }
                "trackparam" => (
                    Group::Differs,
                    "rexroute does not add the `handlers` parameter that Yate's handler tracking appends \
                     (seen by `$(message,parameters)` and `$(message,count)`)"
                        .into(),
                ),
                "rex_debug" => (
                    Group::Differs,
                    "`debug` lines go to rexroute's log at their level; there is no rex_debug module to \
                     filter them"
                        .into(),
                ),
                _ => (Group::Ignored, "not a regexroute option; Yate ignores it too".into()),
            };
            self.at(group, e.span, format!("`[priorities]` {shown}: {what}"));
        }
    }

    fn extras(&mut self) {
        let Some(sec) = self.doc.section("extra") else { return };
        let ok = &self.ir.extras;
        for e in &sec.entries {
            let shown = code(&format!("{}={}", e.key, e.value));
            let blanks: Vec<&str> = e.value.split(',').skip(1).filter(|p| p.trim_matches([' ', '\t']) != *p).collect();
            let pitfall = match blanks.first() {
                Some(p) => format!(" (note: the piece {} keeps its blanks, as in Yate)", code(p)),
                None => String::new(),
            };
            let (group, what) = if let Some(x) = ok.iter().find(|x| x.span == e.span) {
                let from = match &x.match_param {
                    Some(p) => format!("parameter {}", code(p)),
                    None => "the message name".to_string(),
                };
                let filter = match &x.filter {
                    Some(f) => format!(", only when {} matches {}", code(&f.param), code(&f.value)),
                    None => String::new(),
                };
                let what = format!(
                    "handler for {} at priority {}, matching {from} in context {}{filter}",
                    code(&x.message),
                    x.priority,
                    code(&format!("[{}]", x.context))
                );
                (Group::Same, what)
            } else if self.doc.section(&extra_context(&e.key, &e.value)).is_none() {
                let what = format!(
                    "no handler: context {} does not exist (Yate logs \"Missing context\" and installs none)",
                    code(&format!("[{}]", extra_context(&e.key, &e.value)))
                );
                (Group::Ignored, what)
            } else {
                (Group::Ignored, "same handler as an earlier entry; installed once, as in Yate".to_string())
            };
            self.at(group, e.span, format!("`[extra]` {shown}: {what}{pitfall}"));
        }
    }

    /// Include and `$enabled` directives, found on the raw lines (the loader keeps only
    /// the ones that failed, as notes). Follows `$enabled` regions and continuation lines
    /// as the loader does, so a directive in a skipped region is not taken as followed.
    fn directives(&mut self) {
        let files: Vec<(SourceId, PathBuf, String)> =
            self.doc.sources.files().map(|(id, f)| (id, f.dir().to_path_buf(), f.text.clone())).collect();
        for (id, dir, text) in &files {
            let mut enabled = true;
            let mut continued = false;
            for (start, line) in physical_lines(text) {
                let body = line.trim_start_matches([' ', '\t']);
                if continued {
                    continued = !body.is_empty() && body.ends_with('\\');
                    continue;
                }
                if body.is_empty() || body.starts_with(';') {
                    continue;
                }
                if !body.starts_with('[') {
                    continued = body.find('=').is_some_and(|eq| eq > 0) && body.ends_with('\\');
                    continue;
                }
                let Some(close) = body.find(']') else { continue };
                let at = start + (line.len() - body.len());
                let name = body[1..close].trim_matches([' ', '\t']);
                let span = Span::new(*id, at, at + close + 1);
                self.directive_line(span, name, dir, &mut enabled);
            }
        }
    }

    fn has_note(&self, span: Span) -> bool {
        self.doc.notes.iter().any(|n| {
            let s = n.span();
            s.source == span.source && s.start >= span.start && s.start <= span.end
        })
    }

    fn directive_line(&mut self, span: Span, name: &str, dir: &Path, enabled: &mut bool) {
        let shown = code(&format!("[{name}]"));
        let run_params = format!(
            "{shown}: rexroute has no engine run parameters (`configpath`, `nodename`, ...), so each \
             `${{…}}` becomes its default or nothing"
        );
        if let Some(cond) = word(name, "$enabled") {
            if name.contains("${") {
                self.at(Group::Differs, span, run_params);
            }
            *enabled = enabled_after(*enabled, cond);
            if cond.contains("$loaded") || cond.contains("$unloaded") {
                let effect = if *enabled { "read" } else { "skipped" };
                let text = format!(
                    "{shown}: rexroute counts only `regexroute` as a loaded module, so the lines up to the \
                     next `[$enabled]` are {effect}"
                );
                self.at(Group::Differs, span, text);
            }
            return;
        }
        let file_kinds = ["$includesilent", "$include", "$require"];
        let section_kinds = ["$includesectionsilent", "$includesection", "$requiresection"];
        let file_arg = file_kinds.iter().find_map(|k| directive(name, k));
        let section_arg = section_kinds.iter().find_map(|k| directive(name, k));
        if !*enabled {
            if file_arg.is_some() || section_arg.is_some() {
                let text = format!("{shown}: inside a disabled `$enabled` region, not followed");
                self.at(Group::Ignored, span, text);
            }
            return;
        }
        if name.contains("${") {
            self.at(Group::Differs, span, run_params);
        }
        if self.has_note(span) {
            return;
        }
        if let Some(arg) = file_arg {
            let path = ini_run_params(arg);
            let full = if path.starts_with('/') { PathBuf::from(&path) } else { dir.join(&path) };
            let read: Vec<String> = self
                .doc
                .sources
                .files()
                .filter(|(_, f)| f.path == full || f.path.parent() == Some(full.as_path()))
                .map(|(id, _)| code(&self.names.get(id.0 as usize).cloned().unwrap_or_default()))
                .collect();
            let text = if read.is_empty() {
                format!("{shown}: followed, but the folder holds no file to read")
            } else {
                format!("{shown}: followed, reads {}", read.join(", "))
            };
            self.at(Group::Same, span, text);
        } else if let Some(arg) = section_arg {
            let used = self.doc.sections.iter().flat_map(|s| &s.entries).any(|e| e.via == Some(span));
            let target = code(&format!("[{}]", ini_run_params(arg)));
            let text = if used {
                format!("{shown}: copies the entries of {target} here")
            } else {
                format!("{shown}: copies nothing, {target} is empty")
            };
            self.at(Group::Same, span, text);
        }
    }

    fn notes(&mut self) {
        for n in &self.doc.notes {
            let (group, text) = match n {
                Note::InvalidUtf8 { .. } => {
                    (Group::Differs, format!("{n}; Yate matches the raw bytes, so rules on them may differ"))
                }
                _ => (Group::Ignored, format!("{n}, as in Yate")),
            };
            self.at(group, n.span(), text);
        }
    }

    /// Functions whose result depends on the host engine, in rules and global values.
    fn functions(&mut self) {
        let trackparam = self.ir.settings.trackparam;
        let mut found: Vec<(Span, String)> = Vec::new();
        for sec in &self.doc.sections {
            if sec.name == "priorities" || sec.name == "extra" {
                continue;
            }
            for e in &sec.entries {
                for (start, end, inner) in calls(&e.key) {
                    if let Some(t) = host_dependent(inner, trackparam) {
                        found.push((e.key_span.sub(start, end), t));
                    }
                }
                for (start, end, inner) in calls(&e.value) {
                    if let Some(t) = host_dependent(inner, trackparam) {
                        found.push((e.value_span(start, end), t));
                    }
                }
            }
        }
        for (span, text) in found {
            if text.starts_with("`$(config") {
                self.uses_config = true;
            }
            self.at(Group::Differs, span, text);
        }
    }

    fn msleeps(&mut self) {
        let mut found = Vec::new();
        for ctx in &self.ir.contexts {
            for r in &ctx.rules {
                let Action::Plain { first, keyword, .. } = &r.action else { continue };
                match keyword {
                    Some(Keyword::Msleep(ms)) if *ms > MAX_SLEEP_MS => found.push((
                        Group::Differs,
                        r.span,
                        format!("`msleep {ms}`: rexroute sleeps at most 60 s (60000 ms) per call"),
                    )),
                    Some(Keyword::Msleep(ms)) => {
                        found.push((Group::Same, r.span, format!("`msleep {ms}`: sleeps {ms} ms, as in Yate")))
                    }
                    None if matches!(classify(template_trim(&first.text)), Keyword::Msleep(_)) => found.push((
                        Group::Differs,
                        r.span,
                        "`msleep` with a computed duration: rexroute sleeps at most 60 s per call".to_string(),
                    )),
                    _ => {}
                }
            }
        }
        for (g, span, text) in found {
            self.at(g, span, text);
        }
    }

    /// Global variables whose value calls back into themselves: Yate re-expands such a
    /// value forever; rexroute's expansion cap stops it.
    fn self_references(&mut self) {
        let mut vars: Vec<(&str, &str, Span)> = Vec::new();
        for sec in ["$once", "$init"] {
            if let Some(s) = self.doc.section(sec) {
                vars.extend(s.entries.iter().map(|e| (e.key.as_str(), e.value.as_str(), e.span)));
            }
        }
        let refs = |value: &str| -> Vec<String> {
            let mut out = Vec::new();
            for (_, _, inner) in calls(value) {
                let t = inner.trim_matches([' ', '\t']);
                // Only a bare call inserts the raw value, which is then expanded again.
                let bare = !matches!(t.find(','), Some(p) if p > 0);
                if bare && !t.starts_with("++") && !t.starts_with("--") {
                    out.push(t.to_string());
                }
            }
            out
        };
        let graph: BTreeMap<&str, Vec<String>> = vars.iter().map(|(k, v, _)| (*k, refs(v))).collect();
        let mut reported = BTreeSet::new();
        for (name, _, span) in &vars {
            if reported.contains(name) || !reaches(&graph, name, name) {
                continue;
            }
            reported.insert(*name);
            let text = format!(
                "global {} expands into itself when read with {}: Yate loops forever, rexroute stops \
                 after {MAX_EVALUATIONS} function calls and logs a warning",
                code(&format!("${name}")),
                code(&format!("$({name})"))
            );
            self.at(Group::Differs, *span, text);
        }
    }

    /// Included files that lie outside the folder are read from where they are.
    fn outside_files(&mut self) {
        let outside: Vec<(Span, String)> = self
            .doc
            .sources
            .files()
            .filter(|(_, f)| !self.copies.iter().any(|(src, _)| src == &f.path))
            .map(|(id, f)| (Span::new(id, 0, 0), f.path.display().to_string()))
            .collect();
        for (span, path) in outside {
            let text = format!("{} lies outside the folder: not copied, still read from there", code(&path));
            self.at(Group::Differs, span, text);
        }
    }

    /// The other files of the Yate folder: SIP files option by option, the rest ignored.
    fn other_files(&mut self, dir: &Path) -> Result<(), String> {
        let mut names = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
            let entry = entry.map_err(|e| format!("{}: {e}", dir.display()))?;
            names.push((entry.file_name().to_string_lossy().into_owned(), entry.path()));
        }
        names.sort();
        for (name, path) in names {
            let canon = path.canonicalize().ok();
            if name.starts_with('.') || canon.as_deref() == Some(self.canon_out.as_path()) {
                continue;
            }
            let copied = self.copies.iter().any(|(_, rel)| rel.starts_with(&name));
            if copied {
                continue;
            }
            if SIP_FILES.contains(&name.as_str()) && path.is_file() {
                self.sip_file(&path, &name)?;
            } else if name == "Configuration_use_old" {
                let text = "Yate then uses its legacy parser (1023-byte lines); rexroute always reads with \
                            the current one"
                    .to_string();
                self.file_item(Group::Differs, &name, text);
            } else if name == "yate.conf" {
                self.yate_conf(&path, &name);
            } else if path.is_dir() {
                self.file_item(Group::Ignored, &format!("{name}/"), "folder not used by regexroute.conf".into());
            } else {
                self.file_item(Group::Ignored, &name, "not read by rexroute".into());
            }
        }
        Ok(())
    }

    /// Every option of a SIP file, in file order, and the file among the copies.
    fn sip_file(&mut self, path: &Path, name: &str) -> Result<(), String> {
        let doc = ini::load(path, &ini::LoadOptions::default(), &ini::RealFs)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let mut items = match name {
            "regfile.conf" => crate::sip::regfile::Users::from_document(&doc, &[]).1,
            "ysipchan.conf" => super::migrate_sip::ysipchan(&doc),
            _ => super::migrate_sip::lateroute(&doc),
        };
        let line = |span: Span| doc.sources.get(span.source).map_or(0, |f| f.line_col(span.start).0);
        items.sort_by_key(|i| line(i.span));
        if items.is_empty() {
            self.file_item(Group::Same, name, "no options: Yate's defaults, which rexroute shares".into());
        }
        for i in items {
            let group = match i.status {
                Support::Same => Group::Same,
                Support::Differs => Group::Differs,
                Support::Ignored => Group::Ignored,
                Support::Unsupported => Group::Unsupported,
            };
            let text = format!("{}: {}", code(&i.option), i.note);
            let order = (usize::MAX, self.items.len());
            self.items.push(Item { group, order, place: format!("{name}:{}", line(i.span)), text });
        }
        self.copies.push((path.to_path_buf(), PathBuf::from(name)));
        Ok(())
    }

    fn yate_conf(&mut self, path: &Path, name: &str) {
        let mut text = "engine configuration, not read by rexroute".to_string();
        if self.uses_config {
            text.push_str("; `$(config,…)` in the rules does not see it");
        }
        self.file_item(Group::Ignored, name, text);
        let Ok(doc) = ini::load(path, &ini::LoadOptions::default(), &ini::RealFs) else { return };
        let Some(sec) = doc.section("configuration") else { return };
        let defaults: [(&str, &str); 5] = [
            ("max_depth", "10"),
            ("check_recursive_include", "yes"),
            ("disable_include_silent", "no"),
            ("include_empty", "no"),
            ("warnings", "no"),
        ];
        for e in &sec.entries {
            let Some((_, d)) = defaults.iter().find(|(k, _)| *k == e.key) else { continue };
            let same = if e.key == "max_depth" {
                int_auto(e.value.as_bytes(), 10).clamp(3, 50) == 10
            } else {
                to_boolean(e.value.as_bytes(), *d == "yes") == (*d == "yes")
            };
            if same {
                continue;
            }
            let line = doc.sources.get(e.span.source).map_or(0, |f| f.line_col(e.span.start).0);
            let text = format!(
                "`[configuration]` {}: rexroute's loader keeps the default `{}={d}`",
                code(&format!("{}={}", e.key, e.value)),
                e.key
            );
            self.items.push(Item {
                group: Group::Differs,
                order: (usize::MAX, self.items.len()),
                place: format!("{name}:{line}"),
                text,
            });
        }
    }

    fn render(&self, dir: &Path) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "# Migrating {} to rexroute\n", code(&dir.display().to_string()));
        let included = count(self.names.len().saturating_sub(1), "included file");
        let _ = writeln!(
            s,
            "rexroute read `regexroute.conf` and {included}. Each item says where it is (`file:line`) and \
             what rexroute does with it.\n"
        );
        for g in Group::ALL {
            let n = self.items.iter().filter(|i| i.group == g).count();
            let _ = writeln!(s, "- {}: {n}", g.title());
        }
        let unsupported = self.items.iter().filter(|i| i.group == Group::Unsupported).count();
        if unsupported == 0 {
            s.push_str("\nEverything this directory uses is supported.\n");
        } else {
            let n = count(unsupported, "item");
            let _ = writeln!(s, "\n{n} not supported yet: `rexroute migrate` exits with status 1.");
        }
        for g in Group::ALL {
            let _ = writeln!(s, "\n## {}\n", g.title());
            let mut any = false;
            for i in self.items.iter().filter(|i| i.group == g) {
                let _ = writeln!(s, "- {}: {}", code(&i.place), i.text);
                any = true;
            }
            if !any {
                s.push_str("None.\n");
            }
        }
        s.push_str("\n## Copied files\n\n");
        for (_, rel) in &self.copies {
            let _ = writeln!(s, "- {}", code(&rel.display().to_string()));
        }
        let _ = writeln!(
            s,
            "\n## Everywhere\n\nThese differences hold for every configuration: `msleep` sleeps at most 60 s \
             per call; a `$(…)` expansion stops after {MAX_EVALUATIONS} function calls (Yate loops forever \
             on a variable that expands into itself); the engine facts behind `$(engine)`, `$(loaded)`, \
             `$(config)`, `$(transcode)` and `$(timestamp)` are rexroute's own."
        );
        s
    }
}

/// Run-parameter substitution with no run parameters, as rexroute's loader does:
/// `${name$default}` becomes `default`, `${name}` nothing.
fn ini_run_params(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(open) = rest.find("${") {
        let Some(close) = rest[open..].find('}').map(|c| c + open) else { break };
        out.push_str(&rest[..open]);
        let inner = &rest[open + 2..close];
        if let Some(d) = inner.find('$') {
            out.push_str(inner[d + 1..].trim_matches([' ', '\t']));
        }
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out.trim_matches([' ', '\t']).to_string()
}

/// The context an `[extra]` entry names: its third piece, or the message name.
fn extra_context(key: &str, value: &str) -> String {
    match value.split(',').nth(2) {
        Some(c) if !c.is_empty() => c.to_string(),
        _ => key.to_string(),
    }
}

/// Whether `to` is reachable from `from` in one or more steps.
fn reaches(graph: &BTreeMap<&str, Vec<String>>, from: &str, to: &str) -> bool {
    let mut stack: Vec<&str> = graph.get(from).map(|v| v.iter().map(String::as_str).collect()).unwrap_or_default();
    let mut seen = BTreeSet::new();
    while let Some(n) = stack.pop() {
        if n == to {
            return true;
        }
        if seen.insert(n) {
            if let Some(next) = graph.get(n) {
                stack.extend(next.iter().map(String::as_str));
            }
        }
    }
    false
}

/// What a `$(…)` call returns differently under rexroute, if anything.
fn host_dependent(inner: &str, trackparam: bool) -> Option<String> {
    let t = inner.trim_matches([' ', '\t']);
    let (name, par) = match t.find(',') {
        Some(p) if p > 0 => (&t[..p], Some(&t[p + 1..])),
        _ => (t, None),
    };
    let two = par.is_some_and(|p| p.contains(','));
    let call = code(&format!("$({t})"));
    let why = match name {
        "config" if two => "reads rexroute's engine configuration, which is empty unless provided, not yate.conf",
        "transcode" if two => "knows only the slin, alaw and mulaw formats, not Yate's loaded codecs",
        "timestamp" => "gives `YYYYMMDDhhmmss.uuuuuu` in UTC; Yate uses its log timestamp format",
        "threadname" => "names rexroute's threads, not Yate's",
        "engine" => "sees rexroute's run parameters: `version` 6.4.1, `runid`, an empty `nodename`, nothing else",
        "nodename" => "is empty under rexroute",
        "runid" => "is rexroute's start time",
        "loaded" => "is `true` only for `regexroute` under rexroute",
        "accepting" => "is always `accept` under rexroute",
        "message" => {
            let what = match par {
                Some(p) => match p.find(',') {
                    Some(c) => p[..c].trim_matches([' ', '\t']),
                    None => p,
                },
                None => "",
            };
            if !trackparam || !(what == "parameters" || what == "count") {
                return None;
            }
            "does not include the `handlers` parameter Yate's handler tracking adds"
        }
        _ => return None,
    };
    Some(format!("{call} {why}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_calls_like_yate() {
        let c = calls("a$(config,general,x)b$(length,$(upper,z))$(open");
        let inner: Vec<&str> = c.iter().map(|x| x.2).collect();
        assert_eq!(inner, ["config,general,x", "length,$(upper,z"]);
    }

    #[test]
    fn host_dependent_needs_the_full_form() {
        assert!(host_dependent("config,general,x", true).is_some());
        assert!(host_dependent("config,general", true).is_none());
        assert!(host_dependent("config", true).is_none());
        assert!(host_dependent("message,count", true).is_some());
        assert!(host_dependent("message,count", false).is_none());
        assert!(host_dependent(" timestamp ", true).is_some());
    }

    #[test]
    fn code_spans_survive_backticks() {
        assert_eq!(code("a"), "`a`");
        assert_eq!(code("a`b"), "`` a`b ``");
    }

    #[test]
    fn cycles() {
        let mut g: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        g.insert("a", vec!["b".into()]);
        g.insert("b", vec!["a".into()]);
        g.insert("c", vec!["a".into()]);
        assert!(reaches(&g, "a", "a"));
        assert!(!reaches(&g, "c", "c"));
    }
}
