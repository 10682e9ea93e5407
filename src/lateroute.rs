//! lateroute: `call.execute` / `msg.execute` to `lateroute/<number>` is routed again at execute time.
//!
//! shared/spec/sip.md §3. The handler renames the very message it received to a
//! routing message, dispatches it on the same bus, takes the route result as the
//! new `callto`, renames it back and returns false, so the executing handlers
//! further down the list see the new target.
//!
//! Which routing message a `msg.execute` becomes is our switch,
//! `[general] msg_route` in lateroute.conf (docs/lateroute.md):
//!
//! * `msg.route` (default): what Yate's lateroute did from 2008 to 2013 and what the
//!   seed chat setup (examples/chat) relies on;
//! * `call.route`: current Yate, adding `route_type=msg` unless present.

use crate::bus::{Bus, Cx, Handler};
use crate::ini::Document;
use crate::regex::{Flags, PosixRegex};
use crate::runtime::message::Message;
use crate::runtime::num::to_boolean;
use std::sync::Arc;

/// lateroute's default handler priority.
pub const DEFAULT_PRIORITY: i32 = 75;
/// The default `[general] types`.
pub const DEFAULT_TYPES: &str = "lateroute,route,pstn,voice";

/// The routing message a `msg.execute` becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MsgRoute {
    /// `msg.route`, no `route_type` (Yate before Aug 2013; the seed chat setup).
    MsgRoute,
    /// `call.route` with `route_type=msg` (current Yate).
    CallRoute,
}

/// How a `callto` is recognised and turned into the number to route.
#[derive(Debug)]
enum Matcher {
    /// `^(type1|type2|…)/(.+)$`, the number being the part after the slash.
    Types(Vec<String>),
    /// Legacy `regexp` (POSIX ERE) with the `called` template (`\N` captures).
    Regexp(PosixRegex, String),
}

/// lateroute.conf.
#[derive(Debug)]
pub struct Config {
    /// `[general] enabled`.
    pub enabled: bool,
    /// `[general] priority` (75).
    pub priority: i32,
    /// `[general] msg_route`: ours, see the module documentation.
    pub msg_route: MsgRoute,
    /// `[route type]`: handler name → `route_type` value.
    pub route_types: Vec<(String, String)>,
    matcher: Matcher,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            enabled: true,
            priority: DEFAULT_PRIORITY,
            msg_route: MsgRoute::MsgRoute,
            route_types: default_route_types(),
            matcher: Matcher::Types(split_types(DEFAULT_TYPES)),
        }
    }
}

fn default_route_types() -> Vec<(String, String)> {
    vec![("call.execute".into(), "call".into()), ("msg.execute".into(), "msg".into())]
}

fn split_types(list: &str) -> Vec<String> {
    list.split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).collect()
}

impl Config {
    /// Reads lateroute.conf; the warnings name values that could not be used.
    pub fn from_document(doc: &Document) -> (Config, Vec<String>) {
        let mut warnings = Vec::new();
        let mut cfg = Config::default();
        let general = |k: &str| doc.value("general", k);
        if let Some(p) = general("priority") {
            match p.trim().parse::<i32>() {
                Ok(n) => cfg.priority = n,
                Err(_) => warnings.push(format!("[general] priority={p}: not a number, {DEFAULT_PRIORITY} used")),
            }
        }
        match general("msg_route").map(str::trim) {
            None | Some("msg.route") => {}
            Some("call.route") => cfg.msg_route = MsgRoute::CallRoute,
            Some(other) => warnings.push(format!("[general] msg_route={other}: not msg.route/call.route")),
        }
        let mut has_matcher = true;
        if let Some(re) = general("regexp").filter(|r| !r.trim().is_empty()) {
            let called = general("called").unwrap_or("\\2").to_owned();
            match PosixRegex::compile(re.as_bytes(), Flags { extended: true, insensitive: false }) {
                Ok(r) => cfg.matcher = Matcher::Regexp(r, called),
                Err(e) => {
                    warnings.push(format!("[general] regexp={re}: {}", e.message));
                    has_matcher = false;
                }
            }
        } else if let Some(t) = general("types") {
            let types = split_types(t);
            has_matcher = !types.is_empty();
            cfg.matcher = Matcher::Types(types);
        }
        cfg.enabled = general("enabled").map_or(has_matcher, |v| to_boolean(v.as_bytes(), has_matcher)) && has_matcher;
        if let Some(s) = doc.section("route type") {
            for e in &s.entries {
                match cfg.route_types.iter_mut().find(|(k, _)| *k == e.key) {
                    Some(slot) => slot.1 = e.value.clone(),
                    None => cfg.route_types.push((e.key.clone(), e.value.clone())),
                }
            }
        }
        (cfg, warnings)
    }

