//! `xsip.generate` and `msg.execute` to `sip/…`: a bus message becomes an outgoing SIP request.
//!
//! shared/spec/sip.md §2. [`build_request`] is the pure part (parameters → request
//! and destination); [`Generator`] is the bus handler, sending through a
//! [`RequestSender`] so it runs without sockets in tests; [`EndpointSender`] plugs
//! it onto the transaction layer's client transactions.
//!
//! ```text
//!  xsip.generate / msg.execute{callto=sip/…} ──build_request──▶ (Request, Destination)
//!        ──RequestSender::send(wait)──▶ wait=false: true at once
//!                                      wait=true: code, sip_*, xsip_* from the answer
//! ```

use crate::bus::{Bus, Cx, Handler};
use crate::runtime::message::Message;
use crate::sip::auth::Transport;
use crate::sip::generic::{boundary_for, encode_parts, out_parts, prefixed_headers, DEFAULT_MAX_FORWARDS};
use crate::sip::msg::{new_tag, ExportOptions, Request, Response, Uri};
use crate::sip::transaction::{Endpoint, RequestError};
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
}

impl GenerateError {
    /// The `error` parameter Yate sets, if any.
    pub fn error_name(&self) -> Option<&'static str> {
        match self {
            GenerateError::NoMethod => None,
            GenerateError::NoUri => Some("failure"),
            GenerateError::Looping => Some("looping"),
            GenerateError::NoTransport => Some("notransport"),
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
    Ok(Destination { host, port, transport })
}

/// Builds the request a message asks for (§2.1–2.2). `cseq` is the engine's counter.
pub fn build_request(msg: &Message, cfg: &GenerateConfig, cseq: u32) -> Result<(Request, Destination), GenerateError> {
    let (method, uri_text) = method_and_uri(msg)?;
    let antiloop = match text(msg, "antiloop").parse::<i64>() {
        Ok(n) => n,
        Err(_) => i64::from(cfg.maxforwards),
    };
    if antiloop <= 0 {
        return Err(GenerateError::Looping);
    }
    let uri = Uri::parse(&uri_text).map_err(|_| GenerateError::NoUri)?;
    let dest = destination(msg, &uri)?;
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
        req.headers.append("Via", format!("SIP/2.0/{proto} {sent_by};rport;branch=z9hG4bK{}", new_tag()));
    }
    req.headers.append("Max-Forwards", antiloop.min(255).to_string());
    let tag = new_tag();
    for (name, value) in prefixed_headers(msg, "sip_", b"osip-prefix") {
        let lower = name.to_ascii_lowercase();
        if matches!(lower.as_str(), "max-forwards" | "content-length" | "content-type" | "via") {
            continue;
        }
        let mut value = value;
        if lower == "from" && !has_tag(&value) {
            value.extend_from_slice(format!(";tag={tag}").as_bytes());
        }
        req.headers.append(name, value);
    }
    if !req.headers.contains("From") {
        let user = text(msg, "user");
        let at = if user.is_empty() { String::new() } else { format!("{user}@") };
        req.headers.append("From", format!("<sip:{at}{domain}>;tag={tag}"));
    }
    if !req.headers.contains("To") {
        req.headers.append("To", format!("<{uri_text}>"));
    }
    if !req.headers.contains("Call-ID") {
        req.headers.append("Call-ID", format!("{}@{domain}", new_tag()));
    }
    if !req.headers.contains("CSeq") {
        req.headers.append("CSeq", format!("{cseq} {method}"));
    }
    if let Some(ua) = &cfg.user_agent {
        if !req.headers.contains("User-Agent") {
            req.headers.append("User-Agent", ua.clone());
        }
    }
    if !cfg.allow.is_empty() && !req.headers.contains("Allow") {
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

/// Something that sends a request in a client transaction.
pub trait RequestSender: Send + Sync {
    /// Sends `req` to `dest`. With `wait` false, returns `Ok(None)` once the
    /// transaction is started; with `wait` true, blocks until its final response.
    fn send(&self, req: Request, dest: &Destination, wait: bool) -> Result<Option<Response>, SendError>;
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
        let wait = crate::runtime::num::to_boolean(msg.get(b"wait").unwrap_or_default(), false);
        match self.sender.send(req, &dest, wait) {
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
/// `send` with `wait` blocks the calling thread on the answer: call it from the
/// routing thread, never from a tokio worker.
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
    let addr = (dest.host.as_str(), dest.port)
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .ok_or(SendError::NoTransport)?;
    Ok((addr, kind))
}

impl RequestSender for EndpointSender {
    fn send(&self, req: Request, dest: &Destination, wait: bool) -> Result<Option<Response>, SendError> {
        let (addr, kind) = resolve(dest)?;
        let ep = self.endpoint.clone();
        if kind == TransportKind::Udp {
            // Sent from this thread: no task wake-up before the packet leaves.
            let outcome = match ep.request_udp_now(req, addr, &self.runtime) {
                Ok(rx) => rx,
                Err(RequestError::Transport(_)) => return Err(SendError::NoTransport),
                Err(e) => {
                    tracing::warn!(%addr, error = %e, "generated request not sent");
                    return Err(SendError::Failure);
                }
            };
            if !wait {
                return Ok(None);
            }
            let outcome = if tokio::runtime::Handle::try_current().is_ok() {
                // Inside a runtime a blocking receive would panic: wait through a task.
                let (tx, rx) = std::sync::mpsc::channel();
                self.runtime.spawn(async move {
                    let _ = tx.send(outcome.await);
                });
                rx.recv().ok().and_then(Result::ok)
            } else {
                outcome.blocking_recv().ok()
            };
            return outcome.map(|o| Some(o.response)).ok_or(SendError::Failure);
        }
        if !wait {
            self.runtime.spawn(async move {
                if let Err(e) = ep.request(req, addr, kind).await {
                    tracing::warn!(%addr, error = %e, "generated request not sent");
                }
            });
            return Ok(None);
        }
        let (tx, rx) = std::sync::mpsc::channel();
        self.runtime.spawn(async move {
            // The receiver is gone only if the waiting thread died; nothing to tell then.
            let _ = tx.send(ep.request(req, addr, kind).await);
        });
        match rx.recv() {
            Ok(Ok(outcome)) => Ok(Some(outcome.response)),
            Ok(Err(RequestError::Transport(_))) => Err(SendError::NoTransport),
            Ok(Err(_)) | Err(_) => Err(SendError::Failure),
        }
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
        assert_eq!(dest, Destination { host: "127.0.0.1".into(), port: 5072, transport: Transport::Udp });
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
        assert_eq!(dest, Destination { host: "10.0.0.9".into(), port: 5061, transport: Transport::Tls });
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
        fn send(&self, req: Request, dest: &Destination, wait: bool) -> Result<Option<Response>, SendError> {
            if dest.transport == Transport::Tls {
                return Err(SendError::NoTransport);
            }
            self.sent.lock().unwrap().push((req, dest.clone(), wait));
            Ok(if wait { self.answer.clone() } else { None })
        }
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
}
