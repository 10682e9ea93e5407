//! lateroute: `msg.execute` / `call.execute` towards `lateroute/<number>` are routed again on the bus.
//!
//! As Yate's `modules/server/lateroute.cpp` (shared/spec/sip.md §3), with the
//! routing message named after the handler as Yate did from 2008 to 2013:
//! `msg.execute` dispatches `msg.route` (which the chat configuration renames to
//! `call.route`), `call.execute` dispatches `call.route`. The very same message
//! is renamed, so what routers add (`driver`, `oconnection_id`) stays in it.

use super::config::Lateroute;
use crate::bus::{Bus, Cx, Handler};
use crate::runtime::message::Message;
use crate::runtime::num::to_boolean;
use crate::runtime::subst::replace_params;
use std::sync::Arc;

struct Late {
    types: Vec<Vec<u8>>,
    route: &'static [u8],
}

/// Installs the two handlers when lateroute is enabled.
pub fn install(cfg: &Lateroute, bus: &mut Bus) {
    if !cfg.enabled || cfg.types.is_empty() {
        return;
    }
    let types: Vec<Vec<u8>> = cfg.types.iter().map(|t| t.as_bytes().to_vec()).collect();
    for (name, route) in [(&b"msg.execute"[..], &b"msg.route"[..]), (b"call.execute", b"call.route")] {
        bus.install(cfg.priority, name, None, Arc::new(Late { types: types.clone(), route }));
    }
}

impl Late {
    /// The number after `<type>/`, when `callto` names one of the types.
    fn target<'a>(&self, callto: &'a [u8]) -> Option<&'a [u8]> {
        self.types.iter().find_map(|t| {
            let rest = callto.strip_prefix(t.as_slice())?.strip_prefix(b"/")?;
            (!rest.is_empty()).then_some(rest)
        })
    }
}

impl Handler for Late {
    fn received(&self, msg: &mut Message, cx: &mut Cx<'_>) -> bool {
        if !to_boolean(msg.get(b"lateroute").unwrap_or(b"true"), true) {
            return false;
        }
        let callto = msg.get(b"callto").unwrap_or_default().to_vec();
        let Some(target) = self.target(&callto) else { return false };
        let dest = replace_params(target, msg);
        if dest.is_empty() {
            return false;
        }
        let called = msg.get(b"called").map(<[u8]>::to_vec);
        msg.clear(b"callto");
        msg.set(b"called", &dest);
        let name = std::mem::replace(&mut msg.name, self.route.to_vec());
        let handled = cx.bus.dispatch_nested(msg, cx.out, cx.depth + 1);
        let result = std::mem::take(&mut msg.retvalue);
        msg.name = name;
        let failed = !handled || result.is_empty() || result == b"-" || result == b"error" || result == callto;
        if failed {
            match called {
                Some(c) => msg.set(b"called", &c),
                None => msg.clear(b"called"),
            }
            msg.set(b"callto", &callto);
        } else {
            msg.set(b"callto", &result);
        }
        // Either way the message goes on to whoever executes its callto.
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bus::Outcome;

    struct Fixed;
    impl Handler for Fixed {
        fn received(&self, msg: &mut Message, _: &mut Cx<'_>) -> bool {
            if msg.get(b"called") == Some(b"bob") {
                msg.retvalue = b"sip/sip:bob@127.0.0.1:5072".to_vec();
                msg.set(b"oconnection_id", b"general");
                return true;
            }
            false
        }
    }

    fn bus() -> Bus {
        let mut bus = Bus::new();
        install(&Lateroute { types: vec!["lateroute".into()], priority: 75, enabled: true }, &mut bus);
        bus.install(100, b"msg.route", None, Arc::new(Fixed));
        bus
    }

    #[test]
    fn a_routed_target_replaces_callto() {
        let mut m = Message::new("msg.execute");
        m.set(b"callto", b"lateroute/${who}");
        m.set(b"who", b"bob");
        assert!(!bus().dispatch(&mut m, &mut Outcome::default()));
        assert_eq!(m.name, b"msg.execute");
        assert_eq!(m.get(b"callto"), Some(&b"sip/sip:bob@127.0.0.1:5072"[..]));
        assert_eq!(m.get(b"called"), Some(&b"bob"[..]));
        assert_eq!(m.get(b"oconnection_id"), Some(&b"general"[..]));
        assert!(m.retvalue.is_empty());
    }

    #[test]
    fn an_unrouted_target_is_restored() {
        let mut m = Message::new("msg.execute");
        m.set(b"callto", b"lateroute/carol");
        m.set(b"called", b"x");
        bus().dispatch(&mut m, &mut Outcome::default());
        assert_eq!(m.get(b"callto"), Some(&b"lateroute/carol"[..]));
        assert_eq!(m.get(b"called"), Some(&b"x"[..]));
        let mut other = Message::new("msg.execute");
        other.set(b"callto", b"sip/sip:x@y");
        bus().dispatch(&mut other, &mut Outcome::default());
        assert_eq!(other.get(b"callto"), Some(&b"sip/sip:x@y"[..]));
        assert_eq!(other.get(b"called"), None);
    }
}
