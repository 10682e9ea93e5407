//! Graceful shutdown: a phase broadcast to every task, and counts of the tasks still alive.
//!
//! The shape is mini-redis's (a shutdown signal every task listens to, and a
//! completion signal the owner waits on), with two changes a SIP server needs:
//!
//! * **Two phases.** `Draining` stops new work (TCP accept loops end, TCP flows
//!   stop reading, new requests get `503`) while transactions in flight finish:
//!   the UDP sockets must keep reading in that phase, because a client
//!   transaction's final response or a request retransmission still arrives on
//!   them. `Stopped` then closes every socket.
//! * **Counts instead of a completion channel.** mini-redis waits until every
//!   clone of an `mpsc::Sender` is dropped, which works only if the owner can
//!   drop the last minting clone first. Our [`Lifecycle`] is also held by the
//!   endpoint that keeps creating transactions, so each task instead holds a
//!   [`Shutdown`] whose guard bumps a `watch` counter, and the owner waits for
//!   that counter to reach zero.

use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Where the server is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    /// Serving.
    Running,
    /// Finishing transactions in flight; no new work is accepted.
    Draining,
    /// Every socket is being closed.
    Stopped,
}

/// Which count a task belongs to: drain waits for transactions, stop for I/O tasks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    /// Server and client transactions.
    Transactions,
    /// Socket loops and TCP connection tasks.
    Io,
}

struct Inner {
    phase: watch::Sender<Phase>,
    transactions: watch::Sender<usize>,
    io: watch::Sender<usize>,
}

impl Inner {
    fn count(&self, group: Group) -> &watch::Sender<usize> {
        match group {
            Group::Transactions => &self.transactions,
            Group::Io => &self.io,
        }
    }
}

/// The shared shutdown state: advances the phase and tells when tasks are gone.
#[derive(Clone)]
pub struct Lifecycle {
    inner: Arc<Inner>,
}

impl Default for Lifecycle {
    fn default() -> Self {
        Lifecycle::new()
    }
}

impl std::fmt::Debug for Lifecycle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lifecycle")
            .field("phase", &self.phase())
            .field("transactions", &self.live(Group::Transactions))
            .field("io", &self.live(Group::Io))
            .finish()
    }
}

impl Lifecycle {
    /// A lifecycle in the `Running` phase with no task.
    pub fn new() -> Lifecycle {
        let (phase, _) = watch::channel(Phase::Running);
        let (transactions, _) = watch::channel(0);
        let (io, _) = watch::channel(0);
        Lifecycle { inner: Arc::new(Inner { phase, transactions, io }) }
    }

    /// The current phase.
    pub fn phase(&self) -> Phase {
        *self.inner.phase.borrow()
    }

    /// How many tasks of `group` are alive.
    pub fn live(&self, group: Group) -> usize {
        *self.inner.count(group).borrow()
    }

    /// A shutdown listener for a new task of `group`; the task counts as alive
    /// until the listener is dropped.
    pub fn listener(&self, group: Group) -> Shutdown {
        self.inner.count(group).send_modify(|n| *n += 1);
        let guard = Guard { inner: self.inner.clone(), group };
        Shutdown { phase: self.inner.phase.subscribe(), _guard: guard }
    }

    /// Moves to `phase` (never backwards).
    pub fn advance(&self, phase: Phase) {
        self.inner.phase.send_if_modified(|p| {
            let later = phase > *p;
            if later {
                *p = phase;
            }
            later
        });
    }

    /// Enters `Draining` and waits up to `grace` for every transaction to end.
    /// Returns whether they all did.
    pub async fn drain(&self, grace: Duration) -> bool {
        self.advance(Phase::Draining);
        self.settle(Group::Transactions, grace).await
    }

    /// Enters `Stopped` and waits up to `grace` for every I/O task to end.
    pub async fn stop(&self, grace: Duration) -> bool {
        self.advance(Phase::Stopped);
        self.settle(Group::Io, grace).await
    }

    /// Waits up to `grace` for every task of `group` to end; returns whether they did.
    pub async fn settle(&self, group: Group, grace: Duration) -> bool {
        let mut rx = self.inner.count(group).subscribe();
        let settled = tokio::time::timeout(grace, rx.wait_for(|&n| n == 0)).await;
        settled.is_ok()
    }
}

/// Keeps a task counted as alive.
struct Guard {
    inner: Arc<Inner>,
    group: Group,
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.inner.count(self.group).send_modify(|n| *n = n.saturating_sub(1));
    }
}

/// A task's view of the shutdown: the phase, and a guard that counts the task alive.
pub struct Shutdown {
    phase: watch::Receiver<Phase>,
    _guard: Guard,
}

impl std::fmt::Debug for Shutdown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shutdown").field("phase", &*self.phase.borrow()).finish()
    }
}

impl Shutdown {
    /// The current phase.
    pub fn phase(&self) -> Phase {
        *self.phase.borrow()
    }

    /// Completes once the phase is `phase` or later. Cancel-safe, for `select!`.
    pub async fn reached(&mut self, phase: Phase) {
        // The sender lives in `Inner`, which our guard keeps alive: the wait can
        // only end by the phase arriving.
        let _ = self.phase.wait_for(|p| *p >= phase).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn drain_waits_for_transactions_only() {
        let life = Lifecycle::new();
        let mut tx = life.listener(Group::Transactions);
        let io = life.listener(Group::Io);
        let task = tokio::spawn(async move {
            tx.reached(Phase::Draining).await;
        });
        assert!(life.drain(Duration::from_secs(5)).await);
        task.await.unwrap();
        assert_eq!(life.live(Group::Io), 1);
        assert!(!life.stop(Duration::from_millis(10)).await);
        drop(io);
        assert!(life.stop(Duration::from_millis(10)).await);
        assert_eq!(life.phase(), Phase::Stopped);
    }
}
