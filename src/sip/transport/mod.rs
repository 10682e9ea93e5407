//! SIP transports: the UDP and TCP sockets, turning bytes into messages and back.
//!
//! ```text
//!  UDP datagram ──parse──────────────┐
//!  TCP bytes ──Framer::push/next_frame┴─▶ Incoming { message, source, kind, flow } ──Sink::receive──▶ transactions
//!  transactions ──Flow::send(bytes)──▶ sendto (UDP) / the connection's writer (TCP)
//! ```
//!
//! This is the mini-redis shape: bytes, then a frame, then a command for the
//! layer above, with a shutdown signal passed to every task and a connection
//! cap enforced by a semaphore. Parsing itself is `sip::msg` (pure, no sockets).
//!
//! What the transport decides on its own, because only it sees the bytes:
//!
//! * a datagram or stream message larger than `max_message` gets `513 Message
//!   Too Large` when its header section is readable (a TCP flow is then closed),
//!   and is dropped otherwise; it is never handled with a truncated body;
//! * a datagram that does not parse gets `400 Bad Request` when its head still
//!   yields a top Via and a CSeq, and is dropped otherwise;
//! * every request's top Via gets `received=<source ip>` and a filled-in
//!   `rport` (RFC 3261 §18.2.1, RFC 3581), as Yate does;
//! * CRLFCRLF pings on TCP are answered with CRLF (RFC 5626).

mod shutdown;
mod stateless;
mod tcp;
mod udp;

pub use shutdown::{Group, Lifecycle, Phase, Shutdown};
pub use stateless::{answerable, reject, salvage_head, stamp_via};
pub use udp::HeldSends;

use crate::sip::consts;
use crate::sip::msg::Message;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;

/// Receive threads per UDP socket at most (one per core).
const MAX_UDP_THREADS: usize = 8;

/// UDP or TCP.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TransportKind {
    /// Unreliable: the transaction layer retransmits.
    Udp,
    /// Reliable, stream framed.
    Tcp,
}

impl TransportKind {
    /// Whether the transport is reliable (timers E, J and K collapse).
    pub fn is_reliable(self) -> bool {
        matches!(self, TransportKind::Tcp)
    }

    /// The name in a Via header and in Yate's `ip_transport`.
    pub fn name(self) -> &'static str {
        match self {
            TransportKind::Udp => "UDP",
            TransportKind::Tcp => "TCP",
        }
    }
}

/// The registrar's and digest check's view of a transport (`ip_transport`).
impl From<TransportKind> for crate::sip::auth::Transport {
    fn from(kind: TransportKind) -> Self {
        match kind {
            TransportKind::Udp => crate::sip::auth::Transport::Udp,
            TransportKind::Tcp => crate::sip::auth::Transport::Tcp,
        }
    }
}

impl fmt::Display for TransportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One address to listen on, e.g. `udp:0.0.0.0:5060`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListenAddr {
    /// The transport.
    pub kind: TransportKind,
    /// The local address (port 0 picks a free one).
    pub addr: SocketAddr,
}

impl FromStr for ListenAddr {
    type Err = String;

    /// `udp:ADDR` or `tcp:ADDR`; see [`parse_listen`] for the bare form.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (kind, rest) = match s.split_once(':') {
            Some((k, rest)) if k.eq_ignore_ascii_case("udp") => (TransportKind::Udp, rest),
            Some((k, rest)) if k.eq_ignore_ascii_case("tcp") => (TransportKind::Tcp, rest),
            _ => return Err(format!("`{s}`: expected udp:ADDR:PORT or tcp:ADDR:PORT")),
        };
        let addr = rest.parse().map_err(|e| format!("`{s}`: {e}"))?;
        Ok(ListenAddr { kind, addr })
    }
}

impl fmt::Display for ListenAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind.name().to_ascii_lowercase(), self.addr)
    }
}

/// Parses a `--listen` value: `udp:ADDR`, `tcp:ADDR`, or a bare `ADDR` meaning both.
pub fn parse_listen(s: &str) -> Result<Vec<ListenAddr>, String> {
    if let Ok(addr) = s.parse::<SocketAddr>() {
        return Ok(vec![ListenAddr { kind: TransportKind::Udp, addr }, ListenAddr { kind: TransportKind::Tcp, addr }]);
    }
    s.parse().map(|l| vec![l])
}

