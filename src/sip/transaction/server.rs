//! The non-INVITE server transaction (RFC 3261 §17.2.2), one tokio task each unless answered on delivery.
//!
//! ```text
//!            request
//!               │  (100 Trying now, unless lazy100)
//!  Trying ──1xx from TU──▶ Proceeding ──final from TU──▶ Completed ──timer J──▶ Terminated
//!    │  retransmission: nothing          retransmission:                retransmission:
//!    │  (lazy100: send 100 → Proceeding) resend the last 1xx            resend the final
//!    └──final from TU────────────────────────────────────▶ Completed
//! ```
//!
//! The state lives in the task, not in a shared table: the table maps the key
//! to a small channel on which the endpoint forwards retransmissions (with the
//! flow they came on, so an answer follows a client that reconnected over TCP).
//! Timer J is a `tokio::time::sleep` in the task. When the task ends, a guard
//! removes its key, so the table never outlives the transactions.
//!
//! Two bounds RFC 3261 leaves open: a transaction user that never answers is
//! abandoned after `tu_timeout` (by then the client's timer F has fired), and
//! one that drops its handle without a final answer gets `500` sent for it.

use super::admit::{decorate, Decision};
use super::endpoint::Forget;
use super::Config;
use crate::sip::msg::{reason_phrase, Request, Response};
use crate::sip::transport::{Flow, Phase, Shutdown, TransportKind};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use tokio::sync::mpsc;
use tokio::time::sleep;

/// Capacity of a transaction's response channel from the transaction user.
const TU_QUEUE: usize = 4;

/// The transaction is over: it answered already, timed out, or was shut down.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the server transaction has ended")]
pub struct Gone;

/// The transaction user's handle for answering one request.
///
/// Responses go through the transaction, which adds `Allow` (and `Server`),
/// sends them on the request's flow and keeps the last one to answer
/// retransmissions. The first final (≥ 200) response completes the
/// transaction; anything sent after it is ignored.
#[derive(Clone, Debug)]
pub struct ServerTx {
    tx: mpsc::Sender<Box<Answer>>,
    /// The request's flow, for a final answer sent by the caller's own thread.
    direct: Arc<Direct>,
}

/// What the transaction user hands the transaction.
#[derive(Debug)]
pub(super) enum Answer {
    /// To be decorated and sent by the transaction.
    Response(Response),
    /// A final response already decorated and, if `sent`, on the wire.
    Sent { bytes: Arc<[u8]>, sent: bool },
}

#[derive(Debug)]
struct Direct {
    /// UDP only: a TCP flow held here would keep its connection open for as long
    /// as the transaction user keeps the handle.
    flow: Option<Flow>,
    config: Arc<Config>,
    /// A final answer was handed over: later ones are refused here, since one
    /// sent directly would otherwise reach the wire before the task could ignore it.
    answered: AtomicBool,
    /// The bytes of a final answer sent directly, set before they go on the wire: the
    /// client may retransmit before the task has them from its queue, and must get
    /// this answer again, not a `100`.
    sent_final: OnceLock<Arc<[u8]>>,
}

/// The transaction's end of a [`ServerTx`].
pub(super) struct Answers {
    rx: mpsc::Receiver<Box<Answer>>,
    direct: Arc<Direct>,
}

impl Answers {
    /// The final answer, if the user already sent it from its own thread (UDP):
    /// the transaction then has nothing left to do but absorb retransmissions.
    pub(super) fn sent_final(&self) -> Option<Arc<[u8]>> {
        self.direct.sent_final.get().cloned()
    }
}

impl ServerTx {
    /// Sends `resp` through the transaction.
    pub async fn respond(&self, resp: Response) -> Result<(), Gone> {
        if resp.code >= 200 && self.direct.answered.swap(true, Ordering::AcqRel) {
            return Err(Gone);
        }
        self.tx.send(Box::new(Answer::Response(resp))).await.map_err(|_| Gone)
    }

