//! The `user.auth` exchange: who the peer is, the bus message Yate sends, and what its answer means.
//!
//! ysipchan never knows passwords: it dispatches `user.auth` and reads the return
//! value (shared/spec/sip.md §5.2). Empty and handled means "accepted without a
//! password" (IP authentication), `-` means refused, anything else is the
//! password to check the digest with. Callers pass the dispatcher as a closure,
//! so the bus, a test double or the registrar's own regfile users can answer.

use super::{Authenticator, Presented, Verdict};
use crate::runtime::message::Message;
use crate::sip::msg::Request;
use std::net::SocketAddr;
use std::time::SystemTime;

/// How a request reached us.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Transport {
    /// UDP.
    Udp,
    /// TCP.
    Tcp,
    /// TLS over TCP.
    Tls,
}

impl Transport {
    /// Yate's `ip_transport` value.
    pub fn name(self) -> &'static str {
        match self {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
            Transport::Tls => "TLS",
        }
    }

    /// Whether the transport is a connection (`connection_reliable`).
    pub fn reliable(self) -> bool {
        !matches!(self, Transport::Udp)
    }
}

/// The party a request came from: the packet source and the listener or connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Peer {
    /// The packet's source address (Yate's default `ignorevia=yes` uses it, not Via).
    pub addr: SocketAddr,
    /// The transport.
    pub transport: Transport,
    /// `connection_id`: `general` for the default UDP listener, `tcp:…` for connections.
    pub connection_id: String,
}

impl Peer {
    /// A peer on the default UDP listener.
    pub fn udp(addr: SocketAddr) -> Peer {
        Peer { addr, transport: Transport::Udp, connection_id: "general".into() }
    }

    /// Adds `ip_host`, `ip_port`, `ip_transport`, `address`, `connection_id`,
    /// `connection_reliable`, in Yate's order.
    pub fn add_params(&self, msg: &mut Message) {
        let mut buf = String::with_capacity(48);
        crate::sip::msg::text::push_ip(&mut buf, self.addr.ip());
        msg.add(b"ip_host", buf.as_bytes());
        msg.add(b"ip_port", itoa::Buffer::new().format(self.addr.port()).as_bytes());
        msg.add(b"ip_transport", self.transport.name().as_bytes());
        buf.clear();
        crate::sip::msg::text::push_socket_addr(&mut buf, self.addr);
        msg.add(b"address", buf.as_bytes());
        msg.add(b"connection_id", self.connection_id.as_bytes());
        msg.add(b"connection_reliable", if self.transport.reliable() { b"true" } else { b"false" });
    }
}

impl From<SocketAddr> for Peer {
    fn from(addr: SocketAddr) -> Peer {
        Peer::udp(addr)
    }
}

/// Yate's error names (ysipchan's `dict_errors`, first code per name); a plain
/// number is accepted as is.
pub fn error_code(name: &str) -> Option<u16> {
    if !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()) {
        return name.parse().ok();
    }
    const TABLE: [(&str, u16); 28] = [
        ("incomplete", 484),
        ("noroute", 404),
        ("noconn", 503),
        ("noauth", 401),
        ("noautoauth", 401),
        ("nomedia", 415),
        ("nocall", 481),
        ("busy", 486),
        ("noanswer", 480),
        ("rejected", 406),
        ("forbidden", 403),
        ("offline", 404),
        ("congestion", 480),
        ("unallocated", 410),
        ("moved", 410),
        ("failure", 500),
        ("pending", 491),
        ("looping", 483),
        ("timeout", 408),
        ("postdialdelay", 504),
        ("service-not-implemented", 501),
        ("unimplemented", 501),
        ("service-unavailable", 503),
        ("unacceptable", 488),
        ("noresource", 503),
        ("interworking", 500),
        ("invalid-message", 400),
        ("protocol-error", 400),
    ];
    TABLE.iter().find(|(n, _)| *n == name).map(|(_, c)| *c)
}

/// What to do with the request after authentication.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthDecision {
    /// Go on. `username` is the authenticated name (`None` when a handler accepted
    /// without naming anyone); `params` are what `user.auth` returned, to copy into
    /// the request's own bus message (`username`, `realm`, `domain`, `device`, and
    /// whatever the handler added, e.g. regfile's extra keys).
    Accepted {
        /// The authenticated user name.
        username: Option<String>,
        /// Parameters to copy into the context message, in order.
        params: Vec<(Vec<u8>, Vec<u8>)>,
    },
    /// Answer 401 with a fresh challenge.
    Challenge {
        /// Whether to say `stale=TRUE`.
        stale: bool,
    },
    /// Answer with this code (403 for a wrong password, or what a handler's `error` says).
    Reject {
        /// The status code, 400..=699.
        code: u16,
        /// A reason phrase a handler gave (`reason`), if any.
        reason: Option<String>,
    },
}

