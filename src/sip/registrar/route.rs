//! Routing to registered users: regfile's `call.route` handler over the registrar's bindings.
//!
//! shared/spec/sip.md §4.2: the caller's regfile parameters are applied first;
//! then a registered `called` user routes to `sip/<contact>` with
//! `oconnection_id` and `driver=sip`; a known user with no live binding gets
//! `error=offline` and is not handled; an unknown number is looked up among the
//! users' `alternatives`. Several targets make a `fork` with `callto.1`,
//! `callto.2`, …: Yate does that for alternatives only, since it keeps one
//! contact per user; we also do it for a user registered from several devices.

use super::binding::Binding;
use super::Registrar;
use crate::bus::{Bus, Cx, Handler};
use crate::runtime::message::Message;
use crate::runtime::num::to_boolean;
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

/// The registrar as `call.route` sees it: a copy ([`Registrar::route_view`])
/// that the owner of the registrar republishes after every change.
///
/// Routing never locks the live registrar: REGISTER processing holds it
/// mutably while it dispatches `user.auth` / `user.register`, and a rule may
/// dispatch `call.route` from there.
pub type RouteView = Arc<RwLock<Arc<Registrar>>>;

/// regfile's `call.route` handler on a bus, over a [`RouteView`]. Install it at
/// regfile.conf's `[general] route` priority
/// ([`crate::sip::regfile::General::route_priority`], 100 by default).
pub struct RouteHandler {
    view: RouteView,
}

impl RouteHandler {
    /// Installs the handler for `call.route` at `priority`.
    pub fn install(bus: &mut Bus, view: RouteView, priority: i32) {
        bus.install(priority, b"call.route", None, Arc::new(RouteHandler { view }));
    }
}

impl Handler for RouteHandler {
    fn received(&self, msg: &mut Message, _cx: &mut Cx<'_>) -> bool {
        // A panic elsewhere while holding the lock leaves the last copy usable.
        let view = self.view.read().map(|v| v.clone()).unwrap_or_else(|e| e.into_inner().clone());
        view.route(msg, SystemTime::now())
    }
}

/// How `call.route` was answered, for callers that want more than the boolean.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RouteResult {
    /// Routed: the message's return value is set.
    Routed,
    /// A known user (or alternative) with no live registration: `error=offline`.
    Offline,
    /// Not ours to answer (no `called`, an unknown number, or `route_regfile=false`).
    NotFound,
}

fn text(v: Option<&[u8]>) -> String {
    String::from_utf8_lossy(v.unwrap_or_default()).into_owned()
}

/// Sets the return value and route parameters for one binding (regfile copies the
/// parameters named in `route_params`, i.e. `oconnection_id`, plus `driver`).
fn route_to(msg: &mut Message, b: &Binding) {
    msg.retvalue = b.callto().into_bytes();
    msg.set(b"oconnection_id", b.connection_id.as_bytes());
    msg.set(b"driver", b"sip");
}

/// `fork` with one `callto.N` per target.
fn fork(msg: &mut Message, targets: &[&Binding]) {
    msg.retvalue = b"fork".to_vec();
    for (i, b) in targets.iter().enumerate() {
        msg.set(format!("callto.{}", i + 1).as_bytes(), b.callto().as_bytes());
    }
}

impl Registrar {
    /// regfile's `call.route` handler; `true` when it routed the message.
    pub fn route(&self, msg: &mut Message, now: SystemTime) -> bool {
        self.route_call(msg, now) == RouteResult::Routed
    }

    /// [`Registrar::route`], saying why it did not route.
    pub fn route_call(&self, msg: &mut Message, now: SystemTime) -> RouteResult {
        if !to_boolean(msg.get(b"route_regfile").unwrap_or(b"true"), true) {
            return RouteResult::NotFound;
        }
        let caller = text(msg.get(b"caller"));
        if let Some(user) = self.users.get(&caller) {
            user.apply_params(msg);
        }
        let called = text(msg.get(b"called"));
        if called.is_empty() || called == "general" {
            return RouteResult::NotFound;
        }
        let own = self.lookup(&called, now);
        if !own.is_empty() {
            return self.deliver(msg, &own);
        }
        if self.users.get(&called).is_some() {
            return offline(msg);
        }
        let owners: Vec<String> = self.users.alternatives_for(&called).map(|u| u.name.clone()).collect();
        if owners.is_empty() {
            return RouteResult::NotFound;
        }
        let targets: Vec<&Binding> = owners.iter().flat_map(|u| self.lookup(u, now)).collect();
        if targets.is_empty() {
            return offline(msg);
        }
        self.deliver(msg, &targets)
    }

