//! Shared helpers for the SIP transport and transaction tests: a loopback endpoint, raw peers, manual time.
//!
//! The tests run with tokio's paused clock. Waiting with `.await` on a socket
//! would let the runtime go idle, and an idle runtime with a paused clock jumps
//! to the next timer, so a request could meet timer J before its answer. The
//! helpers therefore wait by polling with `yield_now`: a yielded task keeps the
//! runtime busy (it polls I/O without parking), so the clock moves only when a
//! test calls [`step`] or `tokio::time::advance`. Every wait is bounded by a
//! wall-clock limit so a broken build fails instead of hanging.
//!
//! Other test files include this one with `#[path]`; compiled alone it checks
//! its own helpers.
#![allow(dead_code)]

use rexroute::sip::msg::{parse, parse_prefix, Message, Response};
use rexroute::sip::transaction::{Config, Endpoint, ServerRequest};
use rexroute::sip::transport::{ListenAddr, TransportKind};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::mpsc;

/// Wall-clock bound on any single wait.
const WAIT_LIMIT: Duration = Duration::from_secs(10);

/// Polls `f` until it gives a value, yielding in between.
pub async fn until<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let start = std::time::Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(start.elapsed() < WAIT_LIMIT, "timed out waiting for {what}");
        tokio::task::yield_now().await;
    }
}

/// Lets every task run until quiet, without moving the clock.
pub async fn settle() {
    for _ in 0..300 {
        tokio::task::yield_now().await;
    }
}

/// Moves the paused clock by `d` and lets the tasks react.
pub async fn step(d: Duration) {
    tokio::time::advance(d).await;
    settle().await;
}

/// Loopback UDP and TCP on OS-picked ports, OPTIONS and MESSAGE allowed.
pub fn config() -> Config {
    let any: SocketAddr = ([127, 0, 0, 1], 0).into();
    let mut c = Config::default();
    c.transport.listen =
        vec![ListenAddr { kind: TransportKind::Udp, addr: any }, ListenAddr { kind: TransportKind::Tcp, addr: any }];
    c.allow_method("MESSAGE");
    c
}

/// A started endpoint whose transaction user is a queue of `capacity`.
pub async fn start_with(config: Config, capacity: usize) -> (Endpoint, mpsc::Receiver<ServerRequest>) {
    let (tx, rx) = mpsc::channel(capacity);
    let endpoint = Endpoint::bind(config, tx).await.expect("bind");
    endpoint.start();
    (endpoint, rx)
}

/// [`start_with`] a queue of 16.
pub async fn start(config: Config) -> (Endpoint, mpsc::Receiver<ServerRequest>) {
    start_with(config, 16).await
}

/// The next request handed to the transaction user.
pub async fn next_request(rx: &mut mpsc::Receiver<ServerRequest>) -> ServerRequest {
    until("a request for the transaction user", || rx.try_recv().ok()).await
}

/// Whether the transaction user has nothing waiting, once the tasks are quiet.
pub async fn user_idle(rx: &mut mpsc::Receiver<ServerRequest>) -> bool {
    settle().await;
    rx.try_recv().is_err()
}

