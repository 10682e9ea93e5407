//! Bindings: the contacts registered for each user, keyed by a normalised contact URI.
//!
//! Yate's regfile keeps one contact per user and a new REGISTER replaces it;
//! RFC 3261 §10.3 keeps one binding per contact URI, so several devices of one
//! user can be registered at once. We follow the RFC. Expiry times are absolute
//! Unix seconds, so a binding saved before a restart keeps its remaining
//! lifetime.

use crate::sip::auth::Transport;
use crate::sip::msg::{unescape, Uri};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::SocketAddr;

/// One registered contact.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Binding {
    /// The user it belongs to: the authenticated name (not the Contact's user
    /// part, which baresip fills with `alice-0x55d4…`).
    pub user: String,
    /// The Contact URI as the client sent it: its identity, and what the 200 lists.
    pub uri: String,
    /// What `call.route` returns for it (regfile's `data`): `sip/<uri>`, with the
    /// host and port replaced by the packet source when the client is behind NAT,
    /// as `user.register` left it (a handler may rewrite it; regfile stores
    /// whatever `data` it is given).
    pub data: String,
    /// The Contact's header parameters other than `expires` (`;q=0.5`,
    /// `;+sip.instance="…"`), echoed in the 200.
    #[serde(default)]
    pub params: String,
    /// When it lapses, in Unix seconds (absolute, so a restart keeps the rest of it).
    pub expires_at: u64,
    /// Call-ID of the REGISTER that last refreshed it (RFC 3261 §10.3 step 7).
    pub call_id: String,
    /// CSeq number of that REGISTER.
    pub cseq: u32,
    /// The packet source it registered from.
    pub source: SocketAddr,
    /// The transport it registered over.
    pub transport: Transport,
    /// The listener or connection (`general`, `tcp:…`): routed requests go back through it.
    pub connection_id: String,
    /// The Contact's own `host:port` when `data` was rewritten for NAT.
    #[serde(default)]
    pub nat_addr: Option<String>,
}

impl Binding {
    /// What `call.route` returns for it: `sip/<contact>` (regfile's `data`).
    pub fn callto(&self) -> String {
        self.data.clone()
    }

    /// Seconds left at `now` (0 once lapsed).
    pub fn remaining(&self, now: u64) -> u64 {
        self.expires_at.saturating_sub(now)
    }

    /// Whether it is still in force at `now`.
    pub fn is_live(&self, now: u64) -> bool {
        self.expires_at > now
    }

    /// The Contact value listing it in a 200: `<uri>;params;expires=N`.
    pub fn contact_value(&self, now: u64) -> String {
        format!("<{}>{};expires={}", self.uri, self.params, self.remaining(now))
    }

    /// Its comparison key (see [`contact_key`]).
    pub fn key(&self) -> String {
        contact_key(&self.uri)
    }
}

/// A comparison key for a contact URI, after RFC 3261 §19.1.4: scheme and host
/// compare case-insensitively, the user part case-sensitively after unescaping,
/// an absent port differs from an explicit 5060, and parameters compare in any
/// order with case-insensitive names and values. Simplification: every parameter
/// must match (the RFC ignores one present on only one side), which keeps two
/// devices that differ only by `;rinstance=` or `;ob` apart. Non-SIP URIs
/// compare as text with the scheme lower-cased.
pub fn contact_key(uri: &str) -> String {
    let Ok(parsed) = Uri::parse(uri) else { return uri.to_owned() };
    let scheme = parsed.scheme().to_ascii_lowercase();
    let Some(sip) = parsed.sip() else {
        return format!("{scheme}:{}", uri.get(parsed.scheme().len() + 1..).unwrap_or_default());
    };
    let user = sip.user.as_deref().map(|u| String::from_utf8_lossy(&unescape(u)).into_owned());
    let mut params: Vec<String> = sip
        .params
        .iter()
        .map(|p| {
            let value = p.value.as_deref().map(|v| String::from_utf8_lossy(&unescape(v)).to_ascii_lowercase());
            format!("{}={}", p.name.to_ascii_lowercase(), value.unwrap_or_default())
        })
        .collect();
    params.sort();
    format!(
        "{scheme}:{}@{}:{}{};{}?{}",
        user.unwrap_or_default(),
        sip.host.to_ascii_lowercase(),
        sip.port.map(|p| p.to_string()).unwrap_or_default(),
        sip.password.as_deref().map(|p| format!(":{p}")).unwrap_or_default(),
        params.join(";"),
        sip.headers.as_deref().unwrap_or_default()
    )
}

/// All bindings, per user, each user's in registration order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bindings {
    by_user: BTreeMap<String, Vec<Binding>>,
}

