//! SIP transactions: non-INVITE server and client transactions (RFC 3261 §17) over the transports.
//!
//! ```text
//!  transport ──Incoming──▶ Endpoint ──key lookup──▶ retransmission → its ServerTask (resend last answer)
//!                             │                └──▶ new request → admission (400/501/481/405/OPTIONS)
//!                             │                                   └─▶ 100 Trying → TransactionUser::request
//!                             └──response──▶ ClientKey lookup → its ClientTask → Outcome to the caller
//!  TransactionUser ──ServerTx::respond──▶ ServerTask ──Flow::send──▶ transport
//!                  ──ServerTx::try_respond (final, UDP)──▶ transport, bytes to the ServerTask
//!  caller ──Endpoint::request──▶ ClientTask (timers E, F, K) ──▶ Outcome
//!  caller ──Endpoint::request_udp_now──▶ transport; answered before the first E:
//!            done in the table entry (no task), else its ClientTask from then on
//! ```
//!
//! Design choices (the full record is `docs/sip-transactions.md`):
//!
//! * **One tokio task per transaction, timers as `tokio::time::sleep`.** The
//!   transaction's state lives in its task; the table holds only a channel to
//!   it. Tokio's timer wheel is the same structure `tokio_util`'s `DelayQueue`
//!   uses, without a single owner task that every packet would queue behind,
//!   and the task's end *is* the cleanup (a guard removes the key). No loop
//!   ever polls. The UDP common case (answered on delivery; relayed and
//!   answered before timer E) runs without a task, its J, K or first E in a
//!   queue of equal timers (`docs/sip-transactions.md`).
//! * **Bounded everything.** Tables are capped (`max_transactions`), every
//!   channel is bounded and fed with `try_send` from the socket loop, and a
//!   transaction user that never answers is abandoned after `tu_timeout`.
//! * **Yate's admission rules** ([`admit`]): 501 outside the Allow list,
//!   OPTIONS answered here with Allow, `100 Trying` for every request handed
//!   to the user unless `lazy100`, ACK ignored.
//!
//! INVITE transactions and dialogs are out of scope.

mod admit;
mod client;
mod endpoint;
mod key;
mod server;

pub use client::{ClientOptions, Origin, Outcome, RequestError, Rport};
pub use endpoint::Endpoint;
pub use key::{ClientKey, ServerKey};
pub use server::{Gone, ServerRequest, ServerTx};

use crate::sip::consts::{self, Timers};
use crate::sip::msg::{reason_phrase, Response};
use crate::sip::transport::TransportConfig;
use std::time::Duration;
use tokio::sync::mpsc;

/// Endpoint settings: the transports and the transaction layer.
#[derive(Clone, Debug)]
pub struct Config {
    /// Sockets, sizes, connection cap, timeouts.
    pub transport: TransportConfig,
    /// T1, T2, T4 (Yate: `[general] t1`, `t4`).
    pub timers: Timers,
    /// Send `100 Trying` only when a retransmission arrives before the final
    /// answer (Yate's `lazy100`; RFC 4320 prefers that). Default: no, as Yate.
    pub lazy100: bool,
    /// The Allow list: methods accepted (others get 501), in the order the
    /// `Allow` header lists them. Yate builds it from its modules and `[methods]`.
    pub allow: Vec<String>,
    /// Cap on live server transactions, and separately on client ones.
    pub max_transactions: usize,
    /// How long a request may wait for the transaction user's final answer.
    pub tu_timeout: Duration,
    /// How long a graceful shutdown waits for transactions in flight.
    pub shutdown_grace: Duration,
    /// `Server` header added to responses, if any (Yate: `useragent`).
    pub server_header: Option<String>,
    /// `host:port` for the Via of our requests; default: the local address.
    pub sent_by: Option<String>,
    /// Max-Forwards for our requests when they have none (Yate: `maxforwards`, 20).
    pub max_forwards: u8,
}

impl Default for Config {
    fn default() -> Self {
        let timers = Timers::default();
        Config {
            transport: TransportConfig::default(),
            timers,
            lazy100: false,
            allow: vec!["OPTIONS".into()],
            max_transactions: consts::MAX_TRANSACTIONS,
            tu_timeout: timers.f(),
            shutdown_grace: timers.f(),
            server_header: None,
            sent_by: None,
            max_forwards: 20,
        }
    }
}

impl Config {
    /// Adds `method` to the Allow list unless present (Yate adds each `[methods]` key upper-cased).
    pub fn allow_method(&mut self, method: &str) {
        if !self.allow.iter().any(|m| m == method) {
            self.allow.push(method.to_owned());
        }
    }
}

/// What the endpoint hands new requests to (the router, the registrar, …).
///
/// `request` is called on the thread that received the request (a UDP receive
/// thread, a runtime worker for TCP) or from a transaction task. It may do short
/// work there (`serve` routes inline), but must not wait long: queue with
/// `try_send` otherwise. The request is answered through [`ServerRequest::tx`];
/// retransmissions never reach the user. An answer given with
/// [`ServerTx::try_respond`] before `request` returns (UDP, `lazy100`) completes
/// the transaction without a task.
pub trait TransactionUser: Send + Sync + 'static {
    /// A new request (its `100 Trying` is already out unless `lazy100`).
    fn request(&self, request: ServerRequest);

    /// A TCP connection ended: registrations made over it (Yate's
    /// `connection_id`, here `flow_id`) are void. Must not block either.
    fn connection_closed(&self, flow_id: &str) {
        let _ = flow_id;
    }
}

/// A bounded queue as the transaction user: when the consumer falls behind,
/// new requests get `503 Service Unavailable` instead of piling up (Yate's
/// flood protection drops them instead).
impl TransactionUser for mpsc::Sender<ServerRequest> {
    fn request(&self, request: ServerRequest) {
        if let Err(e) = self.try_send(request) {
            let request = e.into_inner();
            let resp = Response::for_request(&request.request, 503, reason_phrase(503));
            // The transaction's own queue is empty at this point; a failure
            // means the transaction is already gone.
            let _ = request.tx.try_respond(resp);
        }
    }
}

/// A closure as the transaction user (tests, small tools).
impl<F: Fn(ServerRequest) + Send + Sync + 'static> TransactionUser for F {
    fn request(&self, request: ServerRequest) {
        self(request)
    }
}
