//! Generic SIP methods (MESSAGE, PUBLISH, anything in `[methods]`): request → `sip.<method>` → response.
//!
//! shared/spec/sip.md §1. The flow a server runs for one admitted request:
//!
//! ```text
//!  GenericConfig::auto_auth(method) ── None ──▶ 405 (not_listed_response)
//!        │ Some(true): Authenticator::authenticate ──▶ auth_response (401 / refusal) or go on
//!        ▼
//!  sip_message(req, peer, auth params, dlgtag) ──dispatch──▶ generic_response(req, msg, handled, …)
//! ```
//!
//! [`handle_generic`] strings these together over a dispatch closure; [`native_message`]
//! is the `[message] enable=yes` path (`call.route` then `msg.execute`, §0 and §1.5).
//! Everything here is pure: no sockets, no clock of its own.

use crate::ini::Document;
use crate::runtime::message::Message;
use crate::runtime::num::to_boolean;
use crate::sip::auth::{error_code, AuthDecision, Authenticator, Peer};
use crate::sip::msg::{reason_phrase, text, BodyEncoding, ExportOptions, Request, Response};
use std::sync::Arc;
use std::time::SystemTime;

/// ysipchan's `[general] maxforwards` default.
pub const DEFAULT_MAX_FORWARDS: u32 = 20;

/// What generic-method handling reads from ysipchan.conf.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenericConfig {
    /// `[methods]`: lower-cased method → whether its requests are challenged.
    pub methods: Vec<(String, bool)>,
    /// `[message] enable`: MESSAGE takes the native path (§0), never `sip.message`.
    pub message_enable: bool,
    /// `[message] auth_required` (default yes): challenge native MESSAGEs.
    pub message_auth_required: bool,
    /// `[general] body_encoding`: how binary bodies become `xsip_body`.
    pub body_encoding: BodyEncoding,
    /// `[general] initial_headers`: also export Via, CSeq, … as `sipheader_*`.
    pub initial_headers: bool,
    /// `[general] auth_foreign`: export the authentication headers too.
    pub auth_foreign: bool,
    /// `[general] maxforwards` (20): the cap of `antiloop`.
    pub maxforwards: u32,
    /// `[general] generate`: install the `xsip.generate` handler.
    pub generate: bool,
}

impl Default for GenericConfig {
    fn default() -> Self {
        GenericConfig {
            methods: Vec::new(),
            message_enable: false,
            message_auth_required: true,
            body_encoding: BodyEncoding::Base64,
            initial_headers: false,
            auth_foreign: false,
            maxforwards: DEFAULT_MAX_FORWARDS,
            generate: false,
        }
    }
}

fn flag(doc: &Document, section: &str, key: &str, default: bool) -> bool {
    doc.value(section, key).map_or(default, |v| to_boolean(v.as_bytes(), default))
}

impl GenericConfig {
    /// Reads ysipchan.conf. Returns the settings and one warning per value that
    /// could not be used as written (the default is used instead, as Yate does).
    pub fn from_document(doc: &Document) -> (GenericConfig, Vec<String>) {
        let mut warnings = Vec::new();
        let mut cfg = GenericConfig::default();
        if let Some(s) = doc.section("methods") {
            for e in &s.entries {
                let name = e.key.to_ascii_lowercase();
                if name.is_empty() || cfg.methods.iter().any(|(m, _)| *m == name) {
                    continue;
                }
                cfg.methods.push((name, to_boolean(e.value.as_bytes(), true)));
            }
        }
        cfg.message_enable = flag(doc, "message", "enable", false);
        cfg.message_auth_required = flag(doc, "message", "auth_required", true);
        if let Some(v) = doc.value("general", "body_encoding") {
            match BodyEncoding::from_name(v) {
                Some(e) => cfg.body_encoding = e,
                None => warnings.push(format!("[general] body_encoding={v}: not base64/hex/hexs/raw, base64 used")),
            }
        }
        cfg.initial_headers = flag(doc, "general", "initial_headers", false);
        cfg.auth_foreign = flag(doc, "general", "auth_foreign", false);
        cfg.generate = flag(doc, "general", "generate", false);
        if let Some(v) = doc.value("general", "maxforwards") {
            // Max-Forwards is one byte on our side (RFC 3261 allows more, nobody sends it).
            match v.trim().parse::<i64>() {
                Ok(n) => cfg.maxforwards = n.clamp(1, 255) as u32,
                Err(_) => warnings.push(format!("[general] maxforwards={v}: not a number, 20 used")),
            }
        }
        (cfg, warnings)
    }

    /// Whether `method` is handled generically and, if so, whether it is challenged:
    /// `None` when its lower-cased name is not in `[methods]` (→ 405), and for
    /// MESSAGE when `[message] enable=yes` (it takes [`native_message`] instead).
    pub fn auto_auth(&self, method: &str) -> Option<bool> {
        let name = method.to_ascii_lowercase();
        if name == "message" && self.message_enable {
            return None;
        }
        self.methods.iter().find(|(m, _)| *m == name).map(|(_, a)| *a)
    }

    /// The methods this configuration adds to the Allow list, upper-cased.
    pub fn allow(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut add = |m: String| {
            if !out.contains(&m) {
                out.push(m);
            }
        };
        if self.message_enable {
            add("MESSAGE".into());
        }
        for (m, _) in &self.methods {
            add(m.to_ascii_uppercase());
        }
        out
    }

    fn export(&self) -> ExportOptions {
        ExportOptions {
            from_to: true,
            auth: self.auth_foreign,
            body_encoding: self.body_encoding,
            initial_headers: self.initial_headers,
        }
    }
}

/// The authentication result a generic request carries into its bus message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthInfo {
    /// The authenticated user (added a second time after `connection_reliable`).
    pub username: Option<String>,
    /// What `user.auth` returned, in order.
    pub params: Vec<(Vec<u8>, Vec<u8>)>,
}

impl AuthInfo {
    /// From an accepted decision; `None` for any other decision.
    pub fn from_decision(d: &AuthDecision) -> Option<AuthInfo> {
        match d {
            AuthDecision::Accepted { username, params } => {
                Some(AuthInfo { username: username.clone(), params: params.clone() })
            }
            _ => None,
        }
    }
}

fn add_nonempty(m: &mut Message, key: &[u8], value: &[u8]) {
    if !value.is_empty() {
        m.add(key, value);
    }
}

