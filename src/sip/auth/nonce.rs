//! Nonces: stateless minting and checking with HMAC-SHA-256, and per-nonce `nc` tracking.
//!
//! A nonce is `<mac>.<salt>.<issued>`: `issued` is the Unix second it was minted,
//! `salt` 64 random bits so that two challenges in the same second differ, and
//! `mac` the first 128 bits of HMAC-SHA-256(secret, `issued.salt:realm`). Checking
//! one needs no state: recompute the MAC, then its age is `now − issued`, which
//! is what lets a nonce be refused as *stale* (ours, but too old) rather than
//! *foreign*. Yate does the same with MD5 over `secret.time` (sip.md §5.2); the
//! keyed HMAC is our choice because a plain hash of secret-then-data invites
//! length-extension tricks.
//!
//! Stateless checking alone lets a captured request be replayed while its nonce
//! lives. For `qop=auth` responses the [`NonceTracker`] remembers, per nonce, the
//! highest `nc` accepted and refuses any count not above it. Its memory is
//! bounded: expired nonces are dropped, and when it is still full the oldest are
//! forgotten and a *floor* remembers up to when; any nonce issued at or before the
//! floor and no longer tracked is refused, so forgetting never reopens a replay.
//! Both go oldest first through a queue kept in recording order, a few entries
//! per request: the tracker is consulted under the routing lock, and a sweep of
//! the whole table there stalled every request behind it.

use super::digest::to_hex;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

/// The server secret nonces are keyed with.
#[derive(Clone)]
pub struct NonceKey {
    /// SHA-256 with the HMAC inner and outer key blocks already absorbed: each
    /// MAC then costs two compressions instead of four (it runs for every
    /// challenge and every answer to one).
    inner: Sha256,
    outer: Sha256,
}

impl std::fmt::Debug for NonceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NonceKey(..)")
    }
}