/// Transport settings; `sip::transaction::Config` holds one.
#[derive(Clone, Debug)]
pub struct TransportConfig {
    /// Where to listen. A `--listen` option replaces this list ([`TransportConfig::override_listen`]).
    pub listen: Vec<ListenAddr>,
    /// Largest UDP datagram accepted, headers plus body (Yate: `maxpkt`).
    pub max_message: usize,
    /// Largest message framed on a TCP connection (Yate: `tcp_maxpkt`).
    pub max_stream_message: usize,
    /// Largest number of TCP connections at once, accepted and initiated together.
    pub max_connections: usize,
    /// A TCP connection silent this long is closed (keep-alive pings count as traffic).
    pub idle_timeout: Duration,
    /// How long opening a TCP connection for a client transaction may take.
    pub connect_timeout: Duration,
    /// How long one TCP write may block before the connection is dropped.
    pub write_timeout: Duration,
    /// Receive buffer asked for each UDP socket, in bytes; 0 keeps the system's.
    pub udp_receive_buffer: usize,
}

impl Default for TransportConfig {
    fn default() -> Self {
        TransportConfig {
            listen: Vec::new(),
            max_message: consts::MAX_MESSAGE,
            max_stream_message: consts::MAX_MESSAGE,
            max_connections: consts::MAX_CONNECTIONS,
            idle_timeout: consts::IDLE_TIMEOUT,
            connect_timeout: consts::CONNECT_TIMEOUT,
            write_timeout: consts::WRITE_TIMEOUT,
            udp_receive_buffer: consts::UDP_RECEIVE_BUFFER,
        }
    }
}

impl TransportConfig {
    /// Replaces the configured addresses when `listen` is not empty (the command
    /// line wins over the configuration file).
    pub fn override_listen(&mut self, listen: Vec<ListenAddr>) {
        if !listen.is_empty() {
            self.listen = listen;
        }
    }
}

/// Where a message came from and where its answers go: a UDP socket and peer,
/// or one TCP connection (RFC 5626 calls both a flow).
#[derive(Clone)]
pub enum Flow {
    /// A peer reached through one of our UDP sockets.
    Udp(udp::UdpFlow),
    /// A TCP connection.
    Tcp(tcp::TcpFlow),
}

impl fmt::Debug for Flow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Flow({} {} -> {})", self.kind(), self.local(), self.peer())
    }
}

impl Flow {
    /// UDP or TCP.
    pub fn kind(&self) -> TransportKind {
        match self {
            Flow::Udp(_) => TransportKind::Udp,
            Flow::Tcp(_) => TransportKind::Tcp,
        }
    }

    /// The remote address.
    pub fn peer(&self) -> SocketAddr {
        match self {
            Flow::Udp(f) => f.peer,
            Flow::Tcp(f) => f.peer,
        }
    }

    /// Our address on this flow.
    pub fn local(&self) -> SocketAddr {
        match self {
            Flow::Udp(f) => f.local,
            Flow::Tcp(f) => f.local,
        }
    }

    /// A name for the flow, like Yate's `connection_id`: `udp:<local>` for a UDP
    /// socket, `tcp:<n>` for a TCP connection.
    pub fn id(&self) -> String {
        match self {
            Flow::Udp(f) => {
                let mut id = String::with_capacity(25);
                id.push_str("udp:");
                crate::sip::msg::text::push_socket_addr(&mut id, f.local);
                id
            }
            Flow::Tcp(f) => format!("tcp:{}", f.id),
        }
    }

    /// Sends one message (or a keep-alive). On TCP this waits while the
    /// connection's bounded queue is full; it fails once the connection is gone.
    pub async fn send(&self, bytes: Arc<[u8]>) -> io::Result<()> {
        match self {
            Flow::Udp(f) => f.send(&bytes).await,
            Flow::Tcp(f) => f.send(bytes).await,
        }
    }

    /// Sends without waiting: for stateless answers, which are best-effort.
    pub fn try_send(&self, bytes: Arc<[u8]>) -> io::Result<()> {
        match self {
            Flow::Udp(f) => f.try_send(&bytes),
            Flow::Tcp(f) => f.try_send(bytes),
        }
    }
}

/// A message the transport received, with everything needed to answer it.
#[derive(Debug)]
pub struct Incoming {
    /// The parsed message (a request's top Via already carries `received`/`rport`).
    pub message: Message,
    /// The packet's source address.
    pub source: SocketAddr,
    /// UDP or TCP.
    pub kind: TransportKind,
    /// Where answers go.
    pub flow: Flow,
}

