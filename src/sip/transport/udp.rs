//! The UDP transport: receive threads per socket, datagram → message → sink.
//!
//! Each datagram is one message (RFC 3261 §18.3). The receive buffer is one byte
//! larger than `max_message`, so a datagram that fills it is known to be too
//! large (the kernel truncates silently) and is answered `513` rather than
//! processed with a cut body, which is what Yate's `maxpkt` does.
//!
//! Receiving is done by plain threads blocked in `recvfrom` on the shared
//! socket, as many as there are cores: the kernel wakes one of them per
//! datagram, and that thread parses it, runs the transaction layer and the
//! transaction user (which may route and relay) before reading again. An async
//! receive loop would see a datagram only when its worker next polls for events,
//! after whatever task it is running, and would handle a burst on one core.
//! Sends never block: `MSG_DONTWAIT` on the same socket, so the receivers can
//! keep it in blocking mode.

use super::shutdown::{Phase, Shutdown};
use super::stateless::{reject, salvage_head, stamp_via};
use super::{Flow, Incoming, Sink, TransportKind};
use crate::sip::msg::{is_keepalive, parse, ErrorKind, Message};
use socket2::SockRef;
use std::cell::RefCell;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

/// Pause after a failed receive.
const RECV_BACKOFF: Duration = Duration::from_millis(10);

/// Longest a receive thread waits in `recvfrom` before it checks whether the
/// socket is being closed, should its wake-up datagram be lost.
const RECV_POLL: Duration = Duration::from_millis(500);

/// The largest UDP payload there can be (65 535 minus the 8-byte UDP header).
const MAX_DATAGRAM: usize = 65_527;

/// Attempts of an async send while the socket's send buffer is full, a
/// millisecond apart; after them the datagram counts as lost, which the
/// transaction layer's retransmissions are there for.
const SEND_ATTEMPTS: u32 = 20;

/// A bound UDP socket (blocking, for the receive threads) and its address.
#[derive(Debug)]
pub struct Bound {
    socket: UdpSocket,
    local: SocketAddr,
}

impl Bound {
    /// Binds `addr`.
    pub(super) fn bind(addr: SocketAddr) -> io::Result<Bound> {
        let socket = UdpSocket::bind(addr)?;
        let local = socket.local_addr()?;
        Ok(Bound { socket, local })
    }

    /// The address bound (with the port the OS picked for `:0`).
    pub(super) fn local(&self) -> SocketAddr {
        self.local
    }

    pub(super) fn socket(&self) -> &UdpSocket {
        &self.socket
    }

    /// Sends without blocking: a full send buffer is `WouldBlock`.
    fn send_now(&self, bytes: &[u8], peer: SocketAddr) -> io::Result<()> {
        SockRef::from(&self.socket).send_to_with_flags(bytes, &peer.into(), libc::MSG_DONTWAIT).map(drop)
    }

    /// Wakes the receive threads (at the `Stopped` phase, which each checks
    /// after every read): one empty datagram each, sent to this socket. One lost
    /// on a full receive buffer leaves its thread to [`RECV_POLL`].
    ///
    /// Not a read shutdown, although that wakes every reader at once: the
    /// `recvfrom` it ends returns no sender address at all, which the standard
    /// library's address decoding does not expect (it reads an uninitialized
    /// family and may panic).
    fn wake_receivers(&self, threads: usize) {
        let to = match self.local {
            SocketAddr::V4(a) if a.ip().is_unspecified() => SocketAddr::from((Ipv4Addr::LOCALHOST, a.port())),
            SocketAddr::V6(a) if a.ip().is_unspecified() => SocketAddr::from((Ipv6Addr::LOCALHOST, a.port())),
            local => local,
        };
        let from = if to.is_ipv4() {
            SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0))
        } else {
            SocketAddr::from((Ipv6Addr::UNSPECIFIED, 0))
        };
        if let Ok(waker) = UdpSocket::bind(from) {
            for _ in 0..threads {
                let _ = waker.send_to(&[], to);
            }
        }
    }
}