    /// The number to route for `callto`, before `${param}` expansion.
    fn target(&self, callto: &[u8]) -> Option<Vec<u8>> {
        match &self.matcher {
            Matcher::Types(types) => {
                let slash = callto.iter().position(|&b| b == b'/')?;
                let (kind, rest) = (&callto[..slash], &callto[slash + 1..]);
                (types.iter().any(|t| t.as_bytes() == kind) && !rest.is_empty()).then(|| rest.to_vec())
            }
            Matcher::Regexp(re, template) => {
                let slots = re.exec(callto)?;
                let mut out = Vec::new();
                let mut bytes = template.bytes();
                while let Some(b) = bytes.next() {
                    if b != b'\\' {
                        out.push(b);
                        continue;
                    }
                    match bytes.next() {
                        Some(d @ b'0'..=b'9') => {
                            if let Some(Some((s, e))) = slots.get(usize::from(d - b'0')) {
                                out.extend_from_slice(&callto[*s..*e]);
                            }
                        }
                        Some(other) => out.push(other),
                        None => out.push(b'\\'),
                    }
                }
                Some(out)
            }
        }
    }
}

/// `${name}` replaced by the message's parameter (empty when absent).
fn expand(text: &[u8], msg: &Message) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        if text[i..].starts_with(b"${") {
            if let Some(end) = text[i + 2..].iter().position(|&b| b == b'}') {
                let name = &text[i + 2..i + 2 + end];
                out.extend_from_slice(msg.get(name).unwrap_or_default());
                i += end + 3;
                continue;
            }
        }
        out.push(text[i]);
        i += 1;
    }
    out
}

/// The lateroute handler.
#[derive(Debug)]
pub struct LateRoute {
    cfg: Config,
}

impl LateRoute {
    /// A handler for `cfg`.
    pub fn new(cfg: Config) -> Arc<LateRoute> {
        Arc::new(LateRoute { cfg })
    }

    /// Installs on `call.execute` and `msg.execute` at the configured priority,
    /// unless disabled.
    pub fn install(self: &Arc<Self>, bus: &mut Bus) {
        if !self.cfg.enabled {
            return;
        }
        for name in [&b"call.execute"[..], b"msg.execute"] {
            bus.install(self.cfg.priority, name, None, self.clone());
        }
    }

    fn route_name(&self, execute: &[u8]) -> (Vec<u8>, Option<String>) {
        let route_type = || {
            let name = String::from_utf8_lossy(execute);
            self.cfg.route_types.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone())
        };
        match (execute, self.cfg.msg_route) {
            (b"msg.execute", MsgRoute::MsgRoute) => (b"msg.route".to_vec(), None),
            (b"call.execute", MsgRoute::MsgRoute) => (b"call.route".to_vec(), None),
            _ => (b"call.route".to_vec(), route_type()),
        }
    }

    /// Handles one execute message; always returns false (§3: the message goes on).
    pub fn execute(&self, msg: &mut Message, bus: &Bus, cx: &mut Cx<'_>) -> bool {
        let callto = msg.get(b"callto").unwrap_or_default().to_vec();
        if callto.is_empty() || !to_boolean(msg.get(b"lateroute").unwrap_or(b"true"), true) {
            return false;
        }
        let Some(dest) = self.cfg.target(&callto) else { return false };
        let dest = expand(&dest, msg);
        if dest.is_empty() {
            return false;
        }
        let old_called = msg.get(b"called").map(<[u8]>::to_vec);
        msg.clear(b"callto");
        msg.set(b"called", &dest);
        let execute = std::mem::take(&mut msg.name);
        let (route, route_type) = self.route_name(&execute);
        msg.name = route;
        if let Some(t) = route_type {
            if msg.get(b"route_type").is_none() {
                msg.set(b"route_type", t.as_bytes());
            }
        }
        let old_ret = std::mem::take(&mut msg.retvalue);
        let routed = bus.dispatch_nested(msg, cx.out, cx.depth + 1);
        let result = std::mem::replace(&mut msg.retvalue, old_ret);
        msg.name = execute;
        if !routed || result.is_empty() || result == b"-" || result == b"error" || result == callto {
            match old_called {
                Some(c) => msg.set(b"called", &c),
                None => msg.clear(b"called"),
            }
            msg.set(b"callto", &callto);
            return false;
        }
        msg.set(b"callto", &result);
        false
    }
}

