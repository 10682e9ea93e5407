//! The `[priorities]` options and how Yate parses each (spec §2.1).
//!
//! This repeats the key list of `ir::settings::KNOWN_KEYS`, which its module keeps
//! private, together with the type lint needs to judge a value.

/// How Yate reads an option's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `toInteger` with automatic base; trailing junk gives the default.
    Int,
    /// `toBoolean`: only the exact words count.
    Bool,
    /// Taken as written.
    Text,
}

/// Every option: name, kind, and its default as Yate would print it.
pub const OPTIONS: &[(&str, Kind, &str)] = &[
    ("preroute", Kind::Int, "100"),
    ("route", Kind::Int, "100"),
    ("status", Kind::Int, "110"),
    ("extended", Kind::Bool, "no"),
    ("insensitive", Kind::Bool, "no"),
    ("defaultrule", Kind::Text, ""),
    ("prerouteall", Kind::Bool, "no"),
    ("maxdepth", Kind::Int, "5"),
    ("trackparam", Kind::Bool, "yes"),
    ("rex_debug", Kind::Bool, "yes"),
    ("add_once", Kind::Bool, "yes"),
];

/// The option called `key`.
pub fn option(key: &str) -> Option<(Kind, &'static str)> {
    OPTIONS.iter().find(|(k, _, _)| *k == key).map(|(_, kind, d)| (*kind, *d))
}

/// The option names, for messages.
pub fn names() -> Vec<&'static str> {
    OPTIONS.iter().map(|(k, _, _)| *k).collect()
}