/// The result of [`Authenticator::authenticate`].
#[derive(Clone, Debug)]
pub struct AuthOutcome {
    /// What to do.
    pub decision: AuthDecision,
    /// The `user.auth` message as the handlers left it.
    pub message: Message,
    /// Whether a handler (or the fallback) handled it.
    pub handled: bool,
    /// A `user.authfail` to enqueue (Yate sends one when a non-empty response failed).
    pub authfail: Option<Message>,
}

fn text(v: &[u8]) -> String {
    String::from_utf8_lossy(v).into_owned()
}

/// A handler's refusal: its `error` (or `reason`) as a code in 400..=699 other than
/// a plain 401 (sip.md §1.6); `None` means "just challenge".
fn refusal(m: &Message) -> Option<AuthDecision> {
    let error = m.get(b"error").map(text).unwrap_or_default();
    let reason = m.get(b"reason").map(text).filter(|r| !r.is_empty());
    let name = if error.is_empty() { reason.clone().unwrap_or_default() } else { error.clone() };
    let code = error_code(&name)?;
    let plain_401 = code == 401 || error == "noautoauth";
    ((400..=699).contains(&code) && !plain_401).then_some(AuthDecision::Reject { code, reason })
}

impl Authenticator {
    /// Runs the digest check of shared/spec/sip.md §5.2 for `req`: builds
    /// `user.auth`, lets `dispatch` answer it, then verifies the digest with the
    /// returned password. `context` is the request's own bus message (for
    /// REGISTER, the `user.register` being built), whose `id`, `number`, `caller`,
    /// `called`, `billid` and `expires` are copied in as Yate does.
    pub fn authenticate(
        &self,
        req: &Request,
        peer: &Peer,
        context: &Message,
        now: SystemTime,
        dispatch: &mut dyn FnMut(&mut Message) -> bool,
    ) -> AuthOutcome {
        let creds = match req.headers.authorization() {
            Ok(c) => c,
            Err(_) => {
                let decision = AuthDecision::Reject { code: 400, reason: None };
                return AuthOutcome { decision, message: Message::new("user.auth"), handled: false, authfail: None };
            }
        };
        let presented = self.select(&creds);
        let mut m = self.user_auth_message(req, peer, context, &presented, now);
        let before: Vec<Vec<u8>> = m.iter().map(|(k, _)| k.to_vec()).collect();
        let handled = dispatch(&mut m);
        let mut authfail = None;
        let decision = self.decide(req, &presented, &m, handled, now, &mut authfail);
        let decision = match decision {
            AuthDecision::Accepted { username, .. } => {
                let params = returned_params(&m, &before, username.as_deref(), &presented);
                AuthDecision::Accepted { username, params }
            }
            other => other,
        };
        AuthOutcome { decision, message: m, handled, authfail }
    }

    fn decide(
        &self,
        req: &Request,
        presented: &Presented,
        m: &Message,
        handled: bool,
        now: SystemTime,
        authfail: &mut Option<Message>,
    ) -> AuthDecision {
        let challenge = AuthDecision::Challenge { stale: false };
        if handled && m.retvalue.is_empty() {
            let username = m.get(b"username").map(text).filter(|u| !u.is_empty());
            return AuthDecision::Accepted { username, params: Vec::new() };
        }
        let Presented::Ours { creds, issued } = presented else {
            return refusal(m).unwrap_or(challenge);
        };
        if !handled || m.retvalue == b"-" {
            // Credentials on our nonce for a user nobody knows look exactly like a
            // wrong password, so they get the same answer (no user enumeration).
            let unknown = AuthDecision::Reject { code: 403, reason: None };
            let fallback = if self.cfg.reject_wrong_password && !handled { unknown } else { challenge };
            return refusal(m).unwrap_or(fallback);
        }
        let password = text(&m.retvalue);
        match self.verify(creds, *issued, req.method.as_str(), &password, now) {
            Verdict::Ok => AuthDecision::Accepted { username: creds.username().map(str::to_owned), params: Vec::new() },
            Verdict::Stale => AuthDecision::Challenge { stale: true },
            Verdict::Unusable => challenge,
            Verdict::Wrong => {
                if creds.response().is_some_and(|r| !r.is_empty()) {
                    let mut fail = m.clone();
                    fail.name = b"user.authfail".to_vec();
                    fail.retvalue.clear();
                    *authfail = Some(fail);
                }
                if self.cfg.reject_wrong_password {
                    AuthDecision::Reject { code: 403, reason: None }
                } else {
                    challenge
                }
            }
        }
    }