/// `antiloop`: `min(Max-Forwards or 20, maxforwards) − 1` (may be −1 on an exhausted request).
pub fn antiloop(req: &Request, maxforwards: u32) -> i64 {
    let mf = req.headers.max_forwards().ok().flatten().map_or(20, u32::from);
    i64::from(mf.min(maxforwards)) - 1
}

/// The `sip.<method>` message for `req`, parameters in ysipchan's order (§1.3).
/// `auth` is `Some` when the request was authenticated; `dlgtag` is the To tag
/// the response will carry.
pub fn sip_message(req: &Request, peer: &Peer, auth: Option<&AuthInfo>, dlgtag: &str, cfg: &GenericConfig) -> Message {
    let mut name = b"sip.".to_vec();
    name.extend(req.method.as_str().bytes().map(|b| b.to_ascii_lowercase()));
    let mut m = Message::new(name);
    let called = req.request_uri().ok().and_then(|u| u.user().map(str::to_owned)).unwrap_or_default();
    add_nonempty(&mut m, b"called", called.as_bytes());
    let from = req.headers.from_addr().ok();
    let caller = from.as_ref().and_then(|a| a.uri.user().map(str::to_owned)).unwrap_or_default();
    add_nonempty(&mut m, b"caller", caller.as_bytes());
    let display = from.as_ref().and_then(|a| a.display.clone()).unwrap_or_default();
    add_nonempty(&mut m, b"callername", display.as_bytes());
    if let Some(a) = auth {
        // Yate copies the user.auth results over the message: keys already there
        // (caller, called) keep their place.
        for (k, v) in &a.params {
            m.set(k, v);
        }
        if m.get(b"newcall").is_none() {
            m.set(b"newcall", b"false");
        }
    }
    m.add(b"connection_id", peer.connection_id.as_bytes());
    m.add(b"connection_reliable", if peer.transport.reliable() { b"true" } else { b"false" });
    if let Some(u) = auth.and_then(|a| a.username.as_deref()) {
        add_nonempty(&mut m, b"username", u.as_bytes());
    }
    let mut buf = String::with_capacity(24);
    text::push_decimal(&mut buf, antiloop(req, cfg.maxforwards));
    m.add(b"antiloop", buf.as_bytes());
    buf.clear();
    text::push_ip(&mut buf, peer.addr.ip());
    m.add(b"ip_host", buf.as_bytes());
    m.add(b"ip_port", itoa::Buffer::new().format(peer.addr.port()).as_bytes());
    m.add(b"ip_transport", peer.transport.name().as_bytes());
    buf.clear();
    text::push_socket_addr(&mut buf, peer.addr);
    m.add(b"address", buf.as_bytes());
    add_nonempty(&mut m, b"sip_uri", req.uri.as_bytes());
    add_nonempty(&mut m, b"sip_callid", req.headers.call_id().unwrap_or_default().as_bytes());
    add_nonempty(&mut m, b"xsip_dlgtag", dlgtag.as_bytes());
    let opts = cfg.export();
    crate::sip::msg::header_params(&req.headers, &opts, |k, v| m.add(k.as_bytes(), v));
    for (k, v) in crate::sip::msg::body_params_of(&req.headers, &req.body, &opts) {
        m.add(k.as_bytes(), &v);
    }
    m
}

/// Whether two messages carry the same `xsip_*` body parameters, in the same
/// order: the body was not changed by the handlers.
fn same_body_params(a: &Message, b: &Message) -> bool {
    fn body(m: &Message) -> impl Iterator<Item = (&[u8], &[u8])> + '_ {
        m.iter().filter(|(k, _)| k.starts_with(b"xsip_body") || k.starts_with(b"xsip_type"))
    }
    body(a).eq(body(b))
}

fn suffix(i: usize) -> String {
    if i == 0 {
        String::new()
    } else {
        format!(".{i}")
    }
}

/// One outgoing body part: its type, extra part headers and bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutPart {
    /// `xsip_type<suffix>`.
    pub content_type: String,
    /// `xsip_body<suffix>.header_<Name>` values.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The decoded bytes.
    pub body: Vec<u8>,
}

/// The body parts `msg` carries (§1.4, outgoing): for `""`, `.1`, `.2`, … while
/// `xsip_body<suffix>` is non-empty. A part with no type, an unknown encoding or
/// undecodable data is dropped (with a warning in `warnings`), the others kept.
pub fn out_parts(msg: &Message, warnings: &mut Vec<String>) -> Vec<OutPart> {
    let mut parts = Vec::new();
    for i in 0.. {
        let sfx = suffix(i);
        let body = msg.get(["xsip_body", &sfx].concat().as_bytes()).unwrap_or_default();
        if body.is_empty() {
            break;
        }
        let ctype = String::from_utf8_lossy(msg.get(["xsip_type", &sfx].concat().as_bytes()).unwrap_or_default());
        if ctype.is_empty() {
            continue;
        }
        let enc = msg.get(["xsip_body_encoding", &sfx].concat().as_bytes()).unwrap_or_default();
        let bytes = if enc.is_empty() {
            body.to_vec()
        } else {
            let name = String::from_utf8_lossy(enc);
            match BodyEncoding::from_name(&name).and_then(|e| e.decode(body)) {
                Some(b) => b,
                None => {
                    warnings.push(format!("xsip_body{sfx}: cannot decode as '{name}', part dropped"));
                    continue;
                }
            }
        };
        let prefix = ["xsip_body", &sfx, ".header_"].concat();
        let headers = msg
            .iter()
            .filter_map(|(k, v)| {
                let name = k.strip_prefix(prefix.as_bytes())?;
                Some((String::from_utf8_lossy(name).into_owned(), v.to_vec()))
            })
            .filter(|(n, _)| !n.is_empty())
            .collect();
        parts.push(OutPart { content_type: ctype.into_owned(), headers, body: bytes });
    }
    parts
}

