//! `xsip.generate` and `msg.execute` to `sip/…`: a bus message becomes an outgoing SIP request.
//!
//! shared/spec/sip.md §2. [`build_request`] is the pure part (parameters → request
//! and destination) and [`send_options`] the per-request settings; [`Generator`]
//! is the bus handler, sending through a [`RequestSender`] so it runs without
//! sockets in tests; [`EndpointSender`] plugs it onto the transaction layer's
//! client transactions and answers a digest challenge ([`retry`]).
//!
//! ```text
//!  xsip.generate / msg.execute{callto=sip/…} ──build_request──▶ (Request, Destination)
//!                                            ──send_options──▶ wait, authname/password, xsip_trans_count, xsip_flags
//!        ──RequestSender::send──▶ wait=false: true at once (a challenge is answered in the background)
//!                                 wait=true: code, sip_*, xsip_* from the final answer
//! ```
//!
//! Parameters of §2.1 that name things rexroute does not have: `id` (a call
//! channel; there are no calls, so any `id` of `xsip.generate` is unknown:
//! `error=noconn`) and `line` (an outbound account; there are none, so it is
//! never registered: `error=offline`). `connection_id` names one of our flows
//! (`tcp:<n>` while that connection reads, a UDP listener's name or `udp:<addr>`);
//! an unknown one is `error=notransport`.

use crate::bus::{Bus, Cx, Handler};
use crate::runtime::message::Message;
use crate::sip::auth::Transport;
mod flags;
pub mod retry;

pub use flags::Flags;
pub use retry::{authorized_retry, AutoAuth};

use crate::sip::generic::{boundary_for, encode_parts, out_parts, prefixed_headers, DEFAULT_MAX_FORWARDS};
use crate::sip::msg::text::{decimal, push_hex16};
use crate::sip::msg::{new_tag, ExportOptions, Request, Response, Uri};
use crate::sip::transaction::{ClientOptions, Endpoint, Origin, Outcome, RequestError, Rport};
use crate::sip::transport::Flow;
use crate::sip::transport::TransportKind;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

/// ysipchan's priority for its `xsip.generate` handler.
pub const XSIP_GENERATE_PRIORITY: i32 = 110;
/// ysipchan's priority for its `msg.execute` handler.
pub const MSG_EXECUTE_PRIORITY: i32 = 100;

/// What generated requests take from the server's settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenerateConfig {
    /// `[general] maxforwards`: Max-Forwards when the message has no `antiloop`.
    pub maxforwards: u32,
    /// `User-Agent` value (`[general] useragent`), if any.
    pub user_agent: Option<String>,
    /// Methods for the `Allow` header; none → no header.
    pub allow: Vec<String>,
    /// Our `host:port`: the Via sent-by, and the host of a generated From and Call-ID.
    /// `None` leaves the Via to the transaction layer and uses `localhost` in From.
    pub local: Option<String>,
}

impl Default for GenerateConfig {
    fn default() -> Self {
        GenerateConfig { maxforwards: DEFAULT_MAX_FORWARDS, user_agent: None, allow: Vec::new(), local: None }
    }
}

/// Where a generated request physically goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Destination {
    /// Host name or IP literal (`host` param, else the URI's host).
    pub host: String,
    /// Port (`port` param, else the URI's, else 5060 / 5061 for sips).
    pub port: u16,
    /// Transport (`ip_transport`, else the URI's `transport=`, else TLS for sips, else UDP).
    pub transport: Transport,
    /// `connection_id`: the flow to send on, which then decides the transport.
    pub connection: Option<String>,
}

/// Why a message produced no request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GenerateError {
    /// No `method`: the handler just declines (no `error`).
    NoMethod,
    /// No usable Request-URI: `error=failure`.
    NoUri,
    /// `antiloop` ≤ 0: `error=looping`.
    Looping,
    /// No transport for the destination: `error=notransport`.
    NoTransport,
    /// `id` names a call, and there are none: `error=noconn`.
    NoConn,
    /// `line` names an outbound account, and none is registered: `error=offline`.
    Offline,
}

impl GenerateError {
    /// The `error` parameter Yate sets, if any.
    pub fn error_name(&self) -> Option<&'static str> {
        match self {
            GenerateError::NoMethod => None,
            GenerateError::NoUri => Some("failure"),
            GenerateError::Looping => Some("looping"),
            GenerateError::NoTransport => Some("notransport"),
            GenerateError::NoConn => Some("noconn"),
            GenerateError::Offline => Some("offline"),
        }
    }
}

fn text(msg: &Message, key: &str) -> String {
    String::from_utf8_lossy(msg.get(key.as_bytes()).unwrap_or_default()).trim().to_owned()
}

/// `<sip:…>` → `sip:…`: brackets and what lies outside them go.
fn strip_brackets(uri: &str) -> &str {
    match (uri.find('<'), uri.rfind('>')) {
        (Some(a), Some(b)) if a < b => uri[a + 1..b].trim(),
        _ => uri.trim(),
    }
}

/// Method and URI: `xsip.generate` reads `method` and `uri`; `msg.execute` sends a
/// MESSAGE to its `sip/` callto target, `uri` being the fallback.
fn method_and_uri(msg: &Message) -> Result<(String, String), GenerateError> {
    let callto = text(msg, "callto");
    let (method, target) = if msg.name == b"msg.execute" {
        ("MESSAGE".to_owned(), callto.strip_prefix("sip/").map(str::to_owned).unwrap_or_default())
    } else {
        (text(msg, "method"), String::new())
    };
    if method.is_empty() || !method.bytes().all(crate::sip::msg::is_token_byte) {
        return Err(GenerateError::NoMethod);
    }
    let uri = if target.is_empty() { text(msg, "uri") } else { target };
    let uri = strip_brackets(&uri).to_owned();
    if uri.is_empty() || uri.contains(char::is_whitespace) {
        return Err(GenerateError::NoUri);
    }
    Ok((method, uri))
}

