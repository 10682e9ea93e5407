//! `rexroute serve`: the SIP endpoint wired to the routing runtime, with reload and graceful exit.
//!
//! ```text
//!  UDP: receive threads (one per core) ─┐   TCP: tokio tasks ─┐
//!                                       ▼                     ▼
//!  Endpoint (transactions, admission 400/501/OPTIONS) ── TransactionUser: REGISTER, [methods]
//!                │ Routing::submit: inline on this thread when the actor is free
//!                │ (a lock; waits ≤ 2 ms), else queued for the routing thread (full → 503)
//!                ▼
//!  routing::Actor: Bus + Router + Registrar, one item at a time
//!                │ REGISTER → Registrar::handle_register (user.auth / user.register on the bus)
//!                │ generic  → sip::generic::handle_generic: digest check, sip.<method>, response
//!                │ routing thread: queued items, expiry → user.unregister, state file saves
//!                └ Reload(config) swaps Bus + Router between two items
//!  main task: signals (SIGINT/SIGTERM → drain, save, exit 0; SIGHUP → reload),
//!             one-second poll of the loaded files' mtimes → reload
//! ```
//!
//! Threads: the UDP receive threads, the tokio runtime (TCP, transaction
//! timers, signals, the file poll) and the routing thread. The bus, the router
//! and the registrar are touched only under the actor's lock, so a reload is
//! atomic: the swap happens between two messages, none lost or handled twice.
//! A reload loads and lints the new files on a blocking task first; errors
//! keep the running configuration.
//!
//! Generic methods: `sip::generic::handle_generic` runs for requests of
//! `[methods]` methods (and native MESSAGE), and [`methods::install_senders`]
//! installs `sip::generate`'s handlers, which send SIP requests through an
//! [`Outbound`]: a handle on the endpoint's client transactions, set once the
//! endpoint is bound. Without `wait`, sending starts the transaction and
//! returns; `wait=true` blocks the routing caller until the final answer (as
//! Yate's handler blocks its thread).

pub mod config;
pub mod methods;
pub mod routing;
mod watch;

use crate::sip::auth::Peer;
use crate::sip::msg::{reason_phrase, Request, Response};
use crate::sip::transaction::{Endpoint, Outcome, RequestError, ServerRequest, ServerTx, TransactionUser};
use crate::sip::transport::{ListenAddr, TransportKind};
use config::{Listener, Loaded, Source};
use routing::{Routing, Work};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use tokio::sync::oneshot;

/// What `serve` was asked to do.
#[derive(Clone, Debug)]
pub struct Options {
    /// The configuration.
    pub source: Source,
    /// Replaces the configured listeners when not empty.
    pub listen: Vec<ListenAddr>,
    /// Appends every bus message, as a JSON line, to this file.
    pub bus_log: Option<PathBuf>,
    /// Overrides the registration state file.
    pub state: Option<PathBuf>,
}

/// Sends SIP requests in client transactions from bus handlers (`xsip.generate`).
#[derive(Clone)]
pub struct Outbound {
    endpoint: Arc<OnceLock<Endpoint>>,
    /// The UDP listeners' names, which a `connection_id` may give.
    names: Arc<OnceLock<Names>>,
    runtime: tokio::runtime::Handle,
}

impl Outbound {
    fn new(runtime: tokio::runtime::Handle, names: Arc<OnceLock<Names>>) -> Outbound {
        Outbound { endpoint: Arc::new(OnceLock::new()), names, runtime }
    }

    /// The endpoint, once bound.
    pub fn endpoint(&self) -> Option<Endpoint> {
        self.endpoint.get().cloned()
    }

    /// Starts a client transaction for `req` to `dest` and returns at once; the
    /// handle yields its final outcome. `None` before the endpoint is bound.
    pub fn send(
        &self,
        req: Request,
        dest: SocketAddr,
        kind: TransportKind,
    ) -> Option<tokio::task::JoinHandle<Result<Outcome, RequestError>>> {
        let endpoint = self.endpoint.get()?.clone();
        Some(self.runtime.spawn(async move { endpoint.request(req, dest, kind).await }))
    }
}

/// The `connection_id` of each UDP socket: its listener's name.
#[derive(Default)]
struct Names {
    udp: Vec<(SocketAddr, String)>,
}

impl Names {
    fn connection_id(&self, sr: &ServerRequest) -> String {
        match sr.kind {
            TransportKind::Udp => {
                let name = self.udp.iter().find(|(a, _)| *a == sr.local).map(|(_, n)| n.clone());
                name.unwrap_or_else(|| sr.flow_id.clone())
            }
            TransportKind::Tcp => sr.flow_id.clone(),
        }
    }

    /// The flow id ([`crate::sip::transport::Flow::id`]) of the UDP listener
    /// called `name`, which is what `connection_id` carries for UDP.
    fn udp_flow_id(&self, name: &str) -> Option<String> {
        self.udp.iter().find(|(_, n)| n == name).map(|(a, _)| format!("udp:{a}"))
    }
}