/// A peer reached through one of our UDP sockets.
#[derive(Clone, Debug)]
pub struct UdpFlow {
    bound: Arc<Bound>,
    pub(super) peer: SocketAddr,
    pub(super) local: SocketAddr,
}

impl UdpFlow {
    pub(super) fn new(bound: Arc<Bound>, peer: SocketAddr) -> UdpFlow {
        let local = bound.local;
        UdpFlow { bound, peer, local }
    }

    pub(super) async fn send(&self, bytes: &[u8]) -> io::Result<()> {
        let mut attempt = 1;
        loop {
            match self.bound.send_now(bytes, self.peer) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock && attempt < SEND_ATTEMPTS => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                r => return r,
            }
        }
    }

    pub(super) fn try_send(&self, bytes: &Arc<[u8]>) -> io::Result<()> {
        let held = HELD.with(|h| match h.borrow_mut().as_mut() {
            Some(list) => {
                list.push((self.clone(), bytes.clone()));
                true
            }
            None => false,
        });
        if held {
            return Ok(());
        }
        self.bound.send_now(bytes, self.peer)
    }
}

/// A datagram held back, and where it goes.
type Held = (UdpFlow, Arc<[u8]>);

/// Work put off until this thread's held datagrams go (see [`HeldSends::defer`]).
type Deferred = Box<dyn FnOnce()>;

thread_local! {
    /// Datagrams this thread holds back (see [`HeldSends`]), in sending order.
    static HELD: RefCell<Option<Vec<Held>>> = const { RefCell::new(None) };
    /// What [`HeldSends::defer`] put off, in order.
    static DEFERRED: RefCell<Vec<Deferred>> = const { RefCell::new(Vec::new()) };
}

/// While alive, UDP sends without waiting ([`UdpFlow::try_send`]) from this
/// thread are held back; dropping it sends them, requests first (see
/// [`send_all`]), each peer's in the order they were made.
///
/// Routing holds a lock for its whole item, and a send on loopback runs the
/// receiver's entire delivery path in the system call: held back, those sends
/// happen after the lock is released, while another thread routes. A held send
/// counts as sent; one that then fails is lost like any datagram, and the
/// transaction layer's retransmissions are there for that.
#[must_use = "dropping it sends what was held"]
pub struct HeldSends {
    /// Only the outermost holder sends: an inner one ends inside the lock.
    outermost: bool,
}

impl HeldSends {
    /// Starts holding this thread's UDP sends.
    pub fn start() -> HeldSends {
        let outermost = HELD.with(|h| {
            let mut h = h.borrow_mut();
            let fresh = h.is_none();
            if fresh {
                *h = Some(Vec::new());
            }
            fresh
        });
        HeldSends { outermost }
    }

    /// Runs `work` when this thread's held datagrams are sent: right after them
    /// at the end of the outermost holder, before them at a
    /// [`flush`](Self::flush); at once when nothing is held.
    ///
    /// For answers: a response handed over while routing goes on (what the rules
    /// enqueued runs next) is built and sent after that work, and after the
    /// requests the work sent onwards, so those are not kept waiting behind it.
    /// Anything that blocks flushes first, which sends the answer before the wait.
    pub fn defer(work: impl FnOnce() + 'static) {
        if HELD.with(|h| h.borrow().is_some()) {
            DEFERRED.with(|d| d.borrow_mut().push(Box::new(work)));
        } else {
            work();
        }
    }

    /// Sends what this thread holds now and goes on holding (before it blocks:
    /// a request whose answer it waits for must be on the wire).
    pub fn flush() {
        run_deferred();
        let list = HELD.with(|h| h.borrow_mut().as_mut().map(std::mem::take));
        send_all(list.unwrap_or_default());
    }
}

impl Drop for HeldSends {
    fn drop(&mut self) {
        if self.outermost {
            // What routing sent first (a relayed request's next hop is waiting on
            // it), then the deferred answers, sent as they are built.
            let list = HELD.with(|h| h.borrow_mut().take());
            send_all(list.unwrap_or_default());
            run_deferred();
        }
    }
}

