//! The TCP transport: accept loop, connection cap, and one task per connection.
//!
//! A connection task owns both halves of its socket. It reads bytes into a
//! [`Framer`] (several or split messages per read), hands every message to the
//! sink with a [`TcpFlow`] for the answers, answers CRLFCRLF pings with CRLF
//! (RFC 5626 §4.4.1), and writes what transactions queue on the flow's bounded
//! channel. Reading stops on end of stream, idle timeout, a framing error
//! (after a `513` or `400` when the head is readable) or draining; the socket
//! is then kept only until the transactions holding the flow have sent their
//! last answer, so a response already decided is never lost.

use super::shutdown::{Group, Phase, Shutdown};
use super::stateless::{reject, salvage_head, stamp_via};
use super::{Flow, Incoming, Shared, Sink, TransportKind};
use crate::sip::consts::FLOW_QUEUE;
use crate::sip::msg::{ErrorKind, Frame, Framer, Message};
use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};
use tokio::time::{sleep_until, timeout, Instant};

/// Pause after a failed `accept` (e.g. out of file descriptors), so a lasting
/// error does not spin the loop.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Size of one read.
const READ_CHUNK: usize = 16 * 1024;

/// One TCP connection, as the transaction layer sees it.
#[derive(Clone, Debug)]
pub struct TcpFlow {
    pub(super) id: u64,
    pub(super) peer: SocketAddr,
    pub(super) local: SocketAddr,
    tx: mpsc::Sender<Arc<[u8]>>,
}

impl TcpFlow {
    pub(super) async fn send(&self, bytes: Arc<[u8]>) -> io::Result<()> {
        self.tx.send(bytes).await.map_err(|_| closed())
    }

    pub(super) fn try_send(&self, bytes: Arc<[u8]>) -> io::Result<()> {
        self.tx.try_send(bytes).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => io::Error::new(io::ErrorKind::WouldBlock, "flow queue full"),
            mpsc::error::TrySendError::Closed(_) => closed(),
        })
    }
}

/// `now + d`, saturating far in the future for an absurd configured duration
/// (tokio's `Instant + Duration` would panic).
fn deadline(d: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(d).unwrap_or_else(|| now + Duration::from_secs(86_400 * 365))
}

fn closed() -> io::Error {
    io::Error::new(io::ErrorKind::BrokenPipe, "TCP connection closed")
}

/// A registered connection: weak, so the registry alone never keeps a socket open.
struct Entry {
    id: u64,
    local: SocketAddr,
    tx: mpsc::WeakSender<Arc<[u8]>>,
}

/// The connection cap and the connections that are still reading, by peer
/// address, so a client transaction to a peer reuses its connection.
pub(super) struct Registry {
    limit: Arc<Semaphore>,
    max: usize,
    next_id: AtomicU64,
    by_peer: Mutex<HashMap<SocketAddr, Entry>>,
}

impl Registry {
    pub(super) fn new(max: usize) -> Registry {
        let max = max.min(Semaphore::MAX_PERMITS);
        let limit = Arc::new(Semaphore::new(max));
        Registry { limit, max, next_id: AtomicU64::new(1), by_peer: Mutex::new(HashMap::new()) }
    }

    /// Open connections.
    pub(super) fn open(&self) -> usize {
        self.max - self.limit.available_permits()
    }