/// `--listen` addresses as listeners: the first UDP one is `general`.
fn listeners_for(listen: &[ListenAddr]) -> Vec<Listener> {
    let mut general = false;
    listen
        .iter()
        .map(|&addr| {
            let name = match addr.kind {
                TransportKind::Udp if !general => {
                    general = true;
                    "general".to_owned()
                }
                _ => addr.to_string(),
            };
            Listener { name, addr }
        })
        .collect()
}

/// The endpoint's transaction user: everything goes to routing.
struct Tu {
    routing: Routing,
    names: Arc<OnceLock<Names>>,
}

impl TransactionUser for Tu {
    fn request(&self, request: ServerRequest) {
        hand_over(&self.routing, &self.names, request);
    }

    fn connection_closed(&self, flow_id: &str) {
        // Only TCP bindings carry a `tcp:` connection id; when the queue is full
        // they lapse on their own expiry instead.
        let _ = self.routing.submit(Work::ConnectionClosed(flow_id.to_owned()));
    }
}

/// Hands a request to routing (inline or queued), which answers through the transaction itself.
fn hand_over(routing: &Routing, names: &OnceLock<Names>, sr: ServerRequest) {
    let connection_id = names.get().map_or_else(|| sr.flow_id.clone(), |n| n.connection_id(&sr));
    let ServerRequest { request, source, kind, tx, .. } = sr;
    let peer = Peer { addr: source, transport: kind.into(), connection_id };
    let reply = Reply { tx };
    let work = if request.method.is("REGISTER") {
        Work::Register { request, peer, reply }
    } else {
        let prepared = routing.prepare(&request, &peer);
        Work::Generic { request, peer, reply, prepared }
    };
    if let Err(work) = routing.submit(work) {
        if let Work::Register { request, reply, .. } | Work::Generic { request, reply, .. } = *work {
            reply.send(Response::for_request(&request, 503, reason_phrase(503)));
        }
    }
}

/// The way back to a request's transaction, used by whoever routes it.
///
/// Answering straight into the transaction's queue (instead of through a
/// task waiting on a oneshot) saves a task wake-up per request. A reply
/// dropped unanswered (routing failed) leaves the transaction to answer `500`
/// itself, so the client is never left to time out.
pub struct Reply {
    tx: ServerTx,
}

impl Reply {
    /// Sends the final response.
    pub fn send(self, response: Response) {
        // Fails only when the transaction is gone (shutdown, tu_timeout).
        let _ = self.tx.try_respond(response);
    }
}

/// Turns transparent huge pages off for the process, before its heap grows.
///
/// The allocator asks for huge pages on its regions, and the kernel then fills each
/// first touch of a 2 MiB page with zeros at once: 3 to 8 ms on the thread that
/// touched it, measured under load, while it may hold a lock another receiving
/// thread waits for. A server that keeps every transaction for timer J grows its
/// heap steadily under load, and those stalls were the 99th percentile of relay
/// latency. With 4 KiB pages the same zeroing comes a microsecond at a time.
fn no_huge_pages() {
    #[cfg(target_os = "linux")]
    if let Err(e) = rustix::thread::disable_transparent_huge_pages(true) {
        tracing::debug!(error = %e, "cannot turn transparent huge pages off");
    }
}

/// Runs the server until SIGINT or SIGTERM. Exit status: 0 after a clean stop,
/// 2 when the configuration or the sockets are unusable.
pub fn run(opts: Options) -> std::process::ExitCode {
    no_huge_pages();
    // TCP requests are routed on the worker that read them: it needs a routing thread's stack.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("sip")
        .thread_stack_size(crate::runtime::STACK_BYTES)
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            tracing::error!("cannot start the runtime: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    match runtime.block_on(serve(opts)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // Not through tracing: a RUST_LOG filter must not hide why the server did not start.
            eprintln!("error: {e}");
            std::process::ExitCode::from(2)
        }
    }
}

fn log_warnings(config: &Loaded) {
    for w in &config.warnings {
        tracing::warn!("{w}");
    }
}