/// Runs the deferred work, including any that it defers in turn.
fn run_deferred() {
    while let Some(work) = DEFERRED.with(|d| {
        let mut d = d.borrow_mut();
        (!d.is_empty()).then(|| d.remove(0))
    }) {
        work();
    }
}

/// Sends held datagrams, requests before responses while each peer still gets
/// its own in order.
///
/// A request held beside a response is usually the one the response's request
/// caused (a relayed MESSAGE and the 200 that ends the sender's transaction):
/// the next hop is waiting on it, the sender is not, and a send on loopback runs
/// the receiver before it returns.
fn send_all(list: Vec<Held>) {
    sending_order(list).into_iter().for_each(send_held);
}

fn sending_order(list: Vec<Held>) -> Vec<Held> {
    let mut now = Vec::with_capacity(list.len());
    let mut later: Vec<Held> = Vec::new();
    for held in list {
        if is_response(&held.1) || later.iter().any(|(f, _)| f.peer == held.0.peer) {
            later.push(held);
        } else {
            now.push(held);
        }
    }
    now.append(&mut later);
    now
}

fn send_held((flow, bytes): Held) {
    if let Err(e) = flow.bound.send_now(&bytes, flow.peer) {
        tracing::debug!(peer = %flow.peer, error = %e, "held datagram not sent");
    }
}

fn is_response(datagram: &[u8]) -> bool {
    datagram.starts_with(b"SIP/")
}

/// Starts `threads` receive threads on `bound`, each holding an I/O count of
/// `lifecycle` until it ends at the `Stopped` phase. They run inside the
/// current runtime's context, so what they deliver can spawn tasks and start
/// timers. On a current-thread runtime, one async receive loop instead.
pub(super) fn start(
    bound: &Arc<Bound>,
    max: usize,
    sink: &Arc<dyn Sink>,
    lifecycle: &super::Lifecycle,
    threads: usize,
) -> io::Result<()> {
    let runtime = tokio::runtime::Handle::current();
    if runtime.runtime_flavor() == tokio::runtime::RuntimeFlavor::CurrentThread {
        // One thread for everything (tests, small tools): a receive loop on it
        // keeps paused test time in step with what arrives.
        let clone = bound.socket.try_clone()?;
        clone.set_nonblocking(true)?;
        let socket = tokio::net::UdpSocket::from_std(clone)?;
        let shutdown = lifecycle.listener(super::Group::Io);
        runtime.spawn(serve(socket, bound.clone(), max, sink.clone(), shutdown));
        return Ok(());
    }
    bound.socket.set_read_timeout(Some(RECV_POLL))?;
    let mut stop = lifecycle.listener(super::Group::Io);
    let b = bound.clone();
    runtime.spawn(async move {
        stop.reached(Phase::Stopped).await;
        b.wake_receivers(threads);
    });
    for _ in 0..threads {
        let (bound, sink, runtime) = (bound.clone(), sink.clone(), runtime.clone());
        let guard = lifecycle.listener(super::Group::Io);
        std::thread::Builder::new().name("sip-udp".into()).stack_size(crate::runtime::STACK_BYTES).spawn(
            move || {
                let _context = runtime.enter();
                receive(&bound, max, sink.as_ref(), &guard);
            },
        )?;
    }
    Ok(())
}

/// [`receive`] as an async loop, for a current-thread runtime.
async fn serve(
    socket: tokio::net::UdpSocket,
    bound: Arc<Bound>,
    max: usize,
    sink: Arc<dyn Sink>,
    mut shutdown: Shutdown,
) {
    let mut buf = vec![0u8; max.saturating_add(1).min(MAX_DATAGRAM)];
    loop {
        let received = tokio::select! {
            r = socket.recv_from(&mut buf) => r,
            () = shutdown.reached(Phase::Stopped) => return,
        };
        match received {
            Ok((n, peer)) => handle(&buf[..n], n > max, UdpFlow::new(bound.clone(), peer), sink.as_ref()),
            Err(e) => {
                tracing::warn!(error = %e, local = %bound.local, "UDP receive failed");
                tokio::time::sleep(RECV_BACKOFF).await;
            }
        }
    }
}