fn destination(msg: &Message, uri: &Uri) -> Result<Destination, GenerateError> {
    let sips = uri.is_sips();
    let host = match text(msg, "host") {
        h if !h.is_empty() => h,
        _ => uri.host().map(str::to_owned).ok_or(GenerateError::NoUri)?,
    };
    let host = host.trim_start_matches('[').trim_end_matches(']').to_owned();
    let port = match text(msg, "port") {
        p if !p.is_empty() => p.parse().map_err(|_| GenerateError::NoTransport)?,
        _ => uri.port().unwrap_or(if sips { 5061 } else { 5060 }),
    };
    let named = match text(msg, "ip_transport") {
        t if !t.is_empty() => Some(t),
        _ => uri.param("transport").and_then(|p| p.value.clone()),
    };
    let transport = match named.map(|t| t.to_ascii_uppercase()).as_deref() {
        None if sips => Transport::Tls,
        None | Some("UDP") => Transport::Udp,
        Some("TCP") => Transport::Tcp,
        Some("TLS") => Transport::Tls,
        Some(_) => return Err(GenerateError::NoTransport),
    };
    let connection = Some(text(msg, "connection_id")).filter(|c| !c.is_empty());
    Ok(Destination { host, port, transport, connection })
}

/// A parameter Yate reads as set only when it is not empty.
fn given(msg: &Message, key: &[u8]) -> bool {
    msg.get(key).is_some_and(|v| !v.is_empty())
}

/// Builds the request a message asks for (§2.1–2.2). `cseq` is the engine's counter.
pub fn build_request(msg: &Message, cfg: &GenerateConfig, cseq: u32) -> Result<(Request, Destination), GenerateError> {
    // `msg.execute` carries the `id` of the channel the message comes from: Yate
    // looks it up among its SIP calls to send inside that call's dialog. rexroute
    // has no calls, so the lookup could only fail and every relayed message with
    // a sender id would be refused; the id is ignored there (docs/differences.md).
    let parsed = method_and_uri(msg);
    // Without a method the handler declines before any lookup, as Yate's does.
    if msg.name != b"msg.execute" && given(msg, b"id") && parsed != Err(GenerateError::NoMethod) {
        return Err(GenerateError::NoConn);
    }
    let (method, uri_text) = parsed?;
    let antiloop = match text(msg, "antiloop").parse::<i64>() {
        Ok(n) => n,
        Err(_) => i64::from(cfg.maxforwards),
    };
    if antiloop <= 0 {
        return Err(GenerateError::Looping);
    }
    if given(msg, b"line") {
        return Err(GenerateError::Offline);
    }
    let uri = Uri::parse(&uri_text).map_err(|_| GenerateError::NoUri)?;
    let dest = destination(msg, &uri)?;
    let flags = Flags::from_param(msg.get(b"xsip_flags"));
    let local = cfg.local.clone().unwrap_or_else(|| "localhost".into());
    let local_host = local.rsplit_once(':').map_or(local.as_str(), |(h, _)| h).to_owned();
    let domain = match text(msg, "domain") {
        d if !d.is_empty() => d,
        _ => local_host.clone(),
    };

    let mut req = Request::new(method.clone(), uri_text.clone());
    if let Some(sent_by) = &cfg.local {
        let proto = match dest.transport {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
            Transport::Tls => "TLS",
        };
        let mut via = String::with_capacity(64 + sent_by.len());
        for part in ["SIP/2.0/", proto, " ", sent_by, ";"] {
            via.push_str(part);
        }
        let rport = flags.rport();
        if rport == Rport::BeforeBranch {
            via.push_str("rport;");
        }
        via.push_str("branch=z9hG4bK");
        push_hex16(&mut via, rand::random::<u64>());
        if rport == Rport::AfterBranch {
            via.push_str(";rport");
        }
        req.headers.append("Via", via);
    }
    req.headers.append("Max-Forwards", decimal(antiloop.min(255)));
    let tag = new_tag();
    for (name, value) in prefixed_headers(msg, "sip_", b"osip-prefix") {
        let lower = name.to_ascii_lowercase();
        if matches!(lower.as_str(), "max-forwards" | "content-length" | "content-type" | "via") {
            continue;
        }
        let mut value = value;
        if lower == "from" && !has_tag(&value) {
            value.extend_from_slice(b";tag=");
            value.extend_from_slice(tag.as_bytes());
        }
        req.headers.append(name, value);
    }
    if !req.headers.contains("From") {
        let user = text(msg, "user");
        let at = if user.is_empty() { String::new() } else { format!("{user}@") };
        req.headers.append("From", format!("<sip:{at}{domain}>;tag={tag}"));
    }
    if !req.headers.contains("To") {
        req.headers.append("To", ["<", &uri_text, ">"].concat());
    }
    if !req.headers.contains("Call-ID") {
        req.headers.append("Call-ID", [&new_tag(), "@", &domain].concat());
    }
    if !req.headers.contains("CSeq") {
        let mut value = decimal(cseq);
        value.push(' ');
        value.push_str(&method);
        req.headers.append("CSeq", value);
    }
    if let Some(ua) = cfg.user_agent.as_ref().filter(|_| !flags.has(Flags::NOT_ADD_AGENT)) {
        if !req.headers.contains("User-Agent") {
            req.headers.append("User-Agent", ua.clone());
        }
    }
    if !cfg.allow.is_empty() && !flags.has(Flags::NOT_ADD_ALLOW) && !req.headers.contains("Allow") {
        req.headers.append("Allow", cfg.allow.join(", "));
    }
    let parts = out_parts(msg, &mut Vec::new());
    match encode_parts(&parts, &boundary_for(&parts)) {
        Some((ct, body)) => req.set_body(Some(&ct), body),
        None => req.set_body(None, Vec::new()),
    }
    Ok((req, dest))
}

fn has_tag(value: &[u8]) -> bool {
    std::str::from_utf8(value)
        .ok()
        .and_then(|v| crate::sip::msg::NameAddr::parse(v).ok())
        .is_some_and(|a| a.tag().is_some())
}