impl Bindings {
    /// No bindings.
    pub fn new() -> Bindings {
        Bindings::default()
    }

    /// How many bindings there are, live or lapsed.
    pub fn len(&self) -> usize {
        self.by_user.values().map(Vec::len).sum()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.by_user.is_empty()
    }

    /// Every binding, users in name order.
    pub fn iter(&self) -> impl Iterator<Item = &Binding> {
        self.by_user.values().flatten()
    }

    /// A user's bindings (lapsed ones included until [`Bindings::expire`] runs).
    pub fn of(&self, user: &str) -> &[Binding] {
        self.by_user.get(user).map_or(&[], Vec::as_slice)
    }

    /// The user's binding whose contact has this key.
    pub fn find(&self, user: &str, key: &str) -> Option<&Binding> {
        self.of(user).iter().find(|b| b.key() == key)
    }

    /// Adds a binding, replacing the user's binding for the same contact in place.
    pub fn upsert(&mut self, binding: Binding) {
        let key = binding.key();
        let list = self.by_user.entry(binding.user.clone()).or_default();
        match list.iter_mut().find(|b| b.key() == key) {
            Some(slot) => *slot = binding,
            None => list.push(binding),
        }
    }

    /// Removes the user's binding for a contact key.
    pub fn remove(&mut self, user: &str, key: &str) -> Option<Binding> {
        let list = self.by_user.get_mut(user)?;
        let at = list.iter().position(|b| b.key() == key)?;
        let gone = list.remove(at);
        if list.is_empty() {
            self.by_user.remove(user);
        }
        Some(gone)
    }

    /// Removes every binding for which `drop` says true, returning them.
    pub fn remove_where(&mut self, mut drop: impl FnMut(&Binding) -> bool) -> Vec<Binding> {
        let mut gone = Vec::new();
        for list in self.by_user.values_mut() {
            let (out, keep): (Vec<Binding>, Vec<Binding>) = std::mem::take(list).into_iter().partition(|b| drop(b));
            *list = keep;
            gone.extend(out);
        }
        self.by_user.retain(|_, list| !list.is_empty());
        gone
    }

    /// Removes the bindings that lapsed at or before `now`.
    pub fn expire(&mut self, now: u64) -> Vec<Binding> {
        self.remove_where(|b| !b.is_live(now))
    }

    /// The earliest expiry, for the caller's timer.
    pub fn next_expiry(&self) -> Option<u64> {
        self.iter().map(|b| b.expires_at).min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding(user: &str, uri: &str, expires_at: u64) -> Binding {
        Binding {
            user: user.into(),
            uri: uri.into(),
            data: format!("sip/{uri}"),
            params: String::new(),
            expires_at,
            call_id: "c".into(),
            cseq: 1,
            source: "127.0.0.1:5071".parse().unwrap(),
            transport: Transport::Udp,
            connection_id: "general".into(),
            nat_addr: None,
        }
    }

    #[test]
    fn keys_follow_uri_comparison() {
        let same = [
            ("sip:alice@EXAMPLE.com;Transport=UDP", "SIP:alice@example.com;transport=udp"),
            ("sip:%61lice@h", "sip:alice@h"),
            ("sip:a@h;x=1;y=2", "sip:a@h;y=2;x=1"),
        ];
        for (a, b) in same {
            assert_eq!(contact_key(a), contact_key(b), "{a} vs {b}");
        }
        let differ = [("sip:Alice@h", "sip:alice@h"), ("sip:a@h", "sip:a@h:5060"), ("sip:a@h;rinstance=1", "sip:a@h")];
        for (a, b) in differ {
            assert_ne!(contact_key(a), contact_key(b), "{a} vs {b}");
        }
        assert_eq!(contact_key("TEL:+123"), contact_key("tel:+123"));
        assert_eq!(contact_key("not a uri"), "not a uri");
    }

    #[test]
    fn upsert_remove_expire() {
        let mut b = Bindings::new();
        b.upsert(binding("alice", "sip:alice@h:1", 100));
        b.upsert(binding("alice", "sip:alice@h:2", 200));
        b.upsert(binding("alice", "sip:alice@H:1", 300));
        assert_eq!(b.of("alice").len(), 2);
        assert_eq!(b.of("alice")[0].expires_at, 300);
        assert_eq!(b.next_expiry(), Some(200));
        assert_eq!(b.expire(200).len(), 1);
        assert!(b.remove("alice", &contact_key("sip:alice@h:1")).is_some());
        assert!(b.is_empty());
        assert_eq!(binding("a", "sip:a@h", 10).contact_value(4), "<sip:a@h>;expires=6");
    }
}