/// A request in wire form, with Content-Length.
pub fn request(method: &str, branch: &str, cseq: u32, body: &str) -> Vec<u8> {
    format!(
        "{method} sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5071;rport;branch={branch}\r\n\
Max-Forwards: 70\r\nFrom: \"Alice\" <sip:alice@127.0.0.1>;tag=poqas\r\nTo: <sip:bob@127.0.0.1>\r\n\
Call-ID: call-{branch}\r\nCSeq: {cseq} {method}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// A parsed response, or a panic naming what came instead.
pub fn response(bytes: &[u8]) -> Response {
    match parse(bytes) {
        Ok(Message::Response(r)) => r,
        other => panic!("not a response: {other:?}\n{}", String::from_utf8_lossy(bytes)),
    }
}

/// A raw UDP client.
pub struct UdpPeer {
    pub socket: UdpSocket,
    pub server: SocketAddr,
}

impl UdpPeer {
    /// A socket on 127.0.0.1 talking to `server`.
    pub async fn new(server: SocketAddr) -> UdpPeer {
        let socket = UdpSocket::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.expect("bind peer");
        UdpPeer { socket, server }
    }

    /// The peer for `endpoint`'s UDP address.
    pub async fn to(endpoint: &Endpoint) -> UdpPeer {
        UdpPeer::new(endpoint.local_addr(TransportKind::Udp).expect("udp address")).await
    }

    pub fn addr(&self) -> SocketAddr {
        self.socket.local_addr().expect("peer address")
    }

    pub async fn send(&self, bytes: &[u8]) {
        self.socket.send_to(bytes, self.server).await.expect("send");
    }

    /// The next datagram and its source.
    pub async fn recv_from(&self) -> (Vec<u8>, SocketAddr) {
        let mut buf = vec![0u8; 70_000];
        let (n, from) = until("a datagram", || self.socket.try_recv_from(&mut buf).ok()).await;
        (buf[..n].to_vec(), from)
    }

    pub async fn recv(&self) -> Vec<u8> {
        self.recv_from().await.0
    }

    /// The next datagram, parsed as a response.
    pub async fn response(&self) -> Response {
        response(&self.recv().await)
    }

    /// Whether nothing arrives while the tasks settle.
    pub async fn silent(&self) -> bool {
        settle().await;
        let mut buf = vec![0u8; 70_000];
        self.socket.try_recv_from(&mut buf).is_err()
    }
}

/// A raw TCP client.
pub struct TcpPeer {
    pub stream: TcpStream,
    /// Bytes read and not yet returned as an event.
    raw: Vec<u8>,
    eof: bool,
}

/// What a TCP peer saw.
#[derive(Debug)]
pub enum TcpEvent {
    Message(Message),
    /// A CRLF keep-alive answer (no response ever starts with CRLF).
    Pong,
    Closed,
}

impl TcpPeer {
    /// Connects with a blocking loopback connect (which completes in the
    /// kernel), so no await can let the paused clock jump.
    pub fn connect(addr: SocketAddr) -> TcpPeer {
        TcpPeer::from_std(std::net::TcpStream::connect(addr).expect("connect"))
    }

    /// Wraps a connected (or accepted) std stream.
    pub fn from_std(stream: std::net::TcpStream) -> TcpPeer {
        stream.set_nonblocking(true).expect("nonblocking");
        TcpPeer { stream: TcpStream::from_std(stream).expect("tokio stream"), raw: Vec::new(), eof: false }
    }

    pub fn to(endpoint: &Endpoint) -> TcpPeer {
        TcpPeer::connect(endpoint.local_addr(TransportKind::Tcp).expect("tcp address"))
    }

    pub async fn write(&mut self, bytes: &[u8]) {
        let mut done = 0;
        while done < bytes.len() {
            done += until("a writable stream", || self.stream.try_write(&bytes[done..]).ok()).await;
        }
    }

    /// Reads what is there, noting end of stream (or a reset) as `eof`.
    fn fill(&mut self) {
        let mut buf = [0u8; 8192];
        loop {
            match self.stream.try_read(&mut buf) {
                Ok(0) => self.eof = true,
                Ok(n) => {
                    self.raw.extend_from_slice(&buf[..n]);
                    continue;
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(_) => self.eof = true,
            }
            return;
        }
    }

    fn take(&mut self) -> Option<TcpEvent> {
        if self.raw.starts_with(b"\r\n") {
            self.raw.drain(..2);
            return Some(TcpEvent::Pong);
        }
        if let Ok((message, used)) = parse_prefix(&self.raw) {
            self.raw.drain(..used);
            return Some(TcpEvent::Message(message));
        }
        self.eof.then_some(TcpEvent::Closed)
    }

    /// The next event.
    pub async fn event(&mut self) -> TcpEvent {
        until("a TCP event", || {
            self.fill();
            self.take()
        })
        .await
    }

    /// The next event, which must be a response.
    pub async fn response(&mut self) -> Response {
        match self.event().await {
            TcpEvent::Message(Message::Response(r)) => r,
            other => panic!("expected a response, got {other:?}"),
        }
    }

    /// Waits for a CRLF pong.
    pub async fn pong(&mut self) {
        match self.event().await {
            TcpEvent::Pong => {}
            other => panic!("expected a pong, got {other:?}"),
        }
    }

    /// Waits until the server closes the connection, skipping what comes before.
    pub async fn closed(&mut self) {
        until("the connection to close", || {
            self.fill();
            self.eof.then_some(())
        })
        .await;
    }

    /// Whether the connection is open and nothing arrived once the tasks settle.
    pub async fn quiet(&mut self) -> bool {
        settle().await;
        self.fill();
        !self.eof && self.raw.is_empty()
    }
}

#[tokio::test(start_paused = true)]
async fn helpers_work_on_loopback() {
    let (endpoint, _rx) = start(config()).await;
    let peer = UdpPeer::to(&endpoint).await;
    peer.send(&request("OPTIONS", "z9hG4bKsupport", 1, "")).await;
    assert_eq!(peer.response().await.code, 200);
    assert!(peer.silent().await);
    let t0 = tokio::time::Instant::now();
    step(Duration::from_secs(3)).await;
    assert_eq!(t0.elapsed(), Duration::from_secs(3));
}