/// Why a request could not be sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SendError {
    /// No transport to the destination (unsupported transport, unresolvable host,
    /// socket failure): `error=notransport`.
    NoTransport,
    /// Anything else (shutting down, table full): `error=failure`.
    Failure,
}

/// How a generated request is sent, beyond where (§2.1).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SendOptions {
    /// `wait`: block until the final answer and hand it back.
    pub wait: bool,
    /// `authname` (else `user`) + `password`: answer a 401/407 once.
    pub auth: Option<AutoAuth>,
    /// `xsip_trans_count` and the Via's `rport` (`xsip_flags`) for the transaction layer.
    pub transaction: ClientOptions,
}

/// The [`SendOptions`] a message asks for.
///
/// `xsip_trans_count` is read as Yate's `getIntValue(…, -1)` and clamped as its
/// `SIPTransaction::setTransCount` does: negative or unreadable leaves the
/// default, otherwise 2 to 10 transmissions.
pub fn send_options(msg: &Message) -> SendOptions {
    let count = crate::runtime::num::int_auto(msg.get(b"xsip_trans_count").unwrap_or_default(), -1);
    let max_transmissions = u32::try_from(count).ok().map(|n| n.clamp(2, 10));
    SendOptions {
        wait: crate::runtime::num::to_boolean(msg.get(b"wait").unwrap_or_default(), false),
        auth: AutoAuth::from_message(msg),
        transaction: ClientOptions { max_transmissions, rport: Flags::from_param(msg.get(b"xsip_flags")).rport() },
    }
}

/// Something that sends a request in a client transaction.
pub trait RequestSender: Send + Sync {
    /// Sends `req` to `dest`. Without `opts.wait`, returns `Ok(None)` once the
    /// transaction is started; with it, blocks until the final response (after
    /// the one retry `opts.auth` may cause).
    fn send(&self, req: Request, dest: &Destination, opts: &SendOptions) -> Result<Option<Response>, SendError>;
}

/// The `xsip.generate` / `msg.execute` handler (§2.3).
pub struct Generator {
    cfg: GenerateConfig,
    sender: Arc<dyn RequestSender>,
    cseq: AtomicU32,
}

impl Generator {
    /// A generator sending through `sender`.
    pub fn new(cfg: GenerateConfig, sender: Arc<dyn RequestSender>) -> Generator {
        Generator { cfg, sender, cseq: AtomicU32::new(1) }
    }

    /// Installs on `bus` as ysipchan does: `msg.execute` at 100 always, and
    /// `xsip.generate` at 110 only with `generate` (`[general] generate=yes`).
    pub fn install(self: Arc<Self>, bus: &mut Bus, generate: bool) {
        if generate {
            bus.install(XSIP_GENERATE_PRIORITY, b"xsip.generate", None, self.clone());
        }
        bus.install(MSG_EXECUTE_PRIORITY, b"msg.execute", None, self);
    }

    /// Handles one message; `true` when a request was sent.
    pub fn generate(&self, msg: &mut Message) -> bool {
        if msg.name == b"msg.execute" && !msg.get(b"callto").unwrap_or_default().starts_with(b"sip/") {
            return false;
        }
        let cseq = self.cseq.fetch_add(1, Ordering::Relaxed);
        let (req, dest) = match build_request(msg, &self.cfg, cseq) {
            Ok(r) => r,
            Err(e) => {
                if let Some(name) = e.error_name() {
                    msg.set(b"error", name.as_bytes());
                }
                return false;
            }
        };
        match self.sender.send(req, &dest, &send_options(msg)) {
            Ok(None) => true,
            Ok(Some(resp)) => {
                absorb_answer(msg, &resp);
                true
            }
            Err(e) => {
                let name: &[u8] = if e == SendError::NoTransport { b"notransport" } else { b"failure" };
                msg.set(b"error", name);
                false
            }
        }
    }
}

impl Handler for Generator {
    fn received(&self, msg: &mut Message, _cx: &mut Cx<'_>) -> bool {
        self.generate(msg)
    }
}

/// `wait=true`: `code`, then the answer's headers (From/To excepted) as `sip_*`
/// and its body as `xsip_*`, replacing the request's.
pub fn absorb_answer(msg: &mut Message, resp: &Response) {
    msg.set(b"code", resp.code.to_string().as_bytes());
    let stale: Vec<Vec<u8>> = msg
        .iter()
        .filter(|(k, _)| k.starts_with(b"sip_") || k.starts_with(b"xsip_"))
        .map(|(k, _)| k.to_vec())
        .collect();
    for k in stale {
        msg.clear(&k);
    }
    let wrapped = crate::sip::msg::Message::Response(resp.clone());
    let opts = ExportOptions { from_to: false, ..ExportOptions::default() };
    for (k, v) in wrapped.yate_params_with(&opts).into_iter().chain(wrapped.yate_body_params(&opts)) {
        msg.add(k.as_bytes(), &v);
    }
}

/// [`RequestSender`] over the transaction layer's client transactions.
///
/// `send` with `wait` blocks the calling thread on the answer, through
/// [`crate::runtime::blocking::wait`]: on a tokio worker, only inside
/// [`crate::runtime::blocking::inline`].
pub struct EndpointSender {
    endpoint: Endpoint,
    runtime: tokio::runtime::Handle,
}

impl EndpointSender {
    /// A sender spawning its transactions on `runtime`.
    pub fn new(endpoint: Endpoint, runtime: tokio::runtime::Handle) -> EndpointSender {
        EndpointSender { endpoint, runtime }
    }
}

fn resolve(dest: &Destination) -> Result<(SocketAddr, TransportKind), SendError> {
    let kind = match dest.transport {
        Transport::Udp => TransportKind::Udp,
        Transport::Tcp => TransportKind::Tcp,
        Transport::Tls => return Err(SendError::NoTransport),
    };
    let lookup = || (dest.host.as_str(), dest.port).to_socket_addrs().ok().and_then(|mut a| a.next());
    let addr = match dest.host.parse::<std::net::IpAddr>() {
        Ok(ip) => SocketAddr::new(ip, dest.port),
        // A name is a DNS query, which blocks.
        Err(_) => crate::runtime::blocking::wait(lookup).ok_or(SendError::NoTransport)?,
    };
    Ok((addr, kind))
}