    fn permit(&self) -> Option<OwnedSemaphorePermit> {
        self.limit.clone().try_acquire_owned().ok()
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<SocketAddr, Entry>> {
        self.by_peer.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn find(&self, peer: SocketAddr) -> Option<TcpFlow> {
        let map = self.map();
        let e = map.get(&peer)?;
        Some(TcpFlow { id: e.id, peer, local: e.local, tx: e.tx.upgrade()? })
    }

    /// The connection numbered `id`, if it still reads. A scan: looking a
    /// connection up by id is rare (a bus handler naming one), lookups by peer
    /// are per request, so only the latter gets an index.
    pub(super) fn find_id(&self, id: u64) -> Option<TcpFlow> {
        let map = self.map();
        let (peer, e) = map.iter().find(|(_, e)| e.id == id)?;
        Some(TcpFlow { id, peer: *peer, local: e.local, tx: e.tx.upgrade()? })
    }

    fn register(&self, flow: &TcpFlow) {
        let entry = Entry { id: flow.id, local: flow.local, tx: flow.tx.downgrade() };
        self.map().insert(flow.peer, entry);
    }

    fn unregister(&self, id: u64, peer: SocketAddr) {
        let mut map = self.map();
        if map.get(&peer).is_some_and(|e| e.id == id) {
            map.remove(&peer);
        }
    }
}

/// Accepts connections until draining. Over the cap a connection is closed at once.
pub(super) async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    sink: Arc<dyn Sink>,
    mut shutdown: Shutdown,
) {
    loop {
        let accepted = tokio::select! {
            r = listener.accept() => r,
            () = shutdown.reached(Phase::Draining) => return,
        };
        match accepted {
            Ok((stream, peer)) => match shared.conns.permit() {
                Some(permit) => {
                    if let Err(e) = spawn_connection(stream, &shared, sink.clone(), permit) {
                        tracing::debug!(%peer, error = %e, "connection setup failed");
                    }
                }
                None => tracing::warn!(%peer, limit = shared.conns.max, "TCP connection refused: limit reached"),
            },
            Err(e) => {
                tracing::warn!(error = %e, "TCP accept failed");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
            }
        }
    }
}

/// A flow to `dest`: the open connection to it, or a new one.
pub(super) async fn connect(shared: &Arc<Shared>, dest: SocketAddr, sink: Arc<dyn Sink>) -> io::Result<TcpFlow> {
    if let Some(flow) = shared.conns.find(dest) {
        return Ok(flow);
    }
    if shared.lifecycle.phase() != Phase::Running {
        return Err(io::Error::new(io::ErrorKind::NotConnected, "shutting down"));
    }
    let permit = shared.conns.permit().ok_or_else(|| io::Error::other("TCP connection limit reached"))?;
    let stream = timeout(shared.config.connect_timeout, TcpStream::connect(dest))
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "TCP connect timed out"))??;
    spawn_connection(stream, shared, sink, permit)
}

/// Registers the connection and spawns its task; returns its flow.
fn spawn_connection(
    stream: TcpStream,
    shared: &Arc<Shared>,
    sink: Arc<dyn Sink>,
    permit: OwnedSemaphorePermit,
) -> io::Result<TcpFlow> {
    let (peer, local) = (stream.peer_addr()?, stream.local_addr()?);
    // SIP messages are small and latency matters more than packet count.
    stream.set_nodelay(true)?;
    let (tx, rx) = mpsc::channel(FLOW_QUEUE);
    let id = shared.conns.next_id.fetch_add(1, Ordering::Relaxed);
    let flow = TcpFlow { id, peer, local, tx };
    shared.conns.register(&flow);
    let conn = Connection {
        shared: shared.clone(),
        sink,
        framer: Framer::new(shared.config.max_stream_message),
        mirror: Vec::new(),
        reader: Some(flow.clone()),
    };
    let shutdown = shared.lifecycle.listener(Group::Io);
    tokio::spawn(conn.run(stream, rx, shutdown, permit));
    Ok(flow)
}

/// Why reading stopped.
enum Stop {
    /// The stream cannot be framed any further (oversize, no Content-Length, bad head).
    Framing,
    /// A write failed.
    Write,
}

struct Connection {
    shared: Arc<Shared>,
    sink: Arc<dyn Sink>,
    framer: Framer,
    /// The bytes the framer has not consumed yet, so a head can be salvaged for
    /// a `513` when the framer gives up on the message (it discards its buffer).
    mirror: Vec<u8>,
    /// Our own handle while the connection is reading; dropping it lets the
    /// write queue close once the transactions holding a clone are done.
    reader: Option<TcpFlow>,
}