impl Handler for LateRoute {
    fn received(&self, msg: &mut Message, cx: &mut Cx<'_>) -> bool {
        let bus = cx.bus;
        self.execute(msg, bus, cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bus::Outcome;
    use crate::ini::load_str;

    fn config(text: &str) -> (Config, Vec<String>) {
        Config::from_document(&load_str("lateroute.conf", text, &Default::default()))
    }

    /// A `call.route` / `msg.route` router answering `called=bob` only.
    struct Router(&'static [u8]);
    impl Handler for Router {
        fn received(&self, msg: &mut Message, _cx: &mut Cx<'_>) -> bool {
            msg.add(b"seen_as", &msg.name.clone());
            if msg.get(b"called") == Some(b"bob") {
                msg.retvalue = self.0.to_vec();
                msg.set(b"driver", b"sip");
                return true;
            }
            false
        }
    }

    fn bus(cfg: Config, answer: &'static [u8]) -> Bus {
        let mut bus = Bus::new();
        LateRoute::new(cfg).install(&mut bus);
        for name in [&b"call.route"[..], b"msg.route"] {
            bus.install(100, name, None, Arc::new(Router(answer)));
        }
        bus
    }

    fn execute(bus: &Bus, name: &str, callto: &str) -> (Message, bool) {
        let mut m = Message::new(name);
        m.add(b"called", b"old");
        m.add(b"callto", callto.as_bytes());
        let handled = bus.dispatch(&mut m, &mut Outcome::default());
        (m, handled)
    }

    #[test]
    fn seed_era_msg_route_and_current_call_route() {
        let (m, handled) = execute(&bus(Config::default(), b"sip/sip:bob@h"), "msg.execute", "lateroute/bob");
        assert!(!handled);
        assert_eq!(m.name, b"msg.execute");
        let params: Vec<_> = m.iter().map(|(k, v)| (k.to_vec(), v.to_vec())).collect();
        let expect: Vec<(Vec<u8>, Vec<u8>)> =
            [("called", "bob"), ("seen_as", "msg.route"), ("driver", "sip"), ("callto", "sip/sip:bob@h")]
                .iter()
                .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
                .collect();
        assert_eq!(params, expect);
        assert!(m.retvalue.is_empty());

        let (cfg, w) = config("[general]\nmsg_route=call.route\n");
        assert!(w.is_empty());
        let (m, _) = execute(&bus(cfg, b"sip/sip:bob@h"), "msg.execute", "route/bob");
        assert_eq!(m.get(b"seen_as"), Some(&b"call.route"[..]));
        assert_eq!(m.get(b"route_type"), Some(&b"msg"[..]));
        let (cfg, _) = config("[general]\nmsg_route=call.route\n");
        let (m, _) = execute(&bus(cfg, b"sip/sip:bob@h"), "call.execute", "route/bob");
        assert_eq!(m.get(b"route_type"), Some(&b"call"[..]));
    }

    #[test]
    fn failures_restore_called_and_callto() {
        let b = bus(Config::default(), b"sip/sip:bob@h");
        let (m, _) = execute(&b, "msg.execute", "lateroute/carol");
        assert_eq!(m.get(b"called"), Some(&b"old"[..]));
        assert_eq!(m.get(b"callto"), Some(&b"lateroute/carol"[..]));
        // Routed back to itself: a failure too.
        let (m, _) = execute(&bus(Config::default(), b"lateroute/bob"), "msg.execute", "lateroute/bob");
        assert_eq!(m.get(b"called"), Some(&b"old"[..]));
        assert_eq!(m.get(b"callto"), Some(&b"lateroute/bob"[..]));
        // Not ours: other types, lateroute=false, an empty number.
        for callto in ["sip/sip:x@h", "lateroute/", "other/bob"] {
            let (m, _) = execute(&b, "msg.execute", callto);
            assert_eq!(m.get(b"callto"), Some(callto.as_bytes()));
            assert_eq!(m.get(b"seen_as"), None);
        }
    }

    #[test]
    fn types_regexp_priority_enabled_and_param_expansion() {
        let (cfg, w) = config("[general]\ntypes=late, x\npriority=30\n");
        assert!(w.is_empty());
        assert_eq!(cfg.priority, 30);
        let (m, _) = execute(&bus(cfg, b"sip/sip:bob@h"), "msg.execute", "x/${who}");
        assert_eq!(m.get(b"callto"), Some(&b"x/${who}"[..]), "an empty number is skipped");
        let (cfg, _) = config("[general]\nregexp=^(via)-(.*)$\ncalled=\\2\n");
        let mut b = Bus::new();
        LateRoute::new(cfg).install(&mut b);
        b.install(100, b"msg.route", None, Arc::new(Router(b"sip/sip:bob@h")));
        let (m, _) = execute(&b, "msg.execute", "via-bob");
        assert_eq!(m.get(b"callto"), Some(&b"sip/sip:bob@h"[..]));
        let (cfg, _) = config("[general]\nenabled=no\n");
        assert!(!cfg.enabled);
        let (cfg, w) = config("[general]\ntypes=\npriority=x\nmsg_route=foo\n");
        assert!(!cfg.enabled, "an empty type list leaves nothing to match");
        assert_eq!(w.len(), 2);
        let mut m = Message::new("m");
        m.add(b"who", b"bob");
        assert_eq!(expand(b"a${who}b${none}c${", &m), b"abobbc${");
    }
}