/// The layer above the transport: it must not block (the socket loop calls it).
pub trait Sink: Send + Sync + 'static {
    /// One received message.
    fn receive(&self, incoming: Incoming);

    /// A TCP connection ended (its flow id, `tcp:<n>`): what was bound to it is gone.
    fn closed(&self, flow_id: &str) {
        let _ = flow_id;
    }
}

struct Shared {
    config: TransportConfig,
    lifecycle: Lifecycle,
    udp: Vec<Arc<udp::Bound>>,
    tcp_local: Vec<SocketAddr>,
    /// Bound listeners waiting for [`Transports::start`] to take them.
    listeners: Mutex<Vec<TcpListener>>,
    /// Set by the first `start`: a second one must not add readers to the sockets.
    started: AtomicBool,
    conns: tcp::Registry,
}

/// The bound sockets: started once with a [`Sink`], then used for sending.
#[derive(Clone)]
pub struct Transports {
    shared: Arc<Shared>,
}

impl fmt::Debug for Transports {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transports").field("local", &self.local_addrs()).finish()
    }
}

impl Transports {
    /// Binds every configured address. Nothing is read until [`Transports::start`].
    pub async fn bind(config: TransportConfig, lifecycle: Lifecycle) -> io::Result<Transports> {
        let mut udp = Vec::new();
        let mut listeners = Vec::new();
        for l in &config.listen {
            match l.kind {
                TransportKind::Udp => {
                    let bound = udp::Bound::bind(l.addr)?;
                    receive_buffer(bound.socket(), config.udp_receive_buffer);
                    udp.push(Arc::new(bound));
                }
                TransportKind::Tcp => listeners.push(TcpListener::bind(l.addr).await?),
            }
        }
        let tcp_local = listeners.iter().map(TcpListener::local_addr).collect::<io::Result<_>>()?;
        let conns = tcp::Registry::new(config.max_connections);
        let listeners = Mutex::new(listeners);
        let started = AtomicBool::new(false);
        let shared = Shared { config, lifecycle, udp, tcp_local, listeners, started, conns };
        Ok(Transports { shared: Arc::new(shared) })
    }

    /// The addresses actually bound (with the ports the OS picked for `:0`).
    pub fn local_addrs(&self) -> Vec<ListenAddr> {
        let udp = self.shared.udp.iter().map(|b| b.local());
        let udp = udp.map(|addr| ListenAddr { kind: TransportKind::Udp, addr });
        let tcp = self.shared.tcp_local.iter().map(|&addr| ListenAddr { kind: TransportKind::Tcp, addr });
        udp.chain(tcp).collect()
    }

    /// The first bound address of `kind`.
    pub fn local_addr(&self, kind: TransportKind) -> Option<SocketAddr> {
        self.local_addrs().into_iter().find(|l| l.kind == kind).map(|l| l.addr)
    }

    /// The settings.
    pub fn config(&self) -> &TransportConfig {
        &self.shared.config
    }

    /// Number of open TCP connections.
    pub fn connections(&self) -> usize {
        self.shared.conns.open()
    }

    /// Starts the UDP receive threads and the TCP accept loops, delivering to
    /// `sink`. Only the first call does anything.
    pub fn start(&self, sink: Arc<dyn Sink>) {
        if self.shared.started.swap(true, Ordering::SeqCst) {
            return;
        }
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, MAX_UDP_THREADS);
        let max = self.shared.config.max_message;
        for bound in &self.shared.udp {
            let lifecycle = &self.shared.lifecycle;
            if let Err(e) = udp::start(bound, max, &sink, lifecycle, threads) {
                tracing::error!(error = %e, local = %bound.local(), "cannot start the UDP receive threads");
            }
        }
        let listeners = std::mem::take(&mut *self.shared.listeners.lock().unwrap_or_else(|e| e.into_inner()));
        for listener in listeners {
            let shutdown = self.shared.lifecycle.listener(Group::Io);
            tokio::spawn(tcp::accept_loop(listener, self.shared.clone(), sink.clone(), shutdown));
        }
    }

    /// The UDP flow to `dest`, on our first UDP socket: no connection to wait for.
    pub fn udp_flow_to(&self, dest: SocketAddr) -> io::Result<Flow> {
        let bound = self.shared.udp.first().ok_or_else(|| no_transport(TransportKind::Udp))?;
        Ok(Flow::Udp(udp::UdpFlow::new(bound.clone(), dest)))
    }

    /// A flow to `dest` for a client transaction: our first UDP socket, or an
    /// open TCP connection to `dest` (reused) or a new one, read into `sink`.
    pub async fn flow_to(&self, dest: SocketAddr, kind: TransportKind, sink: Arc<dyn Sink>) -> io::Result<Flow> {
        match kind {
            TransportKind::Udp => self.udp_flow_to(dest),
            TransportKind::Tcp => tcp::connect(&self.shared, dest, sink).await.map(Flow::Tcp),
        }
    }
}