    fn user_auth_message(
        &self,
        req: &Request,
        peer: &Peer,
        context: &Message,
        presented: &Presented,
        now: SystemTime,
    ) -> Message {
        let mut m = Message::new("user.auth");
        m.time = super::unix_secs(now);
        m.add(b"protocol", b"sip");
        let mut uri = req.uri.clone();
        if let Presented::Ours { creds, .. } = presented {
            for key in ["username", "realm", "nonce", "response"] {
                m.add(key.as_bytes(), creds.get(key).unwrap_or_default().as_bytes());
            }
            if let Some(u) = creds.uri() {
                uri = u.to_owned();
            }
        }
        m.add(b"method", req.method.as_str().as_bytes());
        m.add(b"uri", uri.as_bytes());
        peer.add_params(&mut m);
        m.add(b"newcall", b"false");
        m.add(b"domain", domain(req).as_bytes());
        if let Some(ua) = req.headers.value("User-Agent") {
            m.add(b"device", ua);
        }
        for h in req.headers.iter() {
            let name = h.full_name().to_ascii_lowercase();
            if name.starts_with("security-") || self.cfg.copy_headers.contains(&name) {
                m.add(format!("sip_{name}").as_bytes(), h.value());
            }
        }
        for key in ["id", "number", "caller", "called", "billid", "expires"] {
            if let Some(v) = context.get(key.as_bytes()) {
                m.add(key.as_bytes(), v);
            }
        }
        m
    }
}

/// The host of the From URI, else of the Request-URI (Yate's `domain`).
pub fn domain(req: &Request) -> String {
    let from = req.headers.from_addr().ok().and_then(|a| a.uri.host().map(str::to_owned));
    let ruri = || req.request_uri().ok().and_then(|u| u.host().map(str::to_owned));
    from.or_else(ruri).unwrap_or_default()
}

/// What an accepted `user.auth` hands back to the request's message.
fn returned_params(
    m: &Message,
    before: &[Vec<u8>],
    username: Option<&str>,
    presented: &Presented,
) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut out = Vec::new();
    if let Some(u) = username {
        out.push((b"username".to_vec(), u.as_bytes().to_vec()));
    }
    if let Presented::Ours { creds, .. } = presented {
        out.push((b"realm".to_vec(), creds.realm().unwrap_or_default().as_bytes().to_vec()));
    }
    for key in [&b"domain"[..], b"device"] {
        if let Some(v) = m.get(key) {
            out.push((key.to_vec(), v.to_vec()));
        }
    }
    let skip = |k: &[u8]| before.iter().any(|b| b == k) || k == b"username" || k == b"realm";
    out.extend(m.iter().filter(|(k, _)| !skip(k)).map(|(k, v)| (k.to_vec(), v.to_vec())));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_names_and_numbers() {
        assert_eq!(error_code("offline"), Some(404));
        assert_eq!(error_code("forbidden"), Some(403));
        assert_eq!(error_code("488"), Some(488));
        assert_eq!(error_code("nosuch"), None);
        assert_eq!(error_code(""), None);
    }

    #[test]
    fn refusal_skips_plain_401() {
        let mut m = Message::new("user.auth");
        m.set(b"error", b"noauth");
        assert_eq!(refusal(&m), None);
        m.set(b"error", b"forbidden");
        m.set(b"reason", b"Go away");
        assert_eq!(refusal(&m), Some(AuthDecision::Reject { code: 403, reason: Some("Go away".into()) }));
        let mut r = Message::new("user.auth");
        r.set(b"reason", b"busy");
        assert_eq!(refusal(&r), Some(AuthDecision::Reject { code: 486, reason: Some("busy".into()) }));
    }

    #[test]
    fn peer_params() {
        let mut m = Message::new("x");
        Peer::udp("127.0.0.1:5072".parse().unwrap()).add_params(&mut m);
        assert_eq!(m.get(b"address"), Some(&b"127.0.0.1:5072"[..]));
        assert_eq!(m.get(b"connection_reliable"), Some(&b"false"[..]));
        assert!(Transport::Tls.reliable());
    }
}