async fn serve(opts: Options) -> Result<(), String> {
    // Before anything is announced: a SIGHUP's default action would end the process.
    let mut signals = Signals::new()?;
    let mut config = config::load(&opts.source).map_err(|e| format!("configuration refused:\n{e}"))?;
    log_warnings(&config);
    if opts.state.is_some() {
        config.state_file = opts.state.clone();
    }
    let listeners = if opts.listen.is_empty() { config.sip.listeners.clone() } else { listeners_for(&opts.listen) };
    if listeners.is_empty() {
        return Err("no listener: add a [listener general] section to ysipchan.conf or pass --listen".into());
    }
    let mut endpoint_config = config.sip.endpoint.clone();
    endpoint_config.transport.listen = listeners.iter().map(|l| l.addr).collect();
    let mut watch = watch::Watch::new(match opts.source {
        Source::Dir(_) => config.files.clone(),
        Source::Embedded => Vec::new(),
    });

    let names = Arc::new(OnceLock::new());
    let outbound = Outbound::new(tokio::runtime::Handle::current(), names.clone());
    let routing = Routing::start(config, outbound.clone(), opts.bus_log.clone())
        .map_err(|e| format!("cannot start the routing thread: {e}"))?;
    let tu = Tu { routing: routing.clone(), names: names.clone() };
    let endpoint = Endpoint::bind(endpoint_config, tu).await.map_err(|e| format!("cannot listen: {e}"))?;
    let bound = endpoint.local_addrs();
    let udp_names = listeners.iter().filter(|l| l.addr.kind == TransportKind::Udp).map(|l| l.name.clone());
    let udp_bound = bound.iter().filter(|l| l.kind == TransportKind::Udp).map(|l| l.addr);
    let _ = names.set(Names { udp: udp_bound.zip(udp_names).collect() });
    let _ = outbound.endpoint.set(endpoint.clone());
    for l in &bound {
        tracing::info!("listening on {l}");
        eprintln!("listening {} {}", l.kind.name().to_ascii_lowercase(), l.addr);
    }
    endpoint.start();

    signals.wait(&opts, &routing, &mut watch).await;

    tracing::info!("stopping: finishing transactions in flight");
    if !endpoint.shutdown().await {
        tracing::warn!("some transactions did not finish in time");
    }
    let (done, stopped) = oneshot::channel();
    let r = routing.clone();
    let sent = tokio::task::spawn_blocking(move || r.send(Work::Stop(done)).is_ok()).await.unwrap_or(false);
    if sent {
        let _ = stopped.await;
    }
    tracing::info!("stopped");
    Ok(())
}

/// The signals `serve` handles.
struct Signals {
    int: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> Result<Signals, String> {
        use tokio::signal::unix::{signal, SignalKind};
        let sig = |k| signal(k).map_err(|e| format!("cannot catch signals: {e}"));
        Ok(Signals {
            int: sig(SignalKind::interrupt())?,
            term: sig(SignalKind::terminate())?,
            hup: sig(SignalKind::hangup())?,
        })
    }

    /// Waits for SIGINT/SIGTERM, reloading on SIGHUP and on file changes meanwhile.
    async fn wait(&mut self, opts: &Options, routing: &Routing, watch: &mut watch::Watch) {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = self.int.recv() => return,
                _ = self.term.recv() => return,
                _ = self.hup.recv() => reload(opts, routing, watch, "SIGHUP").await,
                _ = tick.tick() => {
                    if watch.changed() {
                        reload(opts, routing, watch, "a configuration file changed").await;
                    }
                }
            }
        }
    }
}

/// Loads and lints the configuration again; swaps it in only if it has no errors.
async fn reload(opts: &Options, routing: &Routing, watch: &mut watch::Watch, why: &str) {
    tracing::info!("reloading: {why}");
    let source = opts.source.clone();
    let loaded = match tokio::task::spawn_blocking(move || config::load(&source)).await {
        Ok(l) => l,
        Err(e) => {
            tracing::error!("reload failed: {e}");
            return;
        }
    };
    match loaded {
        Err(refused) => {
            for e in &refused.0 {
                tracing::error!("{e}");
            }
            tracing::error!("configuration refused ({} errors); the running one stays", refused.0.len());
        }
        Ok(config) => {
            log_warnings(&config);
            if matches!(opts.source, Source::Dir(_)) {
                watch.set(config.files.clone());
            }
            let r = routing.clone();
            let sent = tokio::task::spawn_blocking(move || r.send(Work::Reload(Box::new(config))).is_ok()).await;
            if !matches!(sent, Ok(true)) {
                tracing::error!("the routing thread is gone; reload dropped");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The server's process runs without transparent huge pages.
    #[cfg(target_os = "linux")]
    #[test]
    fn huge_pages_are_turned_off() {
        no_huge_pages();
        assert!(rustix::thread::transparent_huge_pages_are_disabled().unwrap());
    }

    #[test]
    fn udp_listener_names_are_flow_ids() {
        let general: SocketAddr = "127.0.0.1:5060".parse().unwrap();
        let names = Names { udp: vec![(general, "general".into()), ("10.0.0.1:5070".parse().unwrap(), "lan".into())] };
        assert_eq!(names.udp_flow_id("general").as_deref(), Some("udp:127.0.0.1:5060"));
        assert_eq!(names.udp_flow_id("lan").as_deref(), Some("udp:10.0.0.1:5070"));
        assert_eq!(names.udp_flow_id("tcp:3"), None, "a TCP id is looked up as it is");
    }
}