/// Where one exchange goes: an address (a flow found or opened per request) or
/// the flow `connection_id` named, kept for the retry too.
#[derive(Clone)]
enum Route {
    To(SocketAddr, TransportKind),
    On(Flow),
}

impl Route {
    async fn exchange(&self, ep: &Endpoint, req: Request, opts: ClientOptions) -> Result<Outcome, RequestError> {
        match self {
            Route::To(addr, kind) => ep.request_with(req, *addr, *kind, opts).await,
            Route::On(flow) => ep.request_on(req, flow.clone(), opts).await,
        }
    }
}

/// After the first exchange: the retry with credentials when the answer is a
/// challenge we can answer, else the first outcome as it is.
async fn answer_challenge(
    ep: &Endpoint,
    route: &Route,
    sent: &Request,
    first: Outcome,
    opts: &SendOptions,
) -> Result<Outcome, RequestError> {
    let Some(auth) = opts.auth.as_ref().filter(|_| first.origin == Origin::Peer) else { return Ok(first) };
    match authorized_retry(sent, &first.response, auth, &retry::cnonce()) {
        Some(again) => route.exchange(ep, again, opts.transaction).await,
        None => Ok(first),
    }
}

fn send_error(e: &RequestError) -> SendError {
    match e {
        RequestError::Transport(_) => SendError::NoTransport,
        _ => SendError::Failure,
    }
}

impl EndpointSender {
    /// Runs `task` on the runtime; with `wait`, blocks for its result.
    fn finish<F>(&self, task: F, wait: bool) -> Result<Option<Response>, SendError>
    where
        F: std::future::Future<Output = Result<Outcome, RequestError>> + Send + 'static,
    {
        if !wait {
            self.runtime.spawn(async move {
                if let Err(e) = task.await {
                    tracing::warn!(error = %e, "generated request not sent");
                }
            });
            return Ok(None);
        }
        let (tx, rx) = std::sync::mpsc::channel();
        self.runtime.spawn(async move {
            // The receiver is gone only if the waiting thread died; nothing to tell then.
            let _ = tx.send(task.await);
        });
        match crate::runtime::blocking::wait(|| rx.recv()) {
            Ok(Ok(outcome)) => Ok(Some(outcome.response)),
            Ok(Err(e)) => Err(send_error(&e)),
            Err(_) => Err(SendError::Failure),
        }
    }
}