    /// Like [`ServerTx::respond`], without waiting: fails if the transaction's
    /// small queue is full (only possible after several provisional responses).
    ///
    /// A final response goes on the wire from the calling thread, before the
    /// transaction's task has woken up: that wake-up is off the answer's path.
    /// The task still keeps the bytes for retransmissions, and ignores any later
    /// answer as before.
    pub fn try_respond(&self, mut resp: Response) -> Result<(), Gone> {
        let Some(flow) = self.direct.flow.as_ref().filter(|_| resp.code >= 200) else {
            if resp.code >= 200 && self.direct.answered.swap(true, Ordering::AcqRel) {
                return Err(Gone);
            }
            return self.tx.try_send(Box::new(Answer::Response(resp))).map_err(|_| Gone);
        };
        let permit = self.tx.try_reserve().map_err(|_| Gone)?;
        if self.direct.answered.swap(true, Ordering::AcqRel) {
            return Err(Gone);
        }
        decorate(&mut resp, &self.direct.config);
        let bytes: Arc<[u8]> = Arc::from(resp.to_bytes());
        let _ = self.direct.sent_final.set(bytes.clone());
        let sent = flow.try_send(bytes.clone()).is_ok();
        permit.send(Box::new(Answer::Sent { bytes, sent }));
        Ok(())
    }
}

/// A new request for the transaction user, with the handle to answer it.
#[derive(Debug)]
pub struct ServerRequest {
    /// The request (its top Via already carries `received`/`rport`).
    pub request: Request,
    /// The packet's source address.
    pub source: SocketAddr,
    /// UDP or TCP.
    pub kind: TransportKind,
    /// The flow's name, like Yate's `connection_id` (`udp:<local>`, `tcp:<n>`).
    pub flow_id: String,
    /// Our address on the flow.
    pub local: SocketAddr,
    /// The answering handle.
    pub tx: ServerTx,
}

impl ServerRequest {
    /// Answers with `code` and its standard reason phrase; a convenience for
    /// `tx.respond(Response::for_request(&request, code, …))`.
    pub async fn answer(&self, code: u16) -> Result<(), Gone> {
        self.tx.respond(Response::for_request(&self.request, code, reason_phrase(code))).await
    }
}

/// A running server transaction.
pub(super) struct ServerTask {
    pub(super) config: Arc<Config>,
    /// The request's Via, From, To, Call-ID, CSeq: enough to build our own answers.
    pub(super) skeleton: Request,
    /// Where answers go; replaced by the flow of each retransmission.
    pub(super) flow: Flow,
    pub(super) retransmissions: mpsc::Receiver<Box<Flow>>,
    pub(super) shutdown: Shutdown,
    /// Removes the key from the table when the task ends, however it ends.
    pub(super) _forget: Forget<super::key::ServerKey>,
}

impl ServerTask {
    /// Runs the transaction to its end. For [`Decision::User`], `user` is called
    /// with the request once the `100` (if any) is out.
    pub(super) async fn run(mut self, decision: Decision, request: Request, user: impl FnOnce(ServerRequest)) {
        let last = match decision {
            Decision::Answer(code) => self.send_own(code).await,
            // `decorate` adds the Allow list that is the point of the answer.
            Decision::Options => self.send_own(200).await,
            Decision::User => {
                let mut provisional = None;
                if !self.config.lazy100 {
                    provisional = Some(self.send_own(100).await);
                }
                let (sr, rx) = self.for_user(request);
                user(sr);
                match self.proceed(rx, provisional).await {
                    Some(last) => last,
                    None => return,
                }
            }
        };
        self.complete(last).await;
    }

    /// The request as the user gets it, with the receiving end of its answers.
    /// Called before the task runs when no `100` has to go first, so that the
    /// request reaches the user without waiting for this task to be scheduled.
    pub(super) fn for_user(&self, request: Request) -> (ServerRequest, Answers) {
        let (tx, rx) = mpsc::channel(TU_QUEUE);
        let direct = Arc::new(Direct {
            flow: (!self.flow.kind().is_reliable()).then(|| self.flow.clone()),
            config: self.config.clone(),
            answered: AtomicBool::new(false),
            sent_final: OnceLock::new(),
        });
        let sr = ServerRequest {
            request,
            source: self.flow.peer(),
            kind: self.flow.kind(),
            flow_id: self.flow.id(),
            local: self.flow.local(),
            tx: ServerTx { tx, direct: direct.clone() },
        };
        (sr, Answers { rx, direct })
    }