/// Content-Type and bytes for `parts`: one part as is, two or more as
/// `multipart/mixed` with `boundary`. `None` for no part.
pub fn encode_parts(parts: &[OutPart], boundary: &str) -> Option<(String, Vec<u8>)> {
    match parts {
        [] => None,
        [one] => Some((one.content_type.clone(), one.body.clone())),
        many => {
            let mut out = Vec::new();
            for p in many {
                out.extend_from_slice(format!("--{boundary}\r\nContent-Type: {}\r\n", p.content_type).as_bytes());
                for (n, v) in &p.headers {
                    out.extend_from_slice(n.as_bytes());
                    out.extend_from_slice(b": ");
                    out.extend_from_slice(v);
                    out.extend_from_slice(b"\r\n");
                }
                out.extend_from_slice(b"\r\n");
                out.extend_from_slice(&p.body);
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
            Some((format!("multipart/mixed;boundary={boundary}"), out))
        }
    }
}

/// A boundary that cannot occur in the parts (checked, retried with another);
/// empty for fewer than two parts, which [`encode_parts`] sends without one.
pub fn boundary_for(parts: &[OutPart]) -> String {
    if parts.len() < 2 {
        return String::new();
    }
    loop {
        let b = format!("rexroute-{}", crate::sip::msg::new_tag());
        if !parts.iter().any(|p| p.body.windows(b.len()).any(|w| w == b.as_bytes())) {
            return b;
        }
    }
}

/// `osip_<Header>` parameters (prefix from `osip-prefix`) as headers.
pub fn prefixed_headers(msg: &Message, default_prefix: &str, prefix_key: &[u8]) -> Vec<(String, Vec<u8>)> {
    let prefix = msg.get(prefix_key).map_or_else(|| default_prefix.as_bytes().to_vec(), <[u8]>::to_vec);
    if prefix.is_empty() {
        return Vec::new();
    }
    msg.iter()
        .filter_map(|(k, v)| {
            let name = k.strip_prefix(prefix.as_slice())?;
            let name = std::str::from_utf8(name).ok()?;
            let token = !name.is_empty() && name.bytes().all(crate::sip::msg::is_token_byte);
            token.then(|| (name.to_owned(), v.to_vec()))
        })
        .collect()
}

fn int(v: &[u8]) -> Option<i64> {
    std::str::from_utf8(v).ok()?.trim().parse().ok()
}

fn reason_code(msg: &Message) -> Option<i64> {
    let r = String::from_utf8_lossy(msg.get(b"reason")?);
    error_code(&r).map(i64::from)
}

/// The status code for a dispatched generic request (§1.5); `None` → 405 (415 for INFO).
pub fn result_code(msg: &Message, handled: bool) -> Option<u16> {
    let code = if handled {
        let v = msg.get(b"code").unwrap_or(&msg.retvalue);
        int(v).or_else(|| reason_code(msg)).or(Some(200))
    } else {
        msg.get(b"code").and_then(int).or_else(|| reason_code(msg)).filter(|c| *c >= 300)
    };
    code.filter(|c| (200..=699).contains(c)).and_then(|c| u16::try_from(c).ok())
}

fn fallback_code(req: &Request) -> u16 {
    if req.method.is("INFO") {
        415
    } else {
        405
    }
}

/// A response with `osip_*` headers and, when the handler put or changed one, the body.
fn answer(req: &Request, msg: &Message, code: u16, dlgtag: &str, before: &Message) -> Response {
    let mut resp = Response::for_request_with_tag(req, code, reason_phrase(code), dlgtag);
    for (n, v) in prefixed_headers(msg, "osip_", b"osip-prefix") {
        resp.headers.append(n, v);
    }
    if !same_body_params(msg, before) {
        let parts = out_parts(msg, &mut Vec::new());
        if let Some((ct, body)) = encode_parts(&parts, &boundary_for(&parts)) {
            resp.set_body(Some(&ct), body);
        }
    }
    resp
}

/// The response to a generic request whose `sip.<method>` (`msg`, as the handlers
/// left it, built from `request_msg`) was dispatched with result `handled`.
pub fn generic_response(req: &Request, request_msg: &Message, msg: &Message, handled: bool, dlgtag: &str) -> Response {
    match result_code(msg, handled) {
        Some(code) => answer(req, msg, code, dlgtag, request_msg),
        None => {
            let code = fallback_code(req);
            Response::for_request_with_tag(req, code, reason_phrase(code), dlgtag)
        }
    }
}

/// 405 for a method the Allow list has but `[methods]` does not (any more).
pub fn not_listed_response(req: &Request) -> Response {
    let code = fallback_code(req);
    Response::for_request(req, code, reason_phrase(code))
}

/// The answer to an authentication that did not accept the request (§1.6): a 401
/// with fresh challenges (never 407), or a handler's refusal code with the
/// `osip_*` headers it left in `user_auth` (the `user.auth` message after
/// dispatch). `None` when the decision was to accept.
pub fn auth_response(
    req: &Request,
    decision: &AuthDecision,
    user_auth: &Message,
    auth: &Authenticator,
    now: SystemTime,
) -> Option<Response> {
    match decision {
        AuthDecision::Accepted { .. } => None,
        AuthDecision::Challenge { stale } => {
            let mut resp = Response::for_request(req, 401, reason_phrase(401));
            for c in auth.challenge(now, *stale) {
                resp.headers.append("WWW-Authenticate", c);
            }
            Some(resp)
        }
        AuthDecision::Reject { code, reason } => {
            let phrase = reason.clone().unwrap_or_else(|| reason_phrase(*code).to_owned());
            let mut resp = Response::for_request(req, *code, &phrase);
            for (n, v) in prefixed_headers(user_auth, "osip_", b"osip-prefix") {
                resp.headers.append(n, v);
            }
            Some(resp)
        }
    }
}

/// What one generic request produced.
#[derive(Clone, Debug)]
pub struct GenericOutcome {
    answer: Answer,
    /// The `sip.<method>` (or, on the native path, `msg.execute`) after dispatch, if one was sent.
    pub message: Option<Message>,
    /// Messages to enqueue (`user.authfail`).
    pub enqueue: Vec<Message>,
}

/// The final response, or what it is built from.
#[derive(Clone, Debug)]
enum Answer {
    Ready(Response),
    /// The answer to a dispatched `sip.<method>` ([`generic_response`]), from the
    /// message as built (`request_msg`) and as the handlers left it (`message`).
    Dispatched {
        request_msg: Message,
        handled: bool,
        dlgtag: String,
    },
}

impl GenericOutcome {
    fn ready(response: Response, message: Option<Message>, enqueue: Vec<Message>) -> GenericOutcome {
        GenericOutcome { answer: Answer::Ready(response), message, enqueue }
    }

    /// The final response to `req`, the request handled. `serve` calls this only
    /// after what the rules enqueued has run, outside the routing lock: the
    /// request relayed onwards leaves first, and its next hop is the one waiting.
    pub fn response(&self, req: &Request) -> Response {
        match &self.answer {
            Answer::Ready(r) => r.clone(),
            Answer::Dispatched { request_msg, handled, dlgtag } => {
                let msg = self.message.as_ref().unwrap_or(request_msg);
                generic_response(req, request_msg, msg, *handled, dlgtag)
            }
        }
    }
}

/// A request's generic message built ahead of its handling (see [`prepare`]).
#[derive(Debug)]
pub enum Prepared {
    /// The `sip.<method>` message, the digest check (if asked for) passed.
    Message {
        /// The configuration it was built with: handling with another one builds
        /// the message again (with the same check's result).
        config: Arc<GenericConfig>,
        /// The dialog tag its `xsip_dlgtag` carries (and the answer's To tag).
        dlgtag: String,
        /// The `sip.<method>` message.
        message: Message,
        /// What `user.auth` returned, when the method is challenged.
        info: Option<AuthInfo>,
    },
    /// The digest check answered the request (`401`, `403`, …): nothing is dispatched.
    Refused(Response),
}

/// What the work ahead of the handling produced, and the `user.authfail`
/// messages its digest check enqueued.
#[derive(Debug)]
pub struct Ahead {
    /// The message or the refusal.
    pub prepared: Prepared,
    /// Messages to enqueue (`user.authfail`).
    pub enqueue: Vec<Message>,
}

/// Does the part of [`handle_generic`] that needs no lock, ahead of it: the
/// digest check (`dispatch` answers its `user.auth`; the nonce counts have
/// their own lock) and the `sip.<method>` message. `serve` does this before it
/// takes the routing lock, so that the one serial section is only the rules of
/// that message. `None` for what is decided under the lock anyway: the native
/// MESSAGE path, and methods not listed.
pub fn prepare(
    req: &Request,
    peer: &Peer,
    cfg: &Arc<GenericConfig>,
    auth: &Authenticator,
    now: SystemTime,
    dispatch: &mut dyn FnMut(&mut Message) -> bool,
) -> Option<Ahead> {
    let native = cfg.message_enable && req.method.is("MESSAGE");
    if native {
        return None;
    }
    let challenge = cfg.auto_auth(req.method.as_str())?;
    let mut enqueue = Vec::new();
    let info = match check_auth(req, peer, challenge, auth, now, dispatch, &mut enqueue) {
        Ok(info) => info,
        Err(response) => return Some(Ahead { prepared: Prepared::Refused(response), enqueue }),
    };
    let dlgtag = crate::sip::msg::new_tag();
    let message = sip_message(req, peer, info.as_ref(), &dlgtag, cfg);
    Some(Ahead { prepared: Prepared::Message { config: cfg.clone(), dlgtag, message, info }, enqueue })
}

/// Handles one admitted request whose method is not built in, end to end:
/// `[methods]` lookup, authentication when asked for, `sip.<method>`, the
/// response; MESSAGE with `[message] enable=yes` takes the native path instead
/// ([`native_message`], challenged per `[message] auth_required`). `dispatch`
/// sends a message to the bus and returns whether it was handled.
/// `prepared`, from [`prepare`], stands for the digest check and the
/// `sip.<method>` message it would build.
pub fn handle_generic(
    req: &Request,
    peer: &Peer,
    cfg: &GenericConfig,
    auth: &Authenticator,
    now: SystemTime,
    dispatch: &mut dyn FnMut(&mut Message) -> bool,
    prepared: Option<Ahead>,
) -> GenericOutcome {
    if let Some(Ahead { prepared, enqueue }) = prepared {
        let (dlgtag, request_msg) = match prepared {
            Prepared::Refused(response) => return GenericOutcome::ready(response, None, enqueue),
            Prepared::Message { config, dlgtag, message, .. } if *config == *cfg => (dlgtag, message),
            // Reloaded meanwhile: the check stands (its nonce count is spent), the message follows the new settings.
            Prepared::Message { info, .. } => {
                let dlgtag = crate::sip::msg::new_tag();
                let msg = sip_message(req, peer, info.as_ref(), &dlgtag, cfg);
                (dlgtag, msg)
            }
        };
        return dispatch_generic(request_msg, dlgtag, dispatch, enqueue);
    }
    let native = cfg.message_enable && req.method.is("MESSAGE");
    let challenge = if native { Some(cfg.message_auth_required) } else { cfg.auto_auth(req.method.as_str()) };
    let Some(challenge) = challenge else {
        return GenericOutcome::ready(not_listed_response(req), None, Vec::new());
    };
    let mut enqueue = Vec::new();
    let info = match check_auth(req, peer, challenge, auth, now, dispatch, &mut enqueue) {
        Ok(info) => info,
        Err(response) => return GenericOutcome::ready(response, None, enqueue),
    };
    if native {
        let mut outcome = native_message(req, peer, info.as_ref(), cfg, dispatch);
        outcome.enqueue.extend(enqueue);
        return outcome;
    }
    let dlgtag = crate::sip::msg::new_tag();
    let msg = sip_message(req, peer, info.as_ref(), &dlgtag, cfg);
    dispatch_generic(msg, dlgtag, dispatch, enqueue)
}

/// Sends a request's `sip.<method>` message to the bus; the answer is built
/// from it later ([`GenericOutcome::response`]).
fn dispatch_generic(
    request_msg: Message,
    dlgtag: String,
    dispatch: &mut dyn FnMut(&mut Message) -> bool,
    enqueue: Vec<Message>,
) -> GenericOutcome {
    let mut msg = request_msg.clone();
    let handled = dispatch(&mut msg);
    GenericOutcome { answer: Answer::Dispatched { request_msg, handled, dlgtag }, message: Some(msg), enqueue }
}

/// The digest check of a generic request (§1.6), when `challenge` asks for one.
/// `Ok` carries what `user.auth` returned (`None` when not challenged); `Err` the
/// 401 or refusal to answer. `user.authfail` messages are added to `enqueue`.
pub fn check_auth(
    req: &Request,
    peer: &Peer,
    challenge: bool,
    auth: &Authenticator,
    now: SystemTime,
    dispatch: &mut dyn FnMut(&mut Message) -> bool,
    enqueue: &mut Vec<Message>,
) -> Result<Option<AuthInfo>, Response> {
    if !challenge {
        return Ok(None);
    }
    let out = auth.authenticate(req, peer, &Message::new("sip"), now, dispatch);
    enqueue.extend(out.authfail);
    match auth_response(req, &out.decision, &out.message, auth, now) {
        Some(response) => Err(response),
        None => Ok(AuthInfo::from_decision(&out.decision)),
    }
}

/// The native MESSAGE path (`[message] enable=yes`, §0 and §1.5): the request's
/// message is sent as `call.route` (`route_type=msg`, `module=sip`), then as
/// `msg.execute` with `callto` = the route result. `info` is the authentication
/// result when `[message] auth_required` asked for one.
pub fn native_message(
    req: &Request,
    peer: &Peer,
    info: Option<&AuthInfo>,
    cfg: &GenericConfig,
    dispatch: &mut dyn FnMut(&mut Message) -> bool,
) -> GenericOutcome {
    let dlgtag = crate::sip::msg::new_tag();
    let base = sip_message(req, peer, info, &dlgtag, cfg);
    let mut msg = base.clone();
    msg.name = b"call.route".to_vec();
    msg.set(b"route_type", b"msg");
    msg.set(b"module", b"sip");
    let routed = dispatch(&mut msg);
    let target = msg.retvalue.clone();
    let done = |code: u16, msg: Message| {
        GenericOutcome::ready(
            Response::for_request_with_tag(req, code, reason_phrase(code), &dlgtag),
            Some(msg),
            Vec::new(),
        )
    };
    if !routed || target.is_empty() || target == b"-" || target == b"error" {
        return done(failure_code(&msg).unwrap_or(405), msg);
    }
    if int(msg.get(b"antiloop").unwrap_or_default()).unwrap_or(0) <= 0 {
        return done(483, msg);
    }
    msg.name = b"msg.execute".to_vec();
    msg.set(b"callto", &target);
    for k in [&b"error"[..], b"reason"] {
        msg.clear(k);
    }
    msg.retvalue.clear();
    if dispatch(&mut msg) {
        let code = result_code(&msg, true).unwrap_or(200);
        let response = answer(req, &msg, code, &dlgtag, &base);
        return GenericOutcome::ready(response, Some(msg), Vec::new());
    }
    done(failure_code(&msg).unwrap_or(405), msg)
}

/// Failure code of the native path: `reason`, then `code`, then a numeric `error`
/// (a named one such as regfile's `offline` is not read: Yate answers that 405).
fn failure_code(msg: &Message) -> Option<u16> {
    let code = reason_code(msg)
        .or_else(|| msg.get(b"code").and_then(int))
        .or_else(|| msg.get(b"error").and_then(int))
        .filter(|c| (300..=699).contains(c));
    code.and_then(|c| u16::try_from(c).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ini::load_str;
    use crate::sip::auth::{AuthConfig, Transport};
    use crate::sip::msg::{parse, Message as Sip};
    use proptest::prelude::*;

    const TWINKLE: &str = "MESSAGE sip:bob@127.0.0.1 SIP/2.0\r\n\
Via: SIP/2.0/UDP 127.0.0.1:5071;rport;branch=z9hG4bKm1\r\nMax-Forwards: 70\r\n\
To: <sip:bob@127.0.0.1>\r\nFrom: \"Alice\" <sip:alice@127.0.0.1>;tag=poqas\r\nCall-ID: c1@127.0.0.1\r\n\
CSeq: 2 MESSAGE\r\nAuthorization: Digest username=\"alice\"\r\nContent-Type: text/plain;charset=utf-8\r\n\
User-Agent: Twinkle/1.10.2\r\nContent-Length: 9\r\n\r\nHello Bob";

    fn request(text: &str) -> Request {
        match parse(text.as_bytes()) {
            Ok(Sip::Request(r)) => r,
            other => panic!("not a request: {other:?}"),
        }
    }

    fn peer() -> Peer {
        Peer::udp("127.0.0.1:5071".parse().unwrap())
    }

    fn pairs(m: &Message) -> Vec<(String, String)> {
        m.iter()
            .map(|(k, v)| (String::from_utf8_lossy(k).into_owned(), String::from_utf8_lossy(v).into_owned()))
            .collect()
    }

    fn expect(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn alice() -> AuthInfo {
        let p = |k: &str, v: &str| (k.as_bytes().to_vec(), v.as_bytes().to_vec());
        AuthInfo {
            username: Some("alice".into()),
            params: vec![
                p("username", "alice"),
                p("realm", "Yate"),
                p("domain", "127.0.0.1"),
                p("device", "Twinkle/1.10.2"),
            ],
        }
    }

    #[test]
    fn config_from_ysipchan_conf() {
        let doc = load_str(
            "ysipchan.conf",
            "[general]\nbody_encoding=hexs\nmaxforwards=500\ngenerate=yes\n[methods]\nMESSAGE=no\npublish=maybe\n\
[message]\nenable=no\n",
            &Default::default(),
        );
        let (cfg, warnings) = GenericConfig::from_document(&doc);
        assert!(warnings.is_empty());
        assert_eq!(cfg.methods, [("message".to_owned(), false), ("publish".to_owned(), true)]);
        assert_eq!(cfg.body_encoding, BodyEncoding::HexSpaced);
        assert_eq!(cfg.maxforwards, 255);
        assert!(cfg.generate);
        assert_eq!(cfg.auto_auth("MESSAGE"), Some(false));
        assert_eq!(cfg.auto_auth("PUBLISH"), Some(true), "not a boolean: challenged");
        assert_eq!(cfg.auto_auth("INFO"), None);
        assert_eq!(cfg.allow(), ["MESSAGE", "PUBLISH"]);
        let doc = load_str("y", "[general]\nbody_encoding=b64\n[message]\nenable=yes\n", &Default::default());
        let (cfg, warnings) = GenericConfig::from_document(&doc);
        assert_eq!(warnings.len(), 1);
        assert_eq!(cfg.auto_auth("MESSAGE"), None, "native path");
        assert_eq!(cfg.allow(), ["MESSAGE"]);
    }

    #[test]
    fn sip_message_as_in_the_trace() {
        let req = request(TWINKLE);
        let m = sip_message(&req, &peer(), Some(&alice()), "dlg1", &GenericConfig::default());
        assert_eq!(m.name, b"sip.message");
        assert_eq!(
            pairs(&m),
            expect(&[
                ("called", "bob"),
                ("caller", "alice"),
                ("callername", "Alice"),
                ("username", "alice"),
                ("realm", "Yate"),
                ("domain", "127.0.0.1"),
                ("device", "Twinkle/1.10.2"),
                ("newcall", "false"),
                ("connection_id", "general"),
                ("connection_reliable", "false"),
                ("username", "alice"),
                ("antiloop", "19"),
                ("ip_host", "127.0.0.1"),
                ("ip_port", "5071"),
                ("ip_transport", "UDP"),
                ("address", "127.0.0.1:5071"),
                ("sip_uri", "sip:bob@127.0.0.1"),
                ("sip_callid", "c1@127.0.0.1"),
                ("xsip_dlgtag", "dlg1"),
                ("sip_to", "<sip:bob@127.0.0.1>"),
                ("sip_from", "\"Alice\" <sip:alice@127.0.0.1>;tag=poqas"),
                ("sip_content-type", "text/plain;charset=utf-8"),
                ("sip_user-agent", "Twinkle/1.10.2"),
                ("xsip_type", "text/plain"),
                ("xsip_body", "Hello Bob"),
            ])
        );
    }

    #[test]
    fn unauthenticated_tcp_binary_and_foreign_auth() {
        let text = TWINKLE
            .replace("Max-Forwards: 70", "Max-Forwards: 3")
            .replace("text/plain;charset=utf-8", "application/octet-stream")
            .replace("From: \"Alice\" ", "From: ");
        let req = request(&text);
        let tcp =
            Peer { addr: "10.0.0.2:4000".parse().unwrap(), transport: Transport::Tcp, connection_id: "tcp:7".into() };
        let cfg = GenericConfig { body_encoding: BodyEncoding::Hex, auth_foreign: true, ..Default::default() };
        let m = sip_message(&req, &tcp, None, "t", &cfg);
        let names: Vec<String> = pairs(&m).into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            names,
            [
                "called",
                "caller",
                "connection_id",
                "connection_reliable",
                "antiloop",
                "ip_host",
                "ip_port",
                "ip_transport",
                "address",
                "sip_uri",
                "sip_callid",
                "xsip_dlgtag",
                "sip_to",
                "sip_from",
                "sip_authorization",
                "sip_content-type",
                "sip_user-agent",
                "xsip_type",
                "xsip_body_encoding",
                "xsip_body",
            ]
        );
        assert_eq!(m.get(b"antiloop"), Some(&b"2"[..]));
        assert_eq!(m.get(b"connection_reliable"), Some(&b"true"[..]));
        assert_eq!(m.get(b"xsip_body"), Some(&b"48656c6c6f20426f62"[..]));
        let nul = request(&TWINKLE.replace("Hello Bob", "Hello\0Bob"));
        let m = sip_message(&nul, &peer(), None, "t", &GenericConfig::default());
        assert_eq!(m.get(b"xsip_body_encoding"), Some(&b"base64"[..]), "text with a NUL is binary");
        let sdp = request(&TWINKLE.replace("text/plain;charset=utf-8", "application/sdp"));
        let m = sip_message(&sdp, &peer(), None, "t", &GenericConfig::default());
        assert_eq!(m.get(b"xsip_type"), None);
    }

    /// `[sip-t] isup=yes` makes Yate decode `application/isup` into ISUP
    /// parameters; rexroute has no ISUP decoder and hands the bytes on as any
    /// binary body (docs/differences.md).
    #[test]
    fn isup_bodies_reach_the_rules_as_binary() {
        let req = request(&TWINKLE.replace("text/plain;charset=utf-8", "application/isup;version=itu-t92+"));
        let m = sip_message(&req, &peer(), None, "t", &GenericConfig::default());
        assert_eq!(m.get(b"xsip_type"), Some(&b"application/isup"[..]));
        assert_eq!(m.get(b"xsip_body_encoding"), Some(&b"base64"[..]));
        assert_eq!(m.get(b"xsip_body"), Some(&b"SGVsbG8gQm9i"[..]));
        assert!(m.iter().all(|(k, _)| !k.starts_with(b"isup")), "no ISUP parameters");
    }

    fn dispatched(ret: &str, params: &[(&str, &str)]) -> Message {
        let mut m = Message::new("sip.message");
        m.retvalue = ret.as_bytes().to_vec();
        for (k, v) in params {
            m.add(k.as_bytes(), v.as_bytes());
        }
        m
    }

    #[test]
    fn result_codes() {
        type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], bool, Option<u16>);
        let cases: &[Case] = &[
            ("200", &[], true, Some(200)),
            ("415", &[], true, Some(415)),
            ("202", &[], true, Some(202)),
            ("", &[], true, Some(200)),
            ("ok", &[], true, Some(200)),
            ("ok", &[("reason", "busy")], true, Some(486)),
            ("100", &[], true, None),
            ("200", &[("code", "603")], true, Some(603)),
            ("", &[], false, None),
            ("", &[("code", "488")], false, Some(488)),
            ("", &[("reason", "forbidden")], false, Some(403)),
            ("", &[("code", "200")], false, None),
            ("", &[("error", "busy")], false, None),
        ];
        for (ret, params, handled, code) in cases {
            assert_eq!(result_code(&dispatched(ret, params), *handled), *code, "{ret:?} {params:?} {handled}");
        }
        let req = request(TWINKLE);
        let r = generic_response(&req, &Message::new("x"), &dispatched("", &[]), false, "tg");
        assert_eq!(r.code, 405);
        let info = request(&TWINKLE.replace("MESSAGE sip", "INFO sip").replace("2 MESSAGE", "2 INFO"));
        assert_eq!(generic_response(&info, &Message::new("x"), &dispatched("", &[]), false, "tg").code, 415);
    }

    #[test]
    fn response_headers_and_changed_bodies_only() {
        let req = request(TWINKLE);
        let before = sip_message(&req, &peer(), None, "tg", &GenericConfig::default());
        let mut after = before.clone();
        after.retvalue = b"200".to_vec();
        after.add(b"osip_X-Note", b"seen");
        let r = generic_response(&req, &before, &after, true, "tg");
        assert_eq!(r.code, 200);
        assert_eq!(r.headers.str("X-Note"), Some("seen"));
        assert!(r.body.is_empty(), "the request's own body is not echoed");
        assert_eq!(r.headers.to_addr().unwrap().tag(), Some("tg"));
        after.set(b"xsip_body", b"Reply");
        after.add(b"osip-prefix", b"hdr_");
        after.add(b"hdr_Y", b"1");
        let r = generic_response(&req, &before, &after, true, "tg");
        assert_eq!(r.body, b"Reply");
        assert_eq!(r.headers.str("Content-Type"), Some("text/plain"));
        assert_eq!(r.headers.str("Y"), Some("1"));
        assert_eq!(r.headers.str("X-Note"), None, "the prefix changed");
    }

    #[test]
    fn outgoing_parts_decode_and_wrap() {
        let mut m = Message::new("xsip.generate");
        for (k, v) in [
            ("xsip_type", "text/plain"),
            ("xsip_body", "Hi"),
            ("xsip_type.1", "image/png"),
            ("xsip_body_encoding.1", "hexs"),
            ("xsip_body.1", "00 ff"),
            ("xsip_body.1.header_Content-Disposition", "attachment;filename=\"a.png\""),
            ("xsip_type.2", "application/x"),
            ("xsip_body_encoding.2", "rot13"),
            ("xsip_body.2", "zz"),
        ] {
            m.add(k.as_bytes(), v.as_bytes());
        }
        let mut warnings = Vec::new();
        let parts = out_parts(&m, &mut warnings);
        assert_eq!(parts.len(), 2);
        assert_eq!(warnings.len(), 1, "the unknown encoding drops its part only");
        let (ct, body) = encode_parts(&parts, "B").unwrap();
        assert_eq!(ct, "multipart/mixed;boundary=B");
        assert_eq!(
            body,
            b"--B\r\nContent-Type: text/plain\r\n\r\nHi\r\n--B\r\nContent-Type: image/png\r\n\
Content-Disposition: attachment;filename=\"a.png\"\r\n\r\n\x00\xff\r\n--B--\r\n"
        );
        let back = crate::sip::msg::split_multipart(&body, "B").unwrap();
        assert_eq!(back[1].body, [0, 0xff]);
    }

    /// The test MESSAGE with alice's MD5 answer to `challenge` (a WWW-Authenticate value).
    fn signed_by_alice(challenge: &str) -> Request {
        let nonce = challenge.split('"').nth(3).unwrap();
        let input = crate::sip::auth::DigestInput {
            algorithm: crate::sip::auth::Algorithm::Md5,
            username: "alice",
            realm: "Yate",
            password: "secret",
            method: "MESSAGE",
            uri: "sip:bob@127.0.0.1",
            nonce,
            qop: None,
        };
        let resp = crate::sip::auth::response(&input);
        let authz = format!(
            "Authorization: Digest username=\"alice\",realm=\"Yate\",nonce=\"{nonce}\",uri=\"sip:bob@127.0.0.1\",\
response=\"{resp}\",algorithm=MD5\r\n"
        );
        request(&TWINKLE.replace("Authorization: Digest username=\"alice\"\r\n", &authz))
    }

    /// An authenticator, the time, MESSAGE listed (challenged or not) and Twinkle's
    /// MESSAGE without its Authorization header.
    fn unsigned_message(challenge: bool) -> (Authenticator, SystemTime, Arc<GenericConfig>, Request) {
        let auth = Authenticator::new(AuthConfig { qop: false, ..Default::default() });
        let config = Arc::new(GenericConfig { methods: vec![("message".into(), challenge)], ..Default::default() });
        let req = request(&TWINKLE.replace("Authorization: Digest username=\"alice\"\r\n", ""));
        (auth, SystemTime::now(), config, req)
    }

    fn users_auth(m: &mut Message) -> bool {
        if m.name == b"user.auth" && m.get(b"username") == Some(b"alice") {
            m.retvalue = b"secret".to_vec();
            return true;
        }
        false
    }

    #[test]
    fn a_message_built_ahead_is_used_only_when_nothing_it_depends_on_changed() {
        let (auth, now, open, req) = unsigned_message(false);
        let ahead = |cfg: &Arc<GenericConfig>| prepare(&req, &peer(), cfg, &auth, now, &mut users_auth);
        let native = Arc::new(GenericConfig { message_enable: true, ..(*open).clone() });
        assert!(ahead(&native).is_none(), "the native path builds its own");
        let unlisted = Arc::new(GenericConfig::default());
        assert!(ahead(&unlisted).is_none(), "not listed: answered under the lock");
        let built_ahead = ahead(&open).unwrap();
        let Prepared::Message { dlgtag: tag, message: built, .. } = &built_ahead.prepared else {
            panic!("{built_ahead:?}")
        };
        let (tag, built) = (tag.clone(), built.clone());
        assert_eq!(built.get(b"xsip_dlgtag"), Some(tag.as_bytes()));
        let mut seen = Vec::new();
        let mut dispatch = |m: &mut Message| {
            seen.push(m.clone());
            true
        };
        let out = handle_generic(&req, &peer(), &open, &auth, now, &mut dispatch, Some(built_ahead));
        assert_eq!(seen, std::slice::from_ref(&built), "the message built ahead is the one dispatched");
        assert_eq!(out.response(&req).headers.to_addr().unwrap().tag(), Some(tag.as_str()));
        // The same request handled the ordinary way gets the same parameters but its own tag.
        let fresh = handle_generic(&req, &peer(), &open, &auth, now, &mut |_| true, None).message.unwrap();
        let strip = |m: &Message| {
            m.iter().filter(|(k, _)| *k != b"xsip_dlgtag").map(|(k, v)| (k.to_vec(), v.to_vec())).collect::<Vec<_>>()
        };
        assert_eq!(strip(&fresh), strip(&built));
        // Built with settings since replaced: built again with the new ones.
        let hex = GenericConfig { body_encoding: BodyEncoding::Hex, ..(*open).clone() };
        let stale = ahead(&open).unwrap();
        let Prepared::Message { dlgtag: stale_tag, .. } = &stale.prepared else { panic!("{stale:?}") };
        let stale_tag = stale_tag.clone().into_bytes();
        let mut got = None;
        let mut record = |m: &mut Message| {
            got = m.get(b"xsip_dlgtag").map(<[u8]>::to_vec);
            true
        };
        handle_generic(&req, &peer(), &hex, &auth, now, &mut record, Some(stale));
        assert!(got.is_some_and(|t| t != stale_tag), "not the stale message");
    }

    /// The digest check runs ahead too: a refusal is answered from it, with
    /// nothing dispatched; a pass carries what `user.auth` returned.
    #[test]
    fn the_digest_check_runs_ahead_of_the_handling() {
        let (auth, now, challenged, bare) = unsigned_message(true);
        let refused = prepare(&bare, &peer(), &challenged, &auth, now, &mut users_auth).unwrap();
        assert!(matches!(&refused.prepared, Prepared::Refused(r) if r.code == 401), "{refused:?}");
        let mut dispatched = 0;
        let out = handle_generic(
            &bare,
            &peer(),
            &challenged,
            &auth,
            now,
            &mut |_| {
                dispatched += 1;
                true
            },
            Some(refused),
        );
        assert_eq!((out.response(&bare).code, dispatched), (401, 0));
        // Answer the challenge: the check passes ahead and the message carries the user.
        let ch = out.response(&bare).headers.str("WWW-Authenticate").unwrap().to_owned();
        let signed = signed_by_alice(&ch);
        let passed = prepare(&signed, &peer(), &challenged, &auth, now, &mut users_auth).unwrap();
        let Prepared::Message { message, info, .. } = &passed.prepared else { panic!("{passed:?}") };
        assert_eq!(info.as_ref().and_then(|i| i.username.as_deref()), Some("alice"));
        assert_eq!(message.get(b"username"), Some(&b"alice"[..]));
    }

    #[test]
    fn generic_flow_challenges_then_dispatches() {
        let auth = Authenticator::new(AuthConfig { qop: false, ..Default::default() });
        let cfg = GenericConfig { methods: vec![("message".into(), true)], ..Default::default() };
        let now = SystemTime::now();
        let req = request(&TWINKLE.replace("Authorization: Digest username=\"alice\"\r\n", ""));
        let out = handle_generic(&req, &peer(), &cfg, &auth, now, &mut users_auth, None);
        let answer = out.response(&req);
        assert_eq!(answer.code, 401);
        let ch = answer.headers.str("WWW-Authenticate").unwrap().to_owned();
        assert!(
            ch.starts_with("Digest realm=\"Yate\", nonce=\"") && ch.ends_with("stale=FALSE, algorithm=MD5"),
            "{ch}"
        );
        let req = signed_by_alice(&ch);
        let mut seen = None;
        let mut dispatch = |m: &mut Message| {
            if m.name == b"sip.message" {
                m.retvalue = b"200".to_vec();
                seen = Some(m.clone());
                return true;
            }
            users_auth(m)
        };
        let out = handle_generic(&req, &peer(), &cfg, &auth, now, &mut dispatch, None);
        assert_eq!(out.response(&req).code, 200);
        let m = seen.unwrap();
        assert_eq!(m.iter().filter(|(k, _)| *k == b"username").count(), 2);
        assert_eq!(m.get(b"realm"), Some(&b"Yate"[..]));
        let open = GenericConfig { methods: vec![("message".into(), false)], ..Default::default() };
        let out = handle_generic(
            &req,
            &peer(),
            &open,
            &auth,
            now,
            &mut |m: &mut Message| {
                assert_eq!(m.get(b"username"), None, "no auth, no username");
                m.name == b"sip.message"
            },
            None,
        );
        assert_eq!(out.response(&req).code, 200);
        let mut refuse = |m: &mut Message| {
            m.set(b"error", b"forbidden");
            m.set(b"osip_Warning", b"399 yate \"blocked\"");
            false
        };
        let out = handle_generic(&req, &peer(), &cfg, &auth, now, &mut refuse, None);
        let answer = out.response(&req);
        assert_eq!(answer.code, 403);
        assert_eq!(answer.headers.str("Warning"), Some("399 yate \"blocked\""));
        let none = GenericConfig::default();
        assert_eq!(
            handle_generic(&req, &peer(), &none, &auth, now, &mut |_: &mut Message| true, None).response(&req).code,
            405
        );
    }

    #[test]
    fn native_path_codes() {
        let req = request(TWINKLE);
        let cfg = GenericConfig { message_enable: true, ..Default::default() };
        let mut names = Vec::new();
        let out = native_message(&req, &peer(), None, &cfg, &mut |m: &mut Message| {
            names.push(String::from_utf8_lossy(&m.name).into_owned());
            if m.name == b"call.route" {
                assert_eq!(m.get(b"route_type"), Some(&b"msg"[..]));
                assert_eq!(m.get(b"module"), Some(&b"sip"[..]));
                m.retvalue = b"sip/sip:bob@h".to_vec();
                m.set(b"error", b"stale");
                return true;
            }
            assert_eq!(m.get(b"callto"), Some(&b"sip/sip:bob@h"[..]));
            assert_eq!(m.get(b"error"), None);
            assert!(m.retvalue.is_empty());
            true
        });
        assert_eq!(names, ["call.route", "msg.execute"]);
        assert_eq!(out.response(&req).code, 200);
        let offline = native_message(&req, &peer(), None, &cfg, &mut |m: &mut Message| {
            m.set(b"error", b"offline");
            false
        });
        assert_eq!(offline.response(&req).code, 405, "a named error is not read on this path");
        let numeric = native_message(&req, &peer(), None, &cfg, &mut |m: &mut Message| {
            if m.name == b"call.route" {
                m.retvalue = b"x/y".to_vec();
                return true;
            }
            m.set(b"error", b"480");
            false
        });
        assert_eq!(numeric.response(&req).code, 480);
        let looping = request(&TWINKLE.replace("Max-Forwards: 70", "Max-Forwards: 1"));
        let out = native_message(&looping, &peer(), None, &cfg, &mut |m: &mut Message| {
            m.retvalue = b"x/y".to_vec();
            true
        });
        assert_eq!(out.response(&req).code, 483);
    }

    proptest! {
        #[test]
        fn multipart_parts_survive_byte_exact(bodies in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 1..600), 2..4)) {
            let mut m = Message::new("xsip.generate");
            for (i, b) in bodies.iter().enumerate() {
                let sfx = suffix(i);
                m.add(format!("xsip_type{sfx}").as_bytes(), b"application/octet-stream");
                m.add(format!("xsip_body_encoding{sfx}").as_bytes(), b"base64");
                m.add(format!("xsip_body{sfx}").as_bytes(), &BodyEncoding::Base64.encode(b));
            }
            let parts = out_parts(&m, &mut Vec::new());
            let boundary = boundary_for(&parts);
            let (ct, body) = encode_parts(&parts, &boundary).unwrap();
            prop_assert!(ct.starts_with("multipart/mixed;boundary="));
            let back = crate::sip::msg::split_multipart(&body, &boundary).unwrap();
            let got: Vec<Vec<u8>> = back.into_iter().map(|p| p.body).collect();
            prop_assert_eq!(got, bodies);
        }

        #[test]
        fn binary_bodies_survive_every_encoding(data in proptest::collection::vec(any::<u8>(), 0..4096), e in 0usize..4) {
            let enc = [BodyEncoding::Base64, BodyEncoding::Hex, BodyEncoding::HexSpaced, BodyEncoding::Raw][e];
            let mut req = request(TWINKLE);
            req.set_body(Some("application/octet-stream"), data.clone());
            let cfg = GenericConfig { body_encoding: enc, ..Default::default() };
            let m = sip_message(&req, &peer(), None, "t", &cfg);
            let parts = out_parts(&m, &mut Vec::new());
            if data.is_empty() {
                prop_assert!(parts.is_empty());
            } else {
                prop_assert_eq!(parts.len(), 1);
                prop_assert_eq!(&parts[0].body, &data);
                prop_assert_eq!(parts[0].content_type.as_str(), "application/octet-stream");
            }
        }
    }
}