/// Reads datagrams until the `Stopped` phase. It keeps reading while draining:
/// responses to client transactions and request retransmissions still arrive here.
fn receive(bound: &Arc<Bound>, max: usize, sink: &dyn Sink, shutdown: &Shutdown) {
    let mut buf = vec![0u8; max.saturating_add(1).min(MAX_DATAGRAM)];
    loop {
        match bound.socket.recv_from(&mut buf) {
            Ok((n, peer)) => {
                if shutdown.phase() == Phase::Stopped {
                    return;
                }
                // A bug met while handling one datagram must not stop this
                // socket's reader: the datagram is lost, the next one is read.
                let flow = UdpFlow::new(bound.clone(), peer);
                let handled = std::panic::catch_unwind(AssertUnwindSafe(|| handle(&buf[..n], n > max, flow, sink)));
                if handled.is_err() {
                    tracing::error!(%peer, local = %bound.local, "a datagram's handling panicked; it is dropped");
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            // The read timeout (RECV_POLL): nothing came; time to look at the phase.
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
                if shutdown.phase() == Phase::Stopped {
                    return;
                }
            }
            // An unconnected UDP socket reports only local trouble (e.g. a
            // buffer shortage); the next datagram may well be fine. The pause
            // keeps a lasting error from spinning the loop.
            Err(e) => {
                if shutdown.phase() == Phase::Stopped {
                    return;
                }
                tracing::warn!(error = %e, local = %bound.local, "UDP receive failed");
                std::thread::sleep(RECV_BACKOFF);
            }
        }
    }
}

/// One datagram: parse and deliver, or answer 400/513 when the head is readable
/// (a top Via and CSeq to answer to).
fn handle(data: &[u8], oversize: bool, flow: UdpFlow, sink: &dyn Sink) {
    let peer = flow.peer;
    let flow = Flow::Udp(flow);
    if data.is_empty() || is_keepalive(data) {
        return;
    }
    if oversize {
        tracing::debug!(%peer, "oversize datagram");
        if let Some(head) = salvage_head(data) {
            reject(&head, 513, &flow);
        }
        return;
    }
    match parse(data) {
        Ok(mut message) => {
            if let Message::Request(req) = &mut message {
                stamp_via(req, peer);
            }
            sink.receive(Incoming { message, source: peer, kind: TransportKind::Udp, flow });
        }
        Err(e) => {
            tracing::debug!(%peer, error = %e, "unparsable datagram");
            // A response that does not parse is dropped (§18.1.2); a request
            // whose head is readable is told why.
            let code = if matches!(e.kind(), ErrorKind::TooLarge { .. }) { 513 } else { 400 };
            if let Some(head) = salvage_head(data) {
                reject(&head, code, &flow);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// A sink that keeps what it receives.
    #[derive(Default)]
    struct Record(Mutex<Vec<Incoming>>);

    impl Sink for Record {
        fn receive(&self, incoming: Incoming) {
            self.0.lock().unwrap().push(incoming);
        }
    }

    async fn pair() -> (UdpFlow, tokio::net::UdpSocket) {
        let ours = Arc::new(Bound::bind("127.0.0.1:0".parse().unwrap()).unwrap());
        let theirs = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        (UdpFlow::new(ours, theirs.local_addr().unwrap()), theirs)
    }

    async fn recv(theirs: &tokio::net::UdpSocket) -> Vec<u8> {
        let mut buf = [0u8; 1500];
        let n = tokio::time::timeout(Duration::from_secs(5), theirs.recv(&mut buf)).await.unwrap().unwrap();
        buf[..n].to_vec()
    }

    #[tokio::test]
    async fn held_sends_leave_in_order_when_the_holder_ends() {
        let (flow, theirs) = pair().await;
        let held = HeldSends::start();
        let inner = HeldSends::start();
        flow.try_send(&Arc::from(&b"one"[..])).unwrap();
        drop(inner);
        flow.try_send(&Arc::from(&b"two"[..])).unwrap();
        let mut buf = [0u8; 16];
        assert!(theirs.try_recv(&mut buf).is_err(), "nothing leaves while held, even past an inner holder");
        HeldSends::flush();
        assert_eq!(recv(&theirs).await, b"one");
        assert_eq!(recv(&theirs).await, b"two");
        flow.try_send(&Arc::from(&b"three"[..])).unwrap();
        drop(held);
        assert_eq!(recv(&theirs).await, b"three");
        flow.try_send(&Arc::from(&b"now"[..])).unwrap();
        assert_eq!(recv(&theirs).await, b"now", "not held once the holder is gone");
    }

    #[tokio::test]
    async fn deferred_work_runs_when_the_holder_ends_or_flushes() {
        let (flow, theirs) = pair().await;
        let theirs = Arc::new(theirs);
        let log = std::rc::Rc::new(RefCell::new(Vec::<String>::new()));
        let l = log.clone();
        HeldSends::defer(move || l.borrow_mut().push("unheld".into()));
        assert_eq!(*log.borrow(), ["unheld"], "nothing held: at once");
        let held = HeldSends::start();
        let (l, f, t) = (log.clone(), flow.clone(), theirs.clone());
        HeldSends::defer(move || {
            // A send on loopback is delivered within the call: the request is there.
            let mut buf = [std::mem::MaybeUninit::<u8>::uninit(); 64];
            let sent = SockRef::from(&*t).peek(&mut buf).is_ok_and(|n| n > 0);
            l.borrow_mut().push(if sent { "answer after the request" } else { "answer first" }.into());
            f.try_send(&Arc::from(&b"SIP/2.0 200 OK"[..])).unwrap();
        });
        flow.try_send(&Arc::from(&b"MESSAGE sip:b SIP/2.0"[..])).unwrap();
        assert_eq!(log.borrow().len(), 1, "put off while held");
        drop(held);
        assert_eq!(*log.borrow(), ["unheld", "answer after the request"]);
        assert_eq!(recv(&theirs).await, b"MESSAGE sip:b SIP/2.0");
        assert_eq!(recv(&theirs).await, b"SIP/2.0 200 OK");
        let held = HeldSends::start();
        let l = log.clone();
        HeldSends::defer(move || l.borrow_mut().push("before a wait".into()));
        HeldSends::flush();
        assert_eq!(log.borrow().len(), 3, "a flush runs it");
        drop(held);
    }

    #[test]
    fn held_requests_leave_before_responses_and_each_peer_keeps_its_order() {
        let ours = Arc::new(Bound::bind("127.0.0.1:0".parse().unwrap()).unwrap());
        let to = |port: u16| UdpFlow::new(ours.clone(), SocketAddr::from(([127, 0, 0, 1], port)));
        let held = |port: u16, text: &str| (to(port), Arc::<[u8]>::from(text.as_bytes()));
        let list = vec![
            held(1, "SIP/2.0 200 OK\r\n"),
            held(2, "MESSAGE sip:b SIP/2.0\r\n"),
            held(1, "NOTIFY sip:a SIP/2.0\r\n"),
            held(3, "SIP/2.0 100 Trying\r\n"),
            held(2, "OPTIONS sip:b SIP/2.0\r\n"),
        ];
        let order: Vec<(u16, String)> = sending_order(list)
            .into_iter()
            .map(|(f, b)| (f.peer.port(), String::from_utf8_lossy(&b).lines().next().unwrap_or("").to_string()))
            .collect();
        let want = [
            (2, "MESSAGE sip:b SIP/2.0"),
            (2, "OPTIONS sip:b SIP/2.0"),
            (1, "SIP/2.0 200 OK"),
            (1, "NOTIFY sip:a SIP/2.0"),
            (3, "SIP/2.0 100 Trying"),
        ];
        assert_eq!(order, want.map(|(p, t)| (p, t.to_string())));
    }

    /// The receive threads deliver, and end at `Stopped` although they are
    /// blocked in `recvfrom`.
    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn receive_threads_deliver_and_stop() {
        let bound = Arc::new(Bound::bind("127.0.0.1:0".parse().unwrap()).unwrap());
        let record = Arc::new(Record::default());
        let sink: Arc<dyn Sink> = record.clone();
        let lifecycle = super::super::Lifecycle::new();
        start(&bound, 1500, &sink, &lifecycle, 2).unwrap();
        let peer = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        peer.send_to(REQ, bound.local()).await.unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while record.0.lock().unwrap().is_empty() {
            assert!(tokio::time::Instant::now() < deadline, "the request was not delivered");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(lifecycle.stop(Duration::from_secs(5)).await, "the threads did not end");
    }

    /// At `Stopped`, each thread blocked in `recvfrom` is woken by its datagram
    /// and returns normally (a read shutdown used to end the call with no sender
    /// address, which the standard library may panic on).
    #[test]
    fn woken_receive_threads_end_without_panicking() {
        let bound = Arc::new(Bound::bind("127.0.0.1:0".parse().unwrap()).unwrap());
        // Far longer than the test may take: only the wake-up datagrams end the reads.
        let poll = Duration::from_secs(60);
        bound.socket.set_read_timeout(Some(poll)).unwrap();
        let lifecycle = super::super::Lifecycle::new();
        let sink: Arc<dyn Sink> = Arc::new(Record::default());
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let (b, s, guard) = (bound.clone(), sink.clone(), lifecycle.listener(super::super::Group::Io));
                std::thread::spawn(move || receive(&b, 1500, s.as_ref(), &guard))
            })
            .collect();
        std::thread::sleep(Duration::from_millis(50));
        lifecycle.advance(Phase::Stopped);
        let woken = std::time::Instant::now();
        bound.wake_receivers(threads.len());
        for t in threads {
            assert!(t.join().is_ok(), "a receive thread panicked");
        }
        assert!(woken.elapsed() < poll / 2, "the threads ended at their read timeout, not when woken");
    }

    const REQ: &[u8] =
        b"MESSAGE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h;rport;branch=z9hG4bK1\r\nCSeq: 1 MESSAGE\r\nl: 2\r\n\r\nhi";

    #[tokio::test]
    async fn requests_are_delivered_with_a_stamped_via() {
        let (flow, theirs) = pair().await;
        let sink = Record::default();
        handle(REQ, false, flow, &sink);
        let got = sink.0.lock().unwrap().pop().unwrap();
        let via = got.message.headers().top_via().unwrap();
        assert_eq!(via.rport(), Some(Some(theirs.local_addr().unwrap().port())));
        assert_eq!((got.kind, got.flow.id().starts_with("udp:")), (TransportKind::Udp, true));
    }

    #[tokio::test]
    async fn keepalives_are_ignored_and_oversize_is_513() {
        let (flow, theirs) = pair().await;
        let sink = Record::default();
        handle(b"\r\n\r\n", false, flow.clone(), &sink);
        handle(b"", false, flow.clone(), &sink);
        handle(REQ, true, flow, &sink);
        assert!(sink.0.lock().unwrap().is_empty());
        assert!(recv(&theirs).await.starts_with(b"SIP/2.0 513 Message Too Large\r\n"));
    }

    #[tokio::test]
    async fn unreadable_responses_are_dropped_silently() {
        let (flow, theirs) = pair().await;
        let sink = Record::default();
        handle(b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nl: 9\r\n\r\n", false, flow.clone(), &sink);
        handle(b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nl: 0\r\n\r\n", false, flow, &sink);
        assert_eq!(sink.0.lock().unwrap().len(), 1, "the well-formed response is delivered");
        let mut buf = [0u8; 16];
        assert!(theirs.try_recv(&mut buf).is_err());
    }
}