    /// Ends the task before it ran, for a transaction completed without it:
    /// its table entry (no longer removed when this is dropped) and the
    /// retransmissions that arrived meanwhile.
    pub(super) fn into_completed(self) -> ((super::key::ServerKey, u64), mpsc::Receiver<Box<Flow>>) {
        (self._forget.disarm(), self.retransmissions)
    }

    /// Runs a transaction whose request [`for_user`](Self::for_user) handed over.
    pub(super) async fn run_handed_over(mut self, rx: Answers) {
        if let Some(last) = self.proceed(rx, None).await {
            self.complete(last).await;
        }
    }

    /// Trying and Proceeding: waits for the final response. `None` when the
    /// transaction user ran out of time or the server is stopping.
    async fn proceed(&mut self, user: Answers, mut last: Option<Arc<[u8]>>) -> Option<Arc<[u8]>> {
        let Answers { rx: mut user, direct } = user;
        let deadline = sleep(self.config.tu_timeout);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                // Messages before timers: a response or retransmission that
                // arrived in time is handled even if a timer is due too.
                biased;
                resp = user.recv() => match resp.map(|b| *b) {
                    Some(Answer::Response(resp)) if resp.code < 200 => last = Some(self.send(resp).await),
                    Some(Answer::Response(resp)) => return Some(self.send(resp).await),
                    Some(Answer::Sent { bytes, sent }) => {
                        if !sent {
                            self.resend(&bytes).await;
                        }
                        return Some(bytes);
                    }
                    None => {
                        tracing::warn!(request = %self.skeleton.start_line(), "request dropped unanswered; sending 500");
                        return Some(self.send_own(500).await);
                    }
                },
                Some(flow) = self.retransmissions.recv() => {
                    self.flow = *flow;
                    if let Some(bytes) = direct.sent_final.get() {
                        self.resend(bytes).await;
                        continue;
                    }
                    match &last {
                        Some(bytes) => self.resend(bytes).await,
                        // Yate's lazy100: a retransmission before the answer earns a 100.
                        None => last = Some(self.send_own(100).await),
                    }
                }
                () = &mut deadline => {
                    tracing::warn!(request = %self.skeleton.start_line(), "no answer in time; transaction abandoned");
                    return None;
                }
                () = self.shutdown.reached(Phase::Stopped) => return None,
            }
        }
    }

    /// Completed: absorbs retransmissions with the final response until timer J.
    /// Draining cuts J short (no new transaction could be created by then anyway).
    async fn complete(&mut self, last: Arc<[u8]>) {
        let j = self.config.timers.j(self.flow.kind().is_reliable());
        if j.is_zero() {
            return;
        }
        let timer = sleep(j);
        tokio::pin!(timer);
        loop {
            tokio::select! {
                // Messages before timers: a response or retransmission that
                // arrived in time is handled even if a timer is due too.
                biased;
                Some(flow) = self.retransmissions.recv() => {
                    self.flow = *flow;
                    self.resend(&last).await;
                }
                () = &mut timer => return,
                () = self.shutdown.reached(Phase::Draining) => return,
            }
        }
    }

    /// A response of ours to the request.
    fn own(&self, code: u16) -> Response {
        Response::for_request(&self.skeleton, code, reason_phrase(code))
    }

    async fn send_own(&self, code: u16) -> Arc<[u8]> {
        self.send(self.own(code)).await
    }

    /// Decorates, sends, and returns the bytes for later retransmission.
    async fn send(&self, mut resp: Response) -> Arc<[u8]> {
        decorate(&mut resp, &self.config);
        let bytes: Arc<[u8]> = Arc::from(resp.to_bytes());
        self.resend(&bytes).await;
        bytes
    }

    async fn resend(&self, bytes: &Arc<[u8]>) {
        // A send failure is not fatal here: on UDP it is transient, on TCP the
        // client may retransmit over a new connection, which we then answer on.
        if let Err(e) = self.flow.send(bytes.clone()).await {
            tracing::debug!(peer = %self.flow.peer(), error = %e, "response not sent");
        }
    }
}