    fn deliver(&self, msg: &mut Message, targets: &[&Binding]) -> RouteResult {
        match targets {
            [one] => route_to(msg, one),
            many => fork(msg, many),
        }
        RouteResult::Routed
    }
}

fn offline(msg: &mut Message) -> RouteResult {
    msg.set(b"error", b"offline");
    RouteResult::Offline
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::auth::Transport;
    use crate::sip::regfile;
    use crate::sip::registrar::Config;
    use std::time::{Duration, UNIX_EPOCH};

    const USERS: &str = "[general]\nautocreate=yes\n[ann]\npassword=a\nalternatives=200\nlocation=${called}-desk\n\
[ben]\npassword=b\nalternatives=200\n";

    fn at(s: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(s)
    }

    fn registrar(bound: &[(&str, &str, u64)]) -> Registrar {
        let (users, _, _) = regfile::load_str("regfile.conf", USERS);
        let mut reg = Registrar::new(Config::default(), users);
        for (user, uri, expires_at) in bound {
            reg.bindings.upsert(Binding {
                user: (*user).into(),
                uri: (*uri).into(),
                data: format!("sip/{uri}"),
                params: String::new(),
                expires_at: *expires_at,
                call_id: "c".into(),
                cseq: 1,
                source: "127.0.0.1:5060".parse().unwrap(),
                transport: Transport::Udp,
                connection_id: "general".into(),
                nat_addr: None,
            });
        }
        reg
    }

    fn call(caller: &str, called: &str) -> Message {
        let mut m = Message::new("call.route");
        m.set(b"caller", caller.as_bytes());
        m.set(b"called", called.as_bytes());
        m
    }

    #[test]
    fn alternatives_fork_over_registered_owners() {
        let reg = registrar(&[("ann", "sip:ann@h:1", 100), ("ben", "sip:ben@h:2", 100)]);
        let mut m = call("", "200");
        assert_eq!(reg.route_call(&mut m, at(50)), RouteResult::Routed);
        assert_eq!(m.retvalue, b"fork");
        assert_eq!(m.get(b"callto.1"), Some(&b"sip/sip:ann@h:1"[..]));
        assert_eq!(m.get(b"callto.2"), Some(&b"sip/sip:ben@h:2"[..]));
        // ben's binding lapsed: only ann is left, so a plain route.
        let reg = registrar(&[("ann", "sip:ann@h:1", 100), ("ben", "sip:ben@h:2", 40)]);
        let mut m = call("", "200");
        assert!(reg.route(&mut m, at(50)));
        assert_eq!(m.retvalue, b"sip/sip:ann@h:1");
        assert_eq!(m.get(b"driver"), Some(&b"sip"[..]));
    }

    #[test]
    fn caller_params_and_autocreated_users() {
        let reg = registrar(&[("guest", "sip:guest@h:3", 100)]);
        let mut m = call("ann", "guest");
        assert!(reg.route(&mut m, at(1)), "autocreate users route although they have no section");
        assert_eq!(m.get(b"location"), Some(&b"guest-desk"[..]));
        assert_eq!(m.get(b"password"), None, "the password never leaks into call.route");
        let mut general = call("", "general");
        assert_eq!(reg.route_call(&mut general, at(1)), RouteResult::NotFound);
        let mut nobody = call("", "");
        assert_eq!(reg.route_call(&mut nobody, at(1)), RouteResult::NotFound);
        let mut ann = call("", "ann");
        assert_eq!(reg.route_call(&mut ann, at(1)), RouteResult::Offline);
        assert_eq!(ann.get(b"error"), Some(&b"offline"[..]));
    }
}