impl Transports {
    /// The flow named `id` ([`Flow::id`]): the TCP connection `tcp:<n>` while it is
    /// still reading, or our UDP socket `udp:<local>` towards `dest`.
    pub fn flow_by_id(&self, id: &str, dest: SocketAddr) -> io::Result<Flow> {
        let unknown = || io::Error::new(io::ErrorKind::NotFound, format!("no transport `{id}`"));
        if let Some(n) = id.strip_prefix("tcp:").and_then(|n| n.parse::<u64>().ok()) {
            return self.shared.conns.find_id(n).map(Flow::Tcp).ok_or_else(unknown);
        }
        let local = id.strip_prefix("udp:").and_then(|a| a.parse::<SocketAddr>().ok()).ok_or_else(unknown)?;
        let bound = self.shared.udp.iter().find(|b| b.local() == local).ok_or_else(unknown)?;
        Ok(Flow::Udp(udp::UdpFlow::new(bound.clone(), dest)))
    }
}

fn no_transport(kind: TransportKind) -> io::Error {
    io::Error::new(io::ErrorKind::NotConnected, format!("no {kind} transport is configured"))
}

/// Asks for a larger receive buffer: a burst that arrives while the reading task
/// waits for a core would otherwise overflow the system's default (about 200 KB,
/// some 400 requests) and be dropped, to come back half a second later as
/// retransmissions. The kernel caps the size at `net.core.rmem_max`.
fn receive_buffer(socket: &std::net::UdpSocket, bytes: usize) {
    if bytes == 0 {
        return;
    }
    let sock = socket2::SockRef::from(socket);
    if let Err(e) = sock.set_recv_buffer_size(bytes) {
        tracing::warn!(error = %e, "UDP receive buffer not enlarged");
        return;
    }
    // Linux reports twice the usable size it granted.
    let got = sock.recv_buffer_size().unwrap_or(0);
    if got < bytes {
        tracing::info!(asked = bytes, got, "UDP receive buffer capped by the system (net.core.rmem_max)");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn udp_sockets_get_the_receive_buffer_asked_for() {
        use std::net::UdpSocket;
        let size = |s: &UdpSocket| socket2::SockRef::from(s).recv_buffer_size().unwrap();
        let plain = UdpSocket::bind("127.0.0.1:0").unwrap();
        let system = size(&plain);
        receive_buffer(&plain, 0);
        assert_eq!(size(&plain), system, "0 leaves the system's size");
        let big = UdpSocket::bind("127.0.0.1:0").unwrap();
        receive_buffer(&big, 1 << 20);
        // The kernel grants at most net.core.rmem_max (and reports double what it grants).
        let cap = std::fs::read_to_string("/proc/sys/net/core/rmem_max").unwrap().trim().parse::<usize>().unwrap();
        assert!(size(&big) >= (1 << 20).min(cap), "{} < min(1 MiB, {cap})", size(&big));
    }

    #[test]
    fn listen_syntax() {
        let both = parse_listen("127.0.0.1:5060").unwrap();
        assert_eq!(both.len(), 2);
        assert_eq!(both[1].to_string(), "tcp:127.0.0.1:5060");
        let one = parse_listen("UDP:[::1]:5070").unwrap();
        assert_eq!(one, [ListenAddr { kind: TransportKind::Udp, addr: "[::1]:5070".parse().unwrap() }]);
        assert!(parse_listen("sctp:1.2.3.4:5").is_err());
        assert!(parse_listen("udp:nowhere").is_err());
        let mut c = TransportConfig { listen: both, ..Default::default() };
        c.override_listen(Vec::new());
        assert_eq!(c.listen.len(), 2);
        c.override_listen(one);
        assert_eq!(c.listen.len(), 1);
    }
}
