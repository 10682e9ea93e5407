//! The non-INVITE client transaction (RFC 3261 §17.1.2), a tokio task each once timer E fires.
//!
//! ```text
//!  send ──▶ Trying ──1xx──▶ Proceeding ──final──▶ Completed ──timer K──▶ Terminated
//!            │ E: resend, E = min(2E, T2)  │ E: resend, E = T2
//!            └──────── F (64·T1): 408 to the user ────────▶ Terminated
//! ```
//!
//! A UDP request started with `Endpoint::request_udp_now` waits in its table
//! entry until its first E, and most are answered before (`endpoint::ClientSlot`);
//! the task starts only for those that are not, from the same schedule.
//!
//! On TCP, E is not armed and K is zero. The outcome goes to the caller as soon
//! as it is known; the task then lingers for K only to keep the key registered,
//! so retransmitted responses are recognised and dropped.
//!
//! [`ClientOptions::max_transmissions`] is Yate's per-request transmission count
//! (`xsip_trans_count`): once that many copies are out and no provisional answer
//! came, the next E firing ends the transaction with a local 408 instead of a
//! further copy, as Yate's transaction does; after a 1xx only F is left.

use super::endpoint::Forget;
use super::key::ClientKey;
use crate::sip::consts::Timers;
use crate::sip::msg::{reason_phrase, ParseError, Request, Response};
use crate::sip::transport::{Flow, Phase, Shutdown};
use std::io;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};
use tokio::time::{sleep, sleep_until, Instant};

/// Where a client transaction's final response came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The peer sent it.
    Peer,
    /// Timer F fired: a `408 Request Timeout` made here (§17.1.2.2).
    Timeout,
    /// The transport failed: a `503 Service Unavailable` made here (§8.1.3.1).
    Transport,
}

/// The end of a client transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The final response, received or made here (see `origin`).
    pub response: Response,
    /// Where it came from.
    pub origin: Origin,
}

/// Why a request could not even start a client transaction.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The endpoint is draining or stopped.
    #[error("the SIP endpoint is shutting down")]
    ShuttingDown,
    /// The client transaction table is full.
    #[error("too many client transactions (limit {0})")]
    TooManyTransactions(usize),
    /// The request lacks a readable CSeq or Via.
    #[error("request cannot be sent: {0}")]
    BadRequest(ParseError),
    /// A transaction with the same branch and method is running.
    #[error("a client transaction with this branch is already running")]
    DuplicateBranch,
    /// No flow to the destination could be had (no socket, connect failure).
    #[error("transport: {0}")]
    Transport(#[from] io::Error),
    /// The transaction task ended without an outcome (a bug, or a runtime shutting down).
    #[error("the client transaction ended without an outcome")]
    Aborted,
}

/// Where the Via the transaction layer adds puts `rport` (RFC 3581).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Rport {
    /// `;rport;branch=…`, as Yate sends by default.
    #[default]
    BeforeBranch,
    /// `;branch=…;rport`, for peers that want the branch first (Yate's `RportAfterBranch`).
    AfterBranch,
    /// No `rport` (Yate's `NotReqRport`).
    Omit,
}

/// Per-request settings of a client transaction; the default is RFC 3261's behaviour.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClientOptions {
    /// Most copies of the request sent over UDP, the first included; `None`
    /// leaves it to timers E and F. Values below 1 count as 1.
    pub max_transmissions: Option<u32>,
    /// The `rport` of the Via added when the request has none.
    pub rport: Rport,
}

/// A running client transaction.
pub(super) struct ClientTask {
    pub(super) timers: Timers,
    /// The request as sent, for retransmissions.
    pub(super) bytes: Arc<[u8]>,
    /// The request's headers, to build a local 408/503.
    pub(super) skeleton: Request,
    pub(super) flow: Flow,
    /// The caller sent the first transmission already (see `Endpoint::request_udp_now`).
    pub(super) first_sent: bool,
    /// See [`ClientOptions::max_transmissions`].
    pub(super) max_transmissions: Option<u32>,
    pub(super) responses: mpsc::Receiver<Box<Response>>,
    pub(super) shutdown: Shutdown,
    /// Removes the key when the task ends; `None` while the transaction waits
    /// in its table entry without a task (see `endpoint::ClientSlot::Pending`).
    pub(super) forget: Option<Forget<ClientKey>>,
    /// When the first copy went out: timers E and F count from here, also for a
    /// task started only when E first fired.
    pub(super) started: Instant,
    /// A provisional response came before the task started.
    pub(super) proceeding: bool,
}