/// The HMAC-SHA-256 (RFC 2104) states for `key` after its inner and outer pad blocks.
fn hmac_states(key: &[u8]) -> (Sha256, Sha256) {
    const BLOCK: usize = 64;
    let mut k0 = [0u8; BLOCK];
    if key.len() > BLOCK {
        k0[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k0[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| k0.map(|b| b ^ byte);
    (Sha256::new().chain(pad(0x36)), Sha256::new().chain(pad(0x5c)))
}

/// HMAC-SHA-256 of `data` from the states [`hmac_states`] made.
fn hmac_with(inner: &Sha256, outer: &Sha256, data: &[u8]) -> [u8; 32] {
    let inner = inner.clone().chain(data).finalize();
    let outer = outer.clone().chain(inner).finalize();
    let mut out = [0u8; 32];
    out.copy_from_slice(&outer);
    out
}

/// HMAC-SHA-256 (RFC 2104) built on RustCrypto's SHA-256.
#[cfg(test)]
fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let (inner, outer) = hmac_states(key);
    hmac_with(&inner, &outer, data)
}

impl NonceKey {
    /// A fresh random key: nonces from before a restart stop being ours, so the
    /// client gets a plain challenge (not `stale`) and authenticates again.
    pub fn random() -> NonceKey {
        NonceKey::with_secret(rand::random())
    }

    fn with_secret(secret: [u8; 32]) -> NonceKey {
        let (inner, outer) = hmac_states(&secret);
        NonceKey { inner, outer }
    }

    /// A key derived from configured bytes (any length), for tests or for nonces
    /// that should survive a restart.
    pub fn from_secret(secret: &[u8]) -> NonceKey {
        let mut key = [0u8; 32];
        key.copy_from_slice(&Sha256::digest(secret));
        NonceKey::with_secret(key)
    }

    fn mac(&self, issued: u64, salt: &str, realm: &str) -> String {
        let full = hmac_with(&self.inner, &self.outer, format!("{issued}.{salt}:{realm}").as_bytes());
        to_hex(&full[..16])
    }

    /// A new nonce issued at `issued` (Unix seconds) for `realm`.
    pub fn mint(&self, issued: u64, salt: u64, realm: &str) -> String {
        let salt = format!("{salt:016x}");
        format!("{}.{salt}.{issued}", self.mac(issued, &salt, realm))
    }

    /// The issue time of `nonce` if we minted it for `realm`; `None` for anything
    /// else (another server's nonce, a forged or truncated one).
    pub fn open(&self, nonce: &str, realm: &str) -> Option<u64> {
        let mut parts = nonce.split('.');
        let (mac, salt, issued) = (parts.next()?, parts.next()?, parts.next()?);
        let well_formed = parts.next().is_none()
            && mac.len() == 32
            && salt.len() == 16
            && salt.bytes().all(|b| b.is_ascii_hexdigit())
            && !issued.is_empty()
            && issued.len() <= 19
            && issued.bytes().all(|b| b.is_ascii_digit());
        if !well_formed {
            return None;
        }
        let issued: u64 = issued.parse().ok()?;
        super::digest::hex_eq(mac, &self.mac(issued, salt, realm)).then_some(issued)
    }
}

/// Reads an `nc` value: 1 to 8 hex digits (RFC 2617 says exactly 8; shorter ones
/// are harmless and some clients send them).
pub fn parse_nc(nc: &str) -> Option<u32> {
    if nc.is_empty() || nc.len() > 8 || !nc.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(nc, 16).ok()
}

/// What the tracker says about a nonce count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NcCheck {
    /// Higher than any count accepted for this nonce: recorded.
    Fresh,
    /// Already used (or the nonce's history was forgotten): refuse as stale.
    Replayed,
}

#[derive(Clone, Copy, Debug)]
struct Seen {
    nc: u32,
}

/// Most room the tracker takes ahead of need (a larger configured capacity grows past it).
const MAX_RESERVE: usize = 1 << 20;

/// The highest `nc` accepted per live nonce, in bounded memory.
#[derive(Debug)]
pub struct NonceTracker {
    seen: HashMap<Arc<str>, Seen>,
    /// The tracked nonces in the order they were first recorded, which is
    /// about the order they were issued in: expiry and forgetting take the front.
    order: VecDeque<(u64, Arc<str>)>,
    /// Nonces issued at or before this second and not in `seen` had their history
    /// dropped under memory pressure: they count as used up.
    floor: Option<u64>,
    capacity: usize,
}

impl NonceTracker {
    /// A tracker holding at most `capacity` nonces (at least 1).
    pub fn new(capacity: usize) -> NonceTracker {
        NonceTracker { seen: HashMap::new(), order: VecDeque::new(), floor: None, capacity: capacity.max(1) }
    }

    /// How many nonces are tracked now.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// Whether nothing is tracked.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    /// Checks and records `nc` for `nonce` (issued at `issued`). Call only once the
    /// response has been verified, so a forged request cannot burn a count.
    pub fn record(&mut self, nonce: &str, issued: u64, nc: u32, now: u64, lifetime: u64) -> NcCheck {
        if let Some(seen) = self.seen.get_mut(nonce) {
            if nc <= seen.nc {
                return NcCheck::Replayed;
            }
            seen.nc = nc;
            return NcCheck::Fresh;
        }
        if self.floor.is_some_and(|floor| issued <= floor) {
            return NcCheck::Replayed;
        }
        self.purge(now, lifetime);
        if self.seen.capacity() == 0 {
            // All the room at once, at the first nonce: growing by doubling
            // rehashes every tracked nonce under the routing lock, which held up
            // every request for milliseconds at each step while a busy
            // server's table filled. A server that never challenges pays nothing.
            self.seen.reserve(self.capacity.saturating_add(1).min(MAX_RESERVE));
            self.order.reserve(self.capacity.saturating_add(1).min(MAX_RESERVE));
        }
        let key: Arc<str> = Arc::from(nonce);
        self.seen.insert(key.clone(), Seen { nc });
        self.order.push_back((issued, key));
        while self.seen.len() > self.capacity {
            self.forget_oldest();
        }
        NcCheck::Fresh
    }

    /// Drops nonces whose lifetime is over: they are refused as stale before the
    /// tracker is ever asked about them again. Stops at the first live one, so
    /// a nonce recorded behind a younger one waits for it (memory stays bounded
    /// by the capacity all the same).
    pub fn purge(&mut self, now: u64, lifetime: u64) {
        while let Some((issued, _)) = self.order.front() {
            if issued.saturating_add(lifetime) >= now {
                break;
            }
            if let Some((_, key)) = self.order.pop_front() {
                self.seen.remove(&key);
            }
        }
    }

    /// Forgets the nonce recorded first and raises the floor to its issue time.
    fn forget_oldest(&mut self) {
        let Some((issued, key)) = self.order.pop_front() else { return };
        self.seen.remove(&key);
        self.floor = Some(self.floor.map_or(issued, |f| f.max(issued)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(to_hex(&mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        let long_key = [0xaau8; 131];
        let mac = hmac_sha256(&long_key, b"Test Using Larger Than Block-Size Key - Hash Key First");
        assert_eq!(to_hex(&mac), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    }

    #[test]
    fn mint_and_open() {
        let key = NonceKey::from_secret(b"s");
        let n = key.mint(1_700_000_000, 7, "Yate");
        assert_eq!(key.open(&n, "Yate"), Some(1_700_000_000));
        assert_eq!(key.open(&n, "Other"), None);
        assert_eq!(NonceKey::from_secret(b"t").open(&n, "Yate"), None);
        let forged = n.replace(".1700000000", ".1700000099");
        assert_eq!(key.open(&forged, "Yate"), None);
        for junk in ["", "...", "a.b.c", "0123456789abcdef.1700000000", &format!("{n}.x")] {
            assert_eq!(key.open(junk, "Yate"), None, "{junk}");
        }
        assert_ne!(key.mint(5, 1, "r"), key.mint(5, 2, "r"));
    }

    #[test]
    fn nc_values() {
        assert_eq!(parse_nc("00000001"), Some(1));
        assert_eq!(parse_nc("ffffffff"), Some(u32::MAX));
        assert_eq!(parse_nc("1"), Some(1));
        assert_eq!(parse_nc("000000001"), None);
        assert_eq!(parse_nc("0000000g"), None);
        assert_eq!(parse_nc(""), None);
    }

    #[test]
    fn tracker_refuses_replays_and_stays_bounded() {
        let mut t = NonceTracker::new(16);
        assert_eq!(t.record("a", 100, 1, 100, 10), NcCheck::Fresh);
        assert_eq!(t.record("a", 100, 1, 101, 10), NcCheck::Replayed);
        assert_eq!(t.record("a", 100, 2, 101, 10), NcCheck::Fresh);
        for i in 0..100u64 {
            t.record(&format!("n{i}"), 200 + i, 1, 200 + i, 1000);
            assert!(t.len() <= 16);
        }
        // "n0" was forgotten under pressure: its history is gone, so it stays refused.
        assert_eq!(t.record("n0", 200, 2, 300, 1000), NcCheck::Replayed);
        assert_eq!(t.record("n99", 299, 2, 300, 1000), NcCheck::Fresh);
        t.purge(5000, 10);
        assert!(t.is_empty());
    }

    #[test]
    fn expired_nonces_go_as_new_ones_come_and_a_full_tracker_forgets_one_at_a_time() {
        let mut t = NonceTracker::new(4);
        for (i, n) in ["a", "b", "c"].iter().enumerate() {
            assert_eq!(t.record(n, 100 + i as u64, 1, 100 + i as u64, 10), NcCheck::Fresh);
        }
        // At 111, "a" (issued 100) is past its 10 s and "b" (101) is not.
        assert_eq!(t.record("d", 111, 1, 111, 10), NcCheck::Fresh);
        assert_eq!(t.len(), 3, "only the expired one went");
        assert_eq!(t.record("b", 101, 2, 111, 10), NcCheck::Fresh, "live ones keep their history");
        // Full: each new nonce forgets exactly the oldest one.
        assert_eq!(t.record("e", 111, 1, 111, 10), NcCheck::Fresh);
        assert_eq!(t.record("f", 111, 1, 111, 10), NcCheck::Fresh);
        assert_eq!(t.len(), 4);
        assert_eq!(t.record("b", 101, 3, 111, 10), NcCheck::Replayed, "forgotten, under the floor");
        assert_eq!(t.record("c", 102, 2, 111, 10), NcCheck::Fresh, "the next oldest is still tracked");
        assert_eq!(t.record("g", 112, 1, 112, 10), NcCheck::Fresh, "issued after the floor");
        assert_eq!(t.record("c", 102, 3, 112, 10), NcCheck::Replayed, "forgotten in its turn");
    }
}