impl RequestSender for EndpointSender {
    fn send(&self, req: Request, dest: &Destination, opts: &SendOptions) -> Result<Option<Response>, SendError> {
        let (addr, kind) = resolve(dest)?;
        let ep = self.endpoint.clone();
        let route = match &dest.connection {
            // Looked up now, so an unknown connection is an error the handler reports.
            Some(id) => Route::On(ep.flow(id, addr).map_err(|_| SendError::NoTransport)?),
            None => Route::To(addr, kind),
        };
        // A copy for the retry only when there are credentials to retry with:
        // relayed messages without them pay nothing.
        let retry = opts.auth.as_ref().map(|_| (req.clone(), opts.clone()));
        let wait = opts.wait;
        if matches!(route, Route::To(_, TransportKind::Udp)) {
            // Sent from this thread: no task wake-up before the packet leaves.
            let first = match ep.request_udp_now_with(req, addr, &self.runtime, opts.transaction) {
                Ok(rx) => rx,
                Err(e) => {
                    tracing::warn!(%addr, error = %e, "generated request not sent");
                    return Err(send_error(&e));
                }
            };
            let Some((req, opts)) = retry else {
                if !wait {
                    return Ok(None);
                }
                if tokio::runtime::Handle::try_current().is_err() {
                    return first.blocking_recv().map(|o| Some(o.response)).map_err(|_| SendError::Failure);
                }
                return self.finish(async move { first.await.map_err(|_| RequestError::Aborted) }, true);
            };
            let task = async move {
                let first = first.await.map_err(|_| RequestError::Aborted)?;
                answer_challenge(&ep, &route, &req, first, &opts).await
            };
            return self.finish(task, wait);
        }
        let transaction = opts.transaction;
        let task = async move {
            let first = route.exchange(&ep, req, transaction).await?;
            match retry {
                Some((req, opts)) => answer_challenge(&ep, &route, &req, first, &opts).await,
                None => Ok(first),
            }
        };
        self.finish(task, wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bus::Outcome;
    use std::sync::Mutex;

    fn msg(name: &str, params: &[(&str, &str)]) -> Message {
        let mut m = Message::new(name);
        for (k, v) in params {
            m.add(k.as_bytes(), v.as_bytes());
        }
        m
    }

    fn cfg() -> GenerateConfig {
        GenerateConfig {
            user_agent: Some("rexroute".into()),
            local: Some("127.0.0.1:5060".into()),
            ..GenerateConfig::default()
        }
    }

    /// Header lines of a request with the random parts (tags, branch, Call-ID) masked.
    fn masked(req: &Request) -> String {
        let text = String::from_utf8_lossy(&req.to_bytes()).into_owned();
        let mut out = String::new();
        for line in text.split("\r\n") {
            let line = match line.find("tag=").or_else(|| line.find("branch=z9hG4bK")) {
                Some(i) => format!("{}…", &line[..i]),
                None if line.starts_with("Call-ID: ") => {
                    format!("Call-ID: …@{}", line.rsplit('@').next().unwrap_or(""))
                }
                None => line.to_owned(),
            };
            out.push_str(&line);
            out.push('\n');
        }
        out
    }

    #[test]
    fn message_as_the_seed_sends_it() {
        let m = msg(
            "xsip.generate",
            &[
                ("caller", "alice"),
                ("method", "MESSAGE"),
                ("uri", "<sip:bob@127.0.0.1:5072;transport=udp>"),
                ("sip_From", "<sip:alice@127.0.0.1>"),
                ("xsip_type", "text/plain"),
                ("xsip_body_encoding", ""),
                ("xsip_body", "Hello Bob"),
                ("oconnection_id", "general"),
            ],
        );
        let (req, dest) = build_request(&m, &cfg(), 7).unwrap();
        let udp = Destination { host: "127.0.0.1".into(), port: 5072, transport: Transport::Udp, connection: None };
        assert_eq!(dest, udp, "oconnection_id is not connection_id");
        assert_eq!(
            masked(&req),
            "MESSAGE sip:bob@127.0.0.1:5072;transport=udp SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:5060;rport;…\n\
Max-Forwards: 20\nFrom: <sip:alice@127.0.0.1>;…\nTo: <sip:bob@127.0.0.1:5072;transport=udp>\n\
Call-ID: …@127.0.0.1\nCSeq: 7 MESSAGE\nUser-Agent: rexroute\nContent-Type: text/plain\nContent-Length: 9\n\nHello Bob\n"
        );
        assert!(!req.headers.contains("Contact"));
    }

    #[test]
    fn overrides_defaults_and_errors() {
        let m = msg(
            "xsip.generate",
            &[
                ("method", "OPTIONS"),
                ("uri", "sips:x@example.org"),
                ("host", "10.0.0.9"),
                ("antiloop", "3"),
                ("user", "svc"),
                ("domain", "d.example"),
                ("osip-prefix", "h_"),
                ("h_X-A", "1"),
                ("sip_X-B", "2"),
            ],
        );
        let (req, dest) = build_request(&m, &GenerateConfig::default(), 1).unwrap();
        let tls = Destination { host: "10.0.0.9".into(), port: 5061, transport: Transport::Tls, connection: None };
        assert_eq!(dest, tls);
        assert_eq!(req.headers.str("Max-Forwards"), Some("3"));
        assert_eq!(req.headers.str("X-A"), Some("1"));
        assert!(!req.headers.contains("X-B"));
        assert!(!req.headers.contains("Via"), "left to the transaction layer");
        assert!(req.headers.str("From").unwrap().starts_with("<sip:svc@d.example>;tag="));
        assert!(req.headers.str("Call-ID").unwrap().ends_with("@d.example"));
        let err = |params: &[(&str, &str)]| build_request(&msg("xsip.generate", params), &cfg(), 1).unwrap_err();
        assert_eq!(err(&[("uri", "sip:a@b")]), GenerateError::NoMethod);
        assert_eq!(err(&[("method", "MESSAGE")]), GenerateError::NoUri);
        assert_eq!(err(&[("method", "MESSAGE"), ("uri", "sip:a@b"), ("antiloop", "0")]), GenerateError::Looping);
        assert_eq!(err(&[("method", "MESSAGE"), ("uri", "sip:a@b;transport=sctp")]), GenerateError::NoTransport);
        let exec = msg("msg.execute", &[("callto", "sip/sip:bob@h:9"), ("uri", "sip:other@x")]);
        let (req, _) = build_request(&exec, &cfg(), 1).unwrap();
        assert_eq!(req.uri, "sip:bob@h:9", "the callto target wins");
        assert_eq!(req.method.as_str(), "MESSAGE");
    }

    /// Records what it is asked to send; answers `wait` with a canned response.
    #[derive(Default)]
    struct Recorder {
        sent: Mutex<Vec<(Request, Destination, bool)>>,
        answer: Option<Response>,
    }

    impl RequestSender for Recorder {
        fn send(&self, req: Request, dest: &Destination, opts: &SendOptions) -> Result<Option<Response>, SendError> {
            if dest.transport == Transport::Tls {
                return Err(SendError::NoTransport);
            }
            self.sent.lock().unwrap().push((req, dest.clone(), opts.wait));
            Ok(if opts.wait { self.answer.clone() } else { None })
        }
    }

    #[test]
    fn id_and_line_name_what_rexroute_has_not() {
        let rec = Arc::new(Recorder::default());
        let gen = Generator::new(cfg(), rec.clone());
        let run = |params: &[(&str, &str)], name: &str| {
            let mut m = msg(name, params);
            let sent = gen.generate(&mut m);
            (sent, m.get(b"error").map(|e| String::from_utf8_lossy(e).into_owned()))
        };
        let base = [("method", "MESSAGE"), ("uri", "sip:bob@h")];
        let with = |extra: (&'static str, &'static str)| [base[0], base[1], extra];
        assert_eq!(run(&with(("id", "sip/1")), "xsip.generate"), (false, Some("noconn".into())));
        let no_uri = [("method", "MESSAGE"), ("id", "sip/1")];
        assert_eq!(run(&no_uri, "xsip.generate"), (false, Some("noconn".into())), "checked before the uri");
        assert_eq!(
            run(&[("id", "sip/1"), ("uri", "sip:bob@h")], "xsip.generate"),
            (false, None),
            "no method: declined"
        );
        assert_eq!(run(&with(("line", "acct")), "xsip.generate"), (false, Some("offline".into())));
        assert_eq!(run(&with(("id", "")), "xsip.generate"), (true, None), "empty is unset");
        assert_eq!(run(&with(("line", "")), "xsip.generate"), (true, None));
        let exec = [("callto", "sip/sip:bob@h"), ("id", "jabber/7")];
        assert_eq!(run(&exec, "msg.execute"), (true, None), "msg.execute's id is the sender's channel");
        let exec = [("callto", "sip/sip:bob@h"), ("line", "acct")];
        assert_eq!(run(&exec, "msg.execute"), (false, Some("offline".into())));
        assert_eq!(rec.sent.lock().unwrap().len(), 3);
    }

    /// The Via with its branch value replaced by `B`.
    fn via(req: &Request) -> String {
        let branch = req.headers.top_via().unwrap().branch().unwrap().to_owned();
        req.headers.str("Via").unwrap().replace(&branch, "B")
    }

    #[test]
    fn xsip_flags_shape_the_request() {
        let cfg = GenerateConfig { allow: vec!["MESSAGE".into(), "OPTIONS".into()], ..cfg() };
        let build = |flags: &str| {
            let m = msg("xsip.generate", &[("method", "OPTIONS"), ("uri", "sip:h"), ("xsip_flags", flags)]);
            build_request(&m, &cfg, 3).unwrap().0
        };
        let plain = build("");
        assert_eq!(via(&plain), "SIP/2.0/UDP 127.0.0.1:5060;rport;branch=B");
        assert_eq!(plain.headers.str("User-Agent"), Some("rexroute"));
        assert_eq!(plain.headers.str("Allow"), Some("MESSAGE, OPTIONS"));
        // The received-side bits (0x10, 0x20) and NoConnReuse (0x40) change nothing.
        assert_eq!(masked(&build("0x70")), masked(&plain));
        assert_eq!(masked(&build("junk")), masked(&plain));

        let bent = build("0x0e");
        assert_eq!(via(&bent), "SIP/2.0/UDP 127.0.0.1:5060;branch=B;rport");
        assert_eq!(
            masked(&bent),
            "OPTIONS sip:h SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:5060;…\nMax-Forwards: 20\nFrom: <sip:127.0.0.1>;…\n\
To: <sip:h>\nCall-ID: …@127.0.0.1\nCSeq: 3 OPTIONS\nContent-Length: 0\n\n\n"
        );
        assert_eq!(via(&build("1")), "SIP/2.0/UDP 127.0.0.1:5060;branch=B");
        assert_eq!(via(&build("9")), "SIP/2.0/UDP 127.0.0.1:5060;branch=B", "NotReqRport wins");
        assert_eq!(via(&build("2")), "SIP/2.0/UDP 127.0.0.1:5060;rport;branch=B");
        assert!(!build("2").headers.contains("Allow") && build("2").headers.contains("User-Agent"));
        assert!(!build("4").headers.contains("User-Agent") && build("4").headers.contains("Allow"));
    }

    #[test]
    fn send_options_from_parameters() {
        let opts = |params: &[(&str, &str)]| send_options(&msg("xsip.generate", params));
        assert_eq!(opts(&[]), SendOptions::default());
        let count = |v: &str| opts(&[("xsip_trans_count", v)]).transaction.max_transmissions;
        assert_eq!(count("3"), Some(3));
        assert_eq!((count("0"), count("1"), count("11"), count("0x5")), (Some(2), Some(2), Some(10), Some(5)));
        assert_eq!((count("-1"), count("two"), count("")), (None, None, None));
        let o = opts(&[("wait", "yes"), ("user", "u"), ("password", "p"), ("xsip_flags", "8")]);
        assert!(o.wait);
        assert_eq!(o.auth, Some(AutoAuth { username: "u".into(), password: "p".into() }));
        assert_eq!(o.transaction.rport, Rport::AfterBranch);
        let m = msg("xsip.generate", &[("method", "MESSAGE"), ("uri", "sip:b@h"), ("connection_id", "tcp:4")]);
        assert_eq!(build_request(&m, &cfg(), 1).unwrap().1.connection.as_deref(), Some("tcp:4"));
    }

    #[test]
    fn handler_returns_at_once_or_absorbs_the_answer() {
        let mut answer = Response::new(202, "Accepted")
            .with_header("From", "<sip:a@b>;tag=1")
            .with_header("To", "<sip:c@d>;tag=2")
            .with_header("Call-ID", "x")
            .with_header("X-Reply", "yes");
        answer.set_body(Some("application/octet-stream"), vec![0, 1, 2]);
        let rec = Arc::new(Recorder { answer: Some(answer), ..Default::default() });
        let gen = Arc::new(Generator::new(cfg(), rec.clone()));
        let mut bus = Bus::new();
        gen.clone().install(&mut bus, true);
        let mut bare = Bus::new();
        gen.install(&mut bare, false);
        let mut m = msg("xsip.generate", &[("method", "MESSAGE"), ("uri", "sip:bob@h")]);
        assert!(!bare.dispatch(&mut m, &mut Outcome::default()), "no handler without generate=yes");
        let mut m = msg("xsip.generate", &[("method", "MESSAGE"), ("uri", "sip:bob@h"), ("sip_X-Old", "1")]);
        assert!(bus.dispatch(&mut m, &mut Outcome::default()));
        assert_eq!(m.get(b"code"), None);
        let mut m = msg(
            "xsip.generate",
            &[("method", "MESSAGE"), ("uri", "sip:bob@h"), ("wait", "true"), ("sip_X-Old", "1"), ("xsip_type", "t/x")],
        );
        assert!(bus.dispatch(&mut m, &mut Outcome::default()));
        let names: Vec<String> = m.iter().map(|(k, _)| String::from_utf8_lossy(k).into_owned()).collect();
        assert_eq!(
            names,
            [
                "method",
                "uri",
                "wait",
                "code",
                "sip_x-reply",
                "sip_content-type",
                "xsip_type",
                "xsip_body_encoding",
                "xsip_body"
            ]
        );
        assert_eq!(m.get(b"code"), Some(&b"202"[..]));
        assert_eq!(m.get(b"xsip_body"), Some(&b"AAEC"[..]));
        let sent = rec.sent.lock().unwrap();
        assert_eq!(sent.len(), 2);
        assert!(!sent[0].2 && sent[1].2);
        let cseqs: Vec<_> = sent.iter().map(|s| s.0.headers.cseq().unwrap().seq).collect();
        assert_eq!(cseqs, [1, 2], "the counter advances per request");
        drop(sent);

        let mut other = msg("msg.execute", &[("callto", "lateroute/bob")]);
        assert!(!bus.dispatch(&mut other, &mut Outcome::default()));
        let mut tls = msg("msg.execute", &[("callto", "sip/sips:bob@h")]);
        assert!(!bus.dispatch(&mut tls, &mut Outcome::default()));
        assert_eq!(tls.get(b"error"), Some(&b"notransport"[..]));
        let mut nouri = msg("xsip.generate", &[("method", "MESSAGE")]);
        assert!(!bus.dispatch(&mut nouri, &mut Outcome::default()));
        assert_eq!(nouri.get(b"error"), Some(&b"failure"[..]));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn endpoint_sender_over_loopback() {
        use crate::sip::transaction::{Config, ServerRequest};
        use crate::sip::transport::ListenAddr;
        let mut config = Config::default();
        config.transport.listen =
            vec![ListenAddr { kind: TransportKind::Udp, addr: SocketAddr::from(([127, 0, 0, 1], 0)) }];
        config.allow_method("MESSAGE");
        let (tx, mut rx) = tokio::sync::mpsc::channel::<ServerRequest>(4);
        let bob = Endpoint::bind(config.clone(), tx).await.unwrap();
        bob.start();
        let server = Endpoint::bind(config, |_r: ServerRequest| {}).await.unwrap();
        server.start();
        let bob_addr = bob.local_addr(TransportKind::Udp).unwrap();
        let answering = tokio::spawn(async move {
            let r = rx.recv().await.unwrap();
            let body = r.request.body.clone();
            r.answer(200).await.unwrap();
            body
        });
        let sender = Arc::new(EndpointSender::new(server.clone(), tokio::runtime::Handle::current()));
        let gen = Generator::new(GenerateConfig::default(), sender);
        let uri = format!("sip:bob@{bob_addr}");
        let result = tokio::task::spawn_blocking(move || {
            let mut m = msg(
                "xsip.generate",
                &[
                    ("method", "MESSAGE"),
                    ("uri", &uri),
                    ("wait", "yes"),
                    ("xsip_type", "text/plain"),
                    ("xsip_body", "hi"),
                ],
            );
            let sent = gen.generate(&mut m);
            (sent, m)
        })
        .await
        .unwrap();
        assert!(result.0);
        assert_eq!(result.1.get(b"code"), Some(&b"200"[..]));
        assert_eq!(answering.await.unwrap(), b"hi");
    }

    /// A UAS on a loopback UDP port that challenges (once, or every time) with a
    /// digest `qop=auth` challenge and accepts credentials for `alice`/`secret`.
    /// Every distinct request it gets (by branch) goes to the returned channel,
    /// with the code it was answered.
    async fn challenging_uas(
        always: bool,
    ) -> (SocketAddr, tokio::sync::mpsc::UnboundedReceiver<(Request, u16)>, tokio::task::JoinHandle<()>) {
        use crate::sip::auth::{AuthConfig, Authenticator, Presented, Verdict};
        let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = socket.local_addr().unwrap();
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            let cfg = AuthConfig { realm: "far".into(), opaque: Some("xyz".into()), ..AuthConfig::default() };
            let auth = Authenticator::new(cfg);
            let mut seen = std::collections::HashSet::new();
            let mut buf = vec![0u8; 65536];
            loop {
                let (n, from) = socket.recv_from(&mut buf).await.unwrap();
                let Ok(crate::sip::msg::Message::Request(req)) = crate::sip::msg::parse(&buf[..n]) else { continue };
                let branch = req.headers.top_via().unwrap().branch().unwrap().to_owned();
                let now = std::time::SystemTime::now();
                let creds = req.headers.authorization().unwrap();
                let code = match auth.select(&creds) {
                    Presented::Ours { creds, issued } if !always => {
                        match auth.verify(&creds, issued, req.method.as_str(), "secret", now) {
                            Verdict::Ok => 200,
                            _ => 403,
                        }
                    }
                    _ => 401,
                };
                let mut resp = Response::for_request(&req, code, "Answer");
                if code == 401 {
                    resp = resp.with_header("WWW-Authenticate", auth.challenge(now, false).remove(0).as_str());
                }
                socket.send_to(&resp.to_bytes(), from).await.unwrap();
                if seen.insert(branch) {
                    let _ = tx.send((req, code));
                }
            }
        });
        (addr, rx, task)
    }

    /// A generator sending over a UDP endpoint on 127.0.0.1.
    async fn udp_generator() -> Arc<Generator> {
        let sender = Arc::new(EndpointSender::new(udp_endpoint().await, tokio::runtime::Handle::current()));
        Arc::new(Generator::new(GenerateConfig::default(), sender))
    }

    async fn udp_endpoint() -> Endpoint {
        use crate::sip::transaction::Config;
        use crate::sip::transport::ListenAddr;
        let mut config = Config::default();
        config.transport.listen =
            vec![ListenAddr { kind: TransportKind::Udp, addr: SocketAddr::from(([127, 0, 0, 1], 0)) }];
        let ep = Endpoint::bind(config, |_r: crate::sip::transaction::ServerRequest| {}).await.unwrap();
        ep.start();
        ep
    }

    async fn next(rx: &mut tokio::sync::mpsc::UnboundedReceiver<(Request, u16)>) -> (Request, u16) {
        tokio::time::timeout(std::time::Duration::from_secs(5), rx.recv()).await.unwrap().unwrap()
    }

    async fn generate_blocking(gen: &Arc<Generator>, params: Vec<(String, String)>) -> (bool, Message) {
        let gen = gen.clone();
        tokio::task::spawn_blocking(move || {
            let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let mut m = msg("xsip.generate", &params);
            (gen.generate(&mut m), m)
        })
        .await
        .unwrap()
    }

    fn params(uas: SocketAddr, extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let base =
            [("method", "MESSAGE"), ("uri", &format!("sip:bob@{uas}")), ("user", "alice"), ("password", "secret")]
                .map(|(k, v)| (k.to_owned(), v.to_owned()));
        let replaced = |k: &str| extra.iter().any(|(e, _)| *e == k);
        let base = base.into_iter().filter(|(k, _)| !replaced(k));
        base.chain(extra.iter().map(|(k, v)| (k.to_string(), v.to_string()))).collect()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_challenge_is_answered_once_with_credentials() {
        let (uas, mut seen, uas_task) = challenging_uas(false).await;
        let gen = udp_generator().await;

        let (sent, m) =
            generate_blocking(&gen, params(uas, &[("wait", "true"), ("xsip_type", "text/plain"), ("xsip_body", "hi")]))
                .await;
        assert!(sent);
        assert_eq!(m.get(b"code"), Some(&b"200"[..]), "the answer absorbed is the one after the retry");
        let (first, code1) = next(&mut seen).await;
        let (second, code2) = next(&mut seen).await;
        assert_eq!((code1, code2), (401, 200));
        assert!(first.headers.get("Authorization").is_none());
        let (c1, c2) = (first.headers.cseq().unwrap(), second.headers.cseq().unwrap());
        assert_eq!((c2.seq, c2.method.as_str()), (c1.seq + 1, "MESSAGE"));
        assert_eq!(first.headers.str("Call-ID"), second.headers.str("Call-ID"));
        assert_eq!(first.headers.str("From"), second.headers.str("From"));
        assert_ne!(first.headers.top_via().unwrap().branch(), second.headers.top_via().unwrap().branch());
        assert_eq!(second.body, b"hi");
        let auth = second.headers.authorization().unwrap().remove(0);
        assert_eq!(
            (auth.username(), auth.realm(), auth.qop(), auth.opaque_param()),
            (Some("alice"), Some("far"), Some("auth"), Some("xyz"))
        );

        // Without wait the handler returns at once and the retry happens in the background.
        let (sent, m) = generate_blocking(&gen, params(uas, &[])).await;
        assert!(sent && m.get(b"code").is_none());
        assert_eq!(next(&mut seen).await.1, 401);
        assert_eq!(next(&mut seen).await.1, 200);

        // A wrong password: the retry's answer is final.
        let (sent, m) = generate_blocking(&gen, params(uas, &[("wait", "true"), ("password", "nope")])).await;
        assert!(sent);
        assert_eq!(m.get(b"code"), Some(&b"403"[..]));
        assert_eq!((next(&mut seen).await.1, next(&mut seen).await.1), (401, 403));
        uas_task.abort();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_second_challenge_is_the_final_answer() {
        let (uas, mut seen, uas_task) = challenging_uas(true).await;
        let gen = udp_generator().await;
        let (sent, m) = generate_blocking(&gen, params(uas, &[("wait", "true")])).await;
        assert!(sent);
        assert_eq!(m.get(b"code"), Some(&b"401"[..]));
        let (first, second) = (next(&mut seen).await, next(&mut seen).await);
        assert!(first.0.headers.get("Authorization").is_none() && second.0.headers.get("Authorization").is_some());
        let third = tokio::time::timeout(std::time::Duration::from_millis(700), seen.recv()).await;
        assert!(third.is_err(), "only one retry: {third:?}");

        // Without credentials a challenge is not answered at all.
        let plain = vec![
            ("method".to_owned(), "MESSAGE".to_owned()),
            ("uri".to_owned(), format!("sip:bob@{uas}")),
            ("wait".to_owned(), "true".to_owned()),
        ];
        let (_, m) = generate_blocking(&gen, plain).await;
        assert_eq!(m.get(b"code"), Some(&b"401"[..]));
        assert_eq!(next(&mut seen).await.1, 401);
        assert!(tokio::time::timeout(std::time::Duration::from_millis(700), seen.recv()).await.is_err());
        uas_task.abort();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn connection_id_sends_on_that_tcp_connection() {
        use crate::sip::transaction::{Config, ServerRequest};
        use crate::sip::transport::ListenAddr;
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut config = Config::default();
        let any = SocketAddr::from(([127, 0, 0, 1], 0));
        config.transport.listen = vec![
            ListenAddr { kind: TransportKind::Udp, addr: any },
            ListenAddr { kind: TransportKind::Tcp, addr: any },
        ];
        config.allow_method("MESSAGE");
        let (tx, mut rx) = tokio::sync::mpsc::channel::<ServerRequest>(4);
        let server = Endpoint::bind(config, tx).await.unwrap();
        server.start();
        let mut client = tokio::net::TcpStream::connect(server.local_addr(TransportKind::Tcp).unwrap()).await.unwrap();
        let hello = "MESSAGE sip:svc@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bKc1\r\n\
From: <sip:carol@127.0.0.1>;tag=c\r\nTo: <sip:svc@127.0.0.1>\r\nCall-ID: c1\r\nCSeq: 1 MESSAGE\r\nContent-Length: 0\r\n\r\n";
        client.write_all(hello.as_bytes()).await.unwrap();
        let sr = tokio::time::timeout(std::time::Duration::from_secs(5), rx.recv()).await.unwrap().unwrap();
        sr.answer(200).await.unwrap();
        let sender = Arc::new(EndpointSender::new(server.clone(), tokio::runtime::Handle::current()));
        let gen = Arc::new(Generator::new(GenerateConfig::default(), sender));

        // Port 9 on UDP is nobody: the connection, not the URI, decides where it goes.
        let to_carol = |id: &str| {
            [("method", "MESSAGE"), ("uri", "sip:carol@127.0.0.1:9"), ("connection_id", id)]
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .to_vec()
        };
        let (sent, m) = generate_blocking(&gen, to_carol("tcp:999")).await;
        assert_eq!((sent, m.get(b"error")), (false, Some(&b"notransport"[..])));
        let (sent, _) = generate_blocking(&gen, to_carol(&sr.flow_id)).await;
        assert!(sent);
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        while !String::from_utf8_lossy(&got).contains("MESSAGE sip:carol@127.0.0.1:9 SIP/2.0") {
            let n =
                tokio::time::timeout(std::time::Duration::from_secs(5), client.read(&mut buf)).await.unwrap().unwrap();
            assert!(n > 0, "connection closed: {}", String::from_utf8_lossy(&got));
            got.extend_from_slice(&buf[..n]);
        }
        assert!(String::from_utf8_lossy(&got).contains("Via: SIP/2.0/TCP "));
    }
}
