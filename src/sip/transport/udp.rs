//! The UDP transport: one receive loop per socket, datagram → message → sink.
//!
//! Each datagram is one message (RFC 3261 §18.3). The receive buffer is one byte
//! larger than `max_message`, so a datagram that fills it is known to be too
//! large (the kernel truncates silently) and is answered `513` rather than
//! processed with a cut body, which is what Yate's `maxpkt` does.

use super::shutdown::{Phase, Shutdown};
use super::stateless::{reject, salvage_head, stamp_via};
use super::{Flow, Incoming, Shared, Sink, TransportKind};
use crate::sip::msg::{is_keepalive, parse, ErrorKind, Message};
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::UdpSocket;

/// Pause after a failed receive.
const RECV_BACKOFF: std::time::Duration = std::time::Duration::from_millis(10);

/// The largest UDP payload there can be (65 535 minus the 8-byte UDP header).
const MAX_DATAGRAM: usize = 65_527;

/// A peer reached through one of our UDP sockets.
#[derive(Clone, Debug)]
pub struct UdpFlow {
    socket: Arc<UdpSocket>,
    pub(super) peer: SocketAddr,
    pub(super) local: SocketAddr,
}

impl UdpFlow {
    pub(super) fn new(socket: Arc<UdpSocket>, peer: SocketAddr) -> io::Result<UdpFlow> {
        let local = socket.local_addr()?;
        Ok(UdpFlow { socket, peer, local })
    }

    pub(super) async fn send(&self, bytes: &[u8]) -> io::Result<()> {
        self.socket.send_to(bytes, self.peer).await.map(drop)
    }

    pub(super) fn try_send(&self, bytes: &[u8]) -> io::Result<()> {
        self.socket.try_send_to(bytes, self.peer).map(drop)
    }
}

/// Reads datagrams until the `Stopped` phase. It keeps reading while draining:
/// responses to client transactions and request retransmissions still arrive here.
pub(super) async fn serve(socket: Arc<UdpSocket>, shared: Arc<Shared>, sink: Arc<dyn Sink>, mut shutdown: Shutdown) {
    let max = shared.config.max_message;
    let mut buf = vec![0u8; max.saturating_add(1).min(MAX_DATAGRAM)];
    let Ok(local) = socket.local_addr() else { return };
    loop {
        let received = tokio::select! {
            r = socket.recv_from(&mut buf) => r,
            () = shutdown.reached(Phase::Stopped) => return,
        };
        match received {
            Ok((n, peer)) => {
                let flow = UdpFlow { socket: socket.clone(), peer, local };
                handle(&buf[..n], n > max, flow, sink.as_ref());
            }
            // An unconnected UDP socket reports only local trouble (e.g. a
            // buffer shortage); the next datagram may well be fine. The pause
            // keeps a lasting error from spinning the loop.
            Err(e) => {
                tracing::warn!(error = %e, %local, "UDP receive failed");
                tokio::time::sleep(RECV_BACKOFF).await;
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

    async fn pair() -> (UdpFlow, UdpSocket) {
        let ours = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
        let theirs = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        // Stateless answers use `try_send_to`, which needs the writable
        // readiness a serving socket has long had; a fresh one must learn it.
        ours.writable().await.unwrap();
        (UdpFlow::new(ours, theirs.local_addr().unwrap()).unwrap(), theirs)
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
        let mut buf = [0u8; 1500];
        let n = theirs.recv(&mut buf).await.unwrap();
        assert!(buf[..n].starts_with(b"SIP/2.0 513 Message Too Large\r\n"));
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
