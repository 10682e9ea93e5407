//! SIP timer and limit constants: RFC 3261 §17 and Appendix A defaults in one place.
//!
//! The transaction layer reads T1, T2 and T4 from a [`Timers`] value so that a
//! configuration (Yate's `[general] t1`, `t4`) can change them; the constants
//! below are only the defaults. Every derived timer (E, F, J, K) is computed
//! from the three base values, so a test that shortens T1 shortens all of them
//! consistently.

use std::time::Duration;

/// T1, the round-trip time estimate (RFC 3261 Appendix A). Yate's default too.
pub const T1: Duration = Duration::from_millis(500);

/// T2, the maximum retransmission interval for non-INVITE requests. Yate fixes it at 4 s.
pub const T2: Duration = Duration::from_secs(4);

/// T4, the maximum time a message stays in the network. Yate's `t4` default is 5 s.
pub const T4: Duration = Duration::from_secs(5);

/// Timer F (client timeout) and J (server linger) are this many T1 (RFC 3261 Table 4).
pub const T1_MULTIPLIER_64: u32 = 64;

/// Default cap on one SIP message, in bytes. UDP datagrams cannot exceed 65 507
/// bytes of payload anyway; Yate's own defaults (`maxpkt` 1500, `tcp_maxpkt`
/// 4096) are lower and can be configured.
pub const MAX_MESSAGE: usize = 65_535;

/// Default cap on concurrent TCP connections (accepted and initiated together).
pub const MAX_CONNECTIONS: usize = 1024;

/// Default cap on live transactions, server and client each. A completed UDP
/// non-INVITE server transaction lingers 64·T1 (timer J, 32 s) to absorb
/// retransmissions, so this sustains 16,000 requests per second; beyond it new
/// requests get `503`. A lingering transaction holds its last response (a few
/// hundred bytes), so the cap also bounds memory to a few hundred MB.
pub const MAX_TRANSACTIONS: usize = 1 << 19;

/// Default idle time after which a TCP connection with no traffic is closed.
/// RFC 5626 keep-alives (CRLFCRLF) count as traffic, so a client that pings
/// more often than this keeps its flow open.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(120);

/// How long connecting a TCP flow for a client transaction may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long one write on a TCP flow may block before the flow is dropped, so a
/// peer that stops reading cannot hold a connection task forever.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// UDP receive buffer asked for (ysipchan.conf `[general] udp_rcvbuf`, ours): 4 MiB
/// holds about a second of requests at 8,000/s.
pub const UDP_RECEIVE_BUFFER: usize = 4 << 20;

/// Capacity of a TCP flow's outgoing queue; senders wait when it is full.
pub const FLOW_QUEUE: usize = 64;

/// The magic cookie that marks an RFC 3261 branch (§8.1.1.7).
pub const BRANCH_COOKIE: &str = "z9hG4bK";

/// The three base timers, configurable (Yate reads `t1` and `t4`; T2 is fixed there).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timers {
    /// RTT estimate; E starts here, F and J are 64 of it.
    pub t1: Duration,
    /// Cap of the retransmission interval E.
    pub t2: Duration,
    /// Network lifetime of a message; timer K on unreliable transports.
    pub t4: Duration,
}

impl Default for Timers {
    fn default() -> Self {
        Timers { t1: T1, t2: T2, t4: T4 }
    }
}

impl Timers {
    /// Timer F: a non-INVITE client transaction gives up after 64·T1.
    pub fn f(&self) -> Duration {
        self.t1.saturating_mul(T1_MULTIPLIER_64)
    }

    /// Timer J: a completed non-INVITE server transaction lingers 64·T1 on an
    /// unreliable transport (absorbing retransmissions), 0 on a reliable one.
    pub fn j(&self, reliable: bool) -> Duration {
        if reliable {
            Duration::ZERO
        } else {
            self.t1.saturating_mul(T1_MULTIPLIER_64)
        }
    }

    /// Timer K: a completed client transaction absorbs response retransmissions
    /// for T4 on an unreliable transport, 0 on a reliable one.
    pub fn k(&self, reliable: bool) -> Duration {
        if reliable {
            Duration::ZERO
        } else {
            self.t4
        }
    }

    /// The first interval of timer E.
    pub fn e_initial(&self) -> Duration {
        self.t1
    }

    /// The next interval of timer E (§17.1.2.2): doubled up to T2 while Trying,
    /// T2 once a provisional response moved the transaction to Proceeding.
    pub fn e_next(&self, current: Duration, proceeding: bool) -> Duration {
        if proceeding {
            self.t2
        } else {
            current.saturating_mul(2).min(self.t2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e_doubles_to_t2_and_f_is_64_t1() {
        let t = Timers::default();
        let mut e = t.e_initial();
        let mut sent_at = vec![Duration::ZERO];
        let mut now = Duration::ZERO;
        while now + e < t.f() {
            now += e;
            sent_at.push(now);
            e = t.e_next(e, false);
        }
        let ms: Vec<u128> = sent_at.iter().map(Duration::as_millis).collect();
        assert_eq!(ms, [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
        assert_eq!(t.f(), Duration::from_secs(32));
        assert_eq!(t.e_next(Duration::from_millis(500), true), T2);
        assert_eq!((t.j(true), t.j(false)), (Duration::ZERO, Duration::from_secs(32)));
        assert_eq!((t.k(true), t.k(false)), (Duration::ZERO, T4));
    }
}