impl Connection {
    async fn run(
        mut self,
        stream: TcpStream,
        mut rx: mpsc::Receiver<Arc<[u8]>>,
        mut shutdown: Shutdown,
        _permit: OwnedSemaphorePermit,
    ) {
        // Only the id and address: a clone of the flow would hold the queue open.
        let Some((id, peer)) = self.reader.as_ref().map(|f| (f.id, f.peer)) else { return };
        let (mut rd, mut wr) = stream.into_split();
        let mut buf = vec![0u8; READ_CHUNK];
        let idle = self.shared.config.idle_timeout;
        let idle_timer = sleep_until(deadline(idle));
        tokio::pin!(idle_timer);
        loop {
            let reading = self.reader.is_some();
            let next_phase = if reading { Phase::Draining } else { Phase::Stopped };
            tokio::select! {
                // Queued answers first: they were decided before anything
                // that follows, and a stop must not lose them.
                biased;
                out = rx.recv() => match out {
                    Some(bytes) => {
                        idle_timer.as_mut().reset(deadline(idle));
                        if self.write(&mut wr, &bytes).await.is_err() {
                            break;
                        }
                    }
                    None => break,
                },
                r = rd.read(&mut buf), if reading => {
                    idle_timer.as_mut().reset(deadline(idle));
                    match r {
                        Ok(0) | Err(_) => self.stop_reading(),
                        Ok(n) => {
                            if self.on_bytes(n, &buf, &mut wr).await.is_err() {
                                self.stop_reading();
                            }
                        }
                    }
                }
                () = &mut idle_timer, if reading => {
                    tracing::debug!(%peer, "TCP connection idle");
                    self.stop_reading();
                }
                () = shutdown.reached(next_phase) => {
                    if shutdown.phase() >= Phase::Stopped {
                        self.flush(&mut rx, &mut wr).await;
                        break;
                    }
                    self.stop_reading();
                }
            }
        }
        self.shared.conns.unregister(id, peer);
        self.sink.closed(&format!("tcp:{id}"));
    }

    /// Writes what is already queued, for a stop: nothing more will be accepted.
    async fn flush(&self, rx: &mut mpsc::Receiver<Arc<[u8]>>, wr: &mut OwnedWriteHalf) {
        rx.close();
        while let Ok(bytes) = rx.try_recv() {
            if self.write(wr, &bytes).await.is_err() {
                return;
            }
        }
    }

    fn stop_reading(&mut self) {
        if let Some(flow) = self.reader.take() {
            // No client transaction may pick a connection that no longer reads.
            self.shared.conns.unregister(flow.id, flow.peer);
        }
    }

    async fn write(&self, wr: &mut OwnedWriteHalf, bytes: &[u8]) -> Result<(), Stop> {
        match timeout(self.shared.config.write_timeout, wr.write_all(bytes)).await {
            Ok(Ok(())) => Ok(()),
            _ => Err(Stop::Write),
        }
    }

    /// Frames what one read returned and delivers every complete message.
    async fn on_bytes(&mut self, n: usize, buf: &[u8], wr: &mut OwnedWriteHalf) -> Result<(), Stop> {
        let data = &buf[..n];
        self.mirror.extend_from_slice(data);
        self.framer.push(data);
        loop {
            let pending = self.framer.buffered();
            match self.framer.next_frame() {
                Ok(Some(Frame::Message(message))) => self.deliver(message),
                Ok(Some(Frame::KeepAlive)) => self.write(wr, b"\r\n").await?,
                Ok(None) => {
                    let keep = self.framer.buffered().min(self.mirror.len());
                    self.mirror.drain(..self.mirror.len() - keep);
                    return Ok(());
                }
                Err(e) => {
                    let start = self.mirror.len().saturating_sub(pending);
                    self.refuse(&e.kind().clone(), start);
                    self.mirror = Vec::new();
                    return Err(Stop::Framing);
                }
            }
        }
    }

    fn deliver(&self, mut message: Message) {
        let Some(flow) = &self.reader else { return };
        if let Message::Request(req) = &mut message {
            stamp_via(req, flow.peer);
        }
        let incoming = Incoming { message, source: flow.peer, kind: TransportKind::Tcp, flow: Flow::Tcp(flow.clone()) };
        self.sink.receive(incoming);
    }

    /// The stream broke at a message starting at `mirror[start..]`: `513` for an
    /// oversize message, `400` for another framing error, when the head allows.
    fn refuse(&self, kind: &ErrorKind, start: usize) {
        let Some(flow) = &self.reader else { return };
        tracing::debug!(peer = %flow.peer, error = %kind, "TCP framing failed; closing");
        let code = if matches!(kind, ErrorKind::TooLarge { .. }) { 513 } else { 400 };
        if let Some(head) = self.mirror.get(start..).and_then(salvage_head) {
            reject(&head, code, &Flow::Tcp(flow.clone()));
        }
    }
}
