//! `[priorities]` options and `[extra]` handlers, read as Yate reads them.

use crate::ini::Document;
use crate::runtime::num::{int_auto, to_boolean};

/// The stock `defaultrule`: "truthy" once its trailing `^` negates it.
pub const STOCK_DEFAULT_RULE: &str = r"^\(false\|no\|off\|disable\|f\|0*\)$^";

/// Global options from `[priorities]` (spec §2.1). Each is read from the first entry
/// of its key; unparsable values give the default, as in Yate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `call.preroute` handler priority; 0 uninstalls it.
    pub preroute: i32,
    /// `call.route` handler priority; 0 uninstalls it.
    pub route: i32,
    /// Status relay priority (kept for migrate; rexroute has no status command).
    pub status: i32,
    /// Compile regexes as POSIX ERE.
    pub extended: bool,
    /// Case-insensitive regexes.
    pub insensitive: bool,
    /// Regex for `${p}` / `$(f)` conditions without one; empty disables it.
    pub defaultrule: String,
    /// Preroute even with a context set or no caller.
    pub prerouteall: bool,
    /// goto/include nesting limit, clamped to 5..=100.
    pub maxdepth: u32,
    /// Handler tracking (`handlers` parameter); see docs/differences.md.
    pub trackparam: bool,
    /// Route `debug` through the rex_debug module.
    pub rex_debug: bool,
    /// On reload, add `[$once]` variables that do not exist yet.
    pub add_once: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            preroute: 100,
            route: 100,
            status: 110,
            extended: false,
            insensitive: false,
            defaultrule: STOCK_DEFAULT_RULE.to_string(),
            prerouteall: false,
            maxdepth: 5,
            trackparam: true,
            rex_debug: true,
            add_once: true,
        }
    }
}

/// The keys of `[priorities]` that mean something.
pub const KNOWN_KEYS: &[&str] = &[
    "preroute",
    "route",
    "status",
    "extended",
    "insensitive",
    "defaultrule",
    "prerouteall",
    "maxdepth",
    "trackparam",
    "rex_debug",
    "add_once",
];

impl Settings {
    /// Reads `[priorities]`.
    pub fn read(doc: &Document) -> Settings {
        let d = Settings::default();
        let get = |k: &str| doc.value("priorities", k);
        let int = |k: &str, dflt: i32| get(k).map_or(dflt, |v| int_auto(v.as_bytes(), dflt));
        let boolean = |k: &str, dflt: bool| get(k).map_or(dflt, |v| to_boolean(v.as_bytes(), dflt));
        Settings {
            preroute: int("preroute", d.preroute),
            route: int("route", d.route),
            status: int("status", d.status),
            extended: boolean("extended", d.extended),
            insensitive: boolean("insensitive", d.insensitive),
            defaultrule: get("defaultrule").map_or(d.defaultrule, str::to_string),
            prerouteall: boolean("prerouteall", d.prerouteall),
            maxdepth: int("maxdepth", 5).clamp(5, 100) as u32,
            trackparam: boolean("trackparam", d.trackparam),
            rex_debug: boolean("rex_debug", d.rex_debug),
            add_once: boolean("add_once", d.add_once),
        }
    }

    /// The regex flags every rule is compiled with.
    pub fn flags(&self) -> crate::regex::Flags {
        crate::regex::Flags { extended: self.extended, insensitive: self.insensitive }
    }
}

/// An `[extra]` handler filter: exact text, or a basic regex when it starts with `^`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    /// Parameter tested.
    pub param: String,
    /// Exact value or `^regex`.
    pub value: String,
}

/// One `[extra]` handler (spec §2.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extra {
    /// Message name it handles.
    pub message: String,
    /// Priority (lower runs first).
    pub priority: i32,
    /// Parameter giving the match string; `None`: the message name.
    pub match_param: Option<String>,
    /// Context evaluated.
    pub context: String,
    /// Optional filter.
    pub filter: Option<Filter>,
    /// The entry it came from.
    pub span: crate::source::Span,
}

/// Reads `[extra]`. Returns the handlers and the entries whose context is missing.
pub fn read_extras(doc: &Document) -> (Vec<Extra>, Vec<Extra>) {
    let mut ok: Vec<Extra> = Vec::new();
    let mut missing = Vec::new();
    let Some(sect) = doc.section("extra") else { return (ok, missing) };
    for e in &sect.entries {
        let parts: Vec<&str> = e.value.split(',').collect();
        let piece = |i: usize| parts.get(i).copied().unwrap_or("");
        let priority = int_auto(piece(0).as_bytes(), 100);
        let match_param = Some(piece(1)).filter(|p| !p.is_empty()).map(str::to_string);
        let context = if piece(2).is_empty() { e.key.clone() } else { piece(2).to_string() };
        let filter = (!piece(3).is_empty() && !piece(4).is_empty())
            .then(|| Filter { param: piece(3).to_string(), value: piece(4).to_string() });
        let x = Extra { message: e.key.clone(), priority, match_param, context, filter, span: e.span };
        if doc.section(&x.context).is_none() {
            missing.push(x);
        } else if !ok.iter().any(|o| same_handler(o, &x)) {
            ok.push(x);
        }
    }
    (ok, missing)
}

fn same_handler(a: &Extra, b: &Extra) -> bool {
    a.message == b.message
        && a.priority == b.priority
        && a.match_param == b.match_param
        && a.context == b.context
        && a.filter == b.filter
}