impl ClientTask {
    pub(super) async fn run(mut self, done: oneshot::Sender<Outcome>) {
        let outcome = self.exchange().await;
        let received = outcome.origin == Origin::Peer;
        // The caller may have stopped waiting; the transaction still completes.
        let _ = done.send(outcome);
        if received {
            self.linger().await;
        }
    }

    /// Trying and Proceeding: send, retransmit on E, give up on F.
    async fn exchange(&mut self) -> Outcome {
        let reliable = self.flow.kind().is_reliable();
        if !self.first_sent {
            if let Err(e) = self.flow.send(self.bytes.clone()).await {
                return self.local(503, Origin::Transport, &e);
            }
        }
        let mut interval = self.timers.e_initial();
        let e_timer = sleep_until(self.started + interval);
        let f_timer = sleep_until(self.started + self.timers.f());
        tokio::pin!(e_timer, f_timer);
        let mut proceeding = self.proceeding;
        // The first copy counts even when its send failed: that was the attempt.
        let mut sent: u32 = 1;
        let limit = self.max_transmissions.map(|n| n.max(1));
        loop {
            tokio::select! {
                // Messages before timers: a response or retransmission that
                // arrived in time is handled even if a timer is due too.
                biased;
                resp = self.responses.recv() => match resp {
                    Some(resp) if resp.code < 200 => proceeding = true,
                    Some(response) => return Outcome { response: *response, origin: Origin::Peer },
                    None => return self.local(503, Origin::Transport, &"response channel closed"),
                },
                () = &mut e_timer, if !reliable => {
                    let spent = limit.is_some_and(|n| sent >= n);
                    if spent && !proceeding {
                        return self.local(408, Origin::Timeout, &"transmissions exhausted");
                    }
                    if !spent {
                        if let Err(e) = self.flow.send(self.bytes.clone()).await {
                            return self.local(503, Origin::Transport, &e);
                        }
                        sent = sent.saturating_add(1);
                    }
                    interval = self.timers.e_next(interval, proceeding);
                    // From the deadline, not from now: a late wake-up does not
                    // stretch the schedule (nor, after a stall, burst to catch up).
                    let next = e_timer.deadline().checked_add(interval).unwrap_or(e_timer.deadline()).max(Instant::now());
                    e_timer.as_mut().reset(next);
                }
                () = &mut f_timer => return self.local(408, Origin::Timeout, &"timer F"),
                () = self.shutdown.reached(Phase::Stopped) => {
                    return self.local(503, Origin::Transport, &"endpoint stopped");
                }
            }
        }
    }

    /// Completed: keep the key for timer K so response retransmissions are
    /// absorbed; draining cuts it short.
    async fn linger(&mut self) {
        let k = self.timers.k(self.flow.kind().is_reliable());
        if k.is_zero() {
            return;
        }
        let timer = sleep(k);
        tokio::pin!(timer);
        loop {
            tokio::select! {
                // Messages before timers: a response or retransmission that
                // arrived in time is handled even if a timer is due too.
                biased;
                // Retransmitted final responses: nothing more to do with them.
                Some(_) = self.responses.recv() => {}
                () = &mut timer => return,
                () = self.shutdown.reached(Phase::Draining) => return,
            }
        }
    }

    pub(super) fn local(&self, code: u16, origin: Origin, why: &dyn std::fmt::Display) -> Outcome {
        tracing::debug!(code, peer = %self.flow.peer(), %why, request = %self.skeleton.start_line(), "client transaction failed");
        let response = Response::for_request(&self.skeleton, code, reason_phrase(code));
        Outcome { response, origin }
    }
}
