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
            // buffer shortage); the next datagram may well be fine.
            Err(e) => tracing::debug!(error = %e, %local, "UDP receive failed"),
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
