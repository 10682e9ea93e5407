//! Digest authentication for SIP requests (RFC 2617, RFC 7616, RFC 8760): challenges, nonces, verification.
//!
//! ```text
//!  401 ◀── Authenticator::challenge(now, stale) ── WWW-Authenticate values (one per algorithm)
//!  Authorization ──select──▶ Presented::{Absent, Foreign, Ours}
//!  Ours + password (from user.auth) ──verify──▶ Verdict::{Ok, Wrong, Stale, Unusable}
//! ```
//!
//! Where we follow Yate (shared/spec/sip.md §5.2) and where we go further:
//!
//! * The nonce is stateless and carries its issue time, so an old nonce of ours
//!   is answered `stale=TRUE` and a foreign one with a plain challenge, as in Yate.
//!   Its lifetime defaults to Yate's 10 s.
//! * We offer `qop="auth"` (Yate never does) and track the nonce count, so a
//!   captured `qop=auth` request cannot be replayed even inside the lifetime;
//!   responses without `qop` (RFC 2069 style, what Yate computes) are still
//!   accepted unless [`AuthConfig::require_qop`] is set.
//! * MD5 and SHA-256; with both configured each gets its own challenge header,
//!   strongest first (RFC 8760 §2.4). A response must use an algorithm we offered.
//! * The realm must be ours and the nonce must be ours for that realm; the `uri`
//!   is taken from the header and not compared with the Request-URI (sipp answers
//!   with `sip:<server ip>:<port>`, see sip-clients.md). Like Yate, a failed check
//!   is retried with the uri's `;params` stripped.
//!
//! The `user.auth` exchange around this (who supplies the password) is in
//! [`request`]; answering someone else's challenge, for generated requests, is
//! [`client`].

pub mod client;
mod digest;
mod nonce;
pub mod request;

pub use digest::{ha1, ha2, hex_eq, response, to_hex, Algorithm, DigestInput, QopAuth};
pub use nonce::{parse_nc, NcCheck, NonceKey, NonceTracker};
pub use request::{domain, error_code, AuthDecision, AuthOutcome, Peer, Transport};

use crate::sip::msg::Credentials;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Digest settings (ysipchan's `[general] realm` plus what Yate does not offer).
#[derive(Clone, Debug)]
pub struct AuthConfig {
    /// The realm offered and required (`[general] realm`, default `Yate`).
    pub realm: String,
    /// Algorithms offered, one challenge each, in this order. Default `[MD5]`:
    /// older clients (Twinkle 1.10) may take the first challenge they see.
    pub algorithms: Vec<Algorithm>,
    /// Offer `qop="auth"` (default true).
    pub qop: bool,
    /// Refuse responses without `qop` (default false: Yate-era clients send none).
    pub require_qop: bool,
    /// An `opaque` value to send and expect back, if any.
    pub opaque: Option<String>,
    /// How long a nonce is accepted (default 10 s, Yate's value).
    pub nonce_lifetime: Duration,
    /// How many nonces the replay tracker holds at most.
    pub max_tracked_nonces: usize,
    /// Key nonces with this secret instead of a random one (tests; restarts).
    pub secret: Option<Vec<u8>>,
    /// Answer a wrong password on our fresh nonce with 403 (default true). Yate
    /// challenges again with 401 instead; RFC 3261 §22.1 allows either.
    pub reject_wrong_password: bool,
    /// Headers copied into `user.auth` as `sip_<name>` besides `Security-*`
    /// (`[general] auth_copy_headers`), lower-cased.
    pub copy_headers: Vec<String>,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            realm: "Yate".into(),
            algorithms: vec![Algorithm::Md5],
            qop: true,
            require_qop: false,
            opaque: None,
            nonce_lifetime: Duration::from_secs(10),
            // Every nonce of a 10 s lifetime at over 6,000 challenges a second,
            // about 6 MB at most.
            max_tracked_nonces: 65_536,
            secret: None,
            reject_wrong_password: true,
            copy_headers: Vec::new(),
        }
    }
}

/// What the request's credentials amount to, before any password is known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Presented {
    /// No Digest credentials at all.
    Absent,
    /// Digest credentials, none for our realm with a nonce of ours.
    Foreign,
    /// Credentials carrying a nonce we minted for our realm (the newest such one).
    Ours {
        /// The credentials.
        creds: Credentials,
        /// When the nonce was minted (Unix seconds).
        issued: u64,
    },
}

/// The outcome of checking credentials against a password.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Authenticated.
    Ok,
    /// The response does not match: wrong password (or wrong user).
    Wrong,
    /// The response matches but the nonce is too old or its count was used: ask
    /// again with `stale=TRUE` so the client retries without asking its user.
    Stale,
    /// Cannot be checked: missing fields, an algorithm or qop we did not offer,
    /// a bad `nc`, a wrong `opaque`. Answered with a fresh challenge.
    Unusable,
}

/// Mints challenges and verifies answers; holds the nonce key and replay tracker.
#[derive(Debug)]
pub struct Authenticator {
    cfg: AuthConfig,
    key: NonceKey,
    /// Locked only to record a count: the rest of a check needs no lock, and
    /// runs beside other requests' routing.
    tracker: parking_lot::Mutex<NonceTracker>,
}

/// Unix seconds of `now` (0 before 1970, which only a broken clock gives).
pub fn unix_secs(now: SystemTime) -> u64 {
    now.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

impl Authenticator {
    /// An authenticator for `cfg`.
    pub fn new(cfg: AuthConfig) -> Authenticator {
        let key = cfg.secret.as_deref().map_or_else(NonceKey::random, NonceKey::from_secret);
        let tracker = parking_lot::Mutex::new(NonceTracker::new(cfg.max_tracked_nonces));
        Authenticator { cfg, key, tracker }
    }

    /// The settings.
    pub fn config(&self) -> &AuthConfig {
        &self.cfg
    }

    fn lifetime(&self) -> u64 {
        self.cfg.nonce_lifetime.as_secs()
    }

    /// `WWW-Authenticate` values for a 401, one per configured algorithm, all with
    /// the same fresh nonce: `Digest realm="Yate", nonce="…", stale=FALSE,
    /// algorithm=MD5, qop="auth"` (Yate's order, plus qop and opaque).
    pub fn challenge(&self, now: SystemTime, stale: bool) -> Vec<String> {
        let nonce = self.key.mint(unix_secs(now), rand::random(), &self.cfg.realm);
        let algorithms = if self.cfg.algorithms.is_empty() { &[Algorithm::Md5][..] } else { &self.cfg.algorithms };
        algorithms.iter().map(|a| self.challenge_value(&nonce, *a, stale)).collect()
    }

    fn challenge_value(&self, nonce: &str, algorithm: Algorithm, stale: bool) -> String {
        let mut params = vec![
            ("realm", self.cfg.realm.as_str(), true),
            ("nonce", nonce, true),
            ("stale", if stale { "TRUE" } else { "FALSE" }, false),
            ("algorithm", algorithm.name(), false),
        ];
        if self.cfg.qop {
            params.push(("qop", "auth", true));
        }
        if let Some(o) = &self.cfg.opaque {
            params.push(("opaque", o.as_str(), true));
        }
        Credentials::digest(&params).to_wire()
    }

    /// Picks the credentials to check among a request's Authorization values:
    /// Digest, our realm, a nonce of ours; the newest nonce wins (as in Yate).
    pub fn select(&self, creds: &[Credentials]) -> Presented {
        let digest: Vec<&Credentials> = creds.iter().filter(|c| c.is_digest()).collect();
        if digest.is_empty() {
            return Presented::Absent;
        }
        let ours = digest
            .into_iter()
            .filter(|c| c.realm() == Some(self.cfg.realm.as_str()))
            .filter_map(|c| Some((c, self.key.open(c.nonce()?, &self.cfg.realm)?)))
            .max_by_key(|(_, issued)| *issued);
        match ours {
            Some((c, issued)) => Presented::Ours { creds: c.clone(), issued },
            None => Presented::Foreign,
        }
    }

    /// Checks credentials of ours against `password` for a request with `method`.
    pub fn verify(&self, creds: &Credentials, issued: u64, method: &str, password: &str, now: SystemTime) -> Verdict {
        let now = unix_secs(now);
        let Some(checked) = self.check_response(creds, method, password) else {
            return Verdict::Unusable;
        };
        if !checked {
            return Verdict::Wrong;
        }
        // A nonce from the future means the clock went back: treat it as too old.
        if issued > now || now - issued > self.lifetime() {
            return Verdict::Stale;
        }
        let Some(nc) = creds.qop().and(creds.nc()).and_then(parse_nc) else {
            return Verdict::Ok;
        };
        let nonce = creds.nonce().unwrap_or_default();
        let check = self.tracker.lock().record(nonce, issued, nc, now, self.lifetime());
        match check {
            NcCheck::Fresh => Verdict::Ok,
            NcCheck::Replayed => Verdict::Stale,
        }
    }

    /// `Some(matches)` when the credentials can be checked at all.
    fn check_response(&self, creds: &Credentials, method: &str, password: &str) -> Option<bool> {
        let algorithm = Algorithm::from_param(creds.algorithm())?;
        let offered = self.cfg.algorithms.contains(&algorithm) || self.cfg.algorithms.is_empty();
        let opaque_ok = self.cfg.opaque.as_deref().map_or(true, |o| creds.opaque_param() == Some(o));
        if !offered || !opaque_ok {
            return None;
        }
        let qop = match creds.qop() {
            Some(q) if q.eq_ignore_ascii_case("auth") && self.cfg.qop => {
                let (nc, cnonce) = (creds.nc()?, creds.cnonce()?);
                parse_nc(nc)?;
                Some(QopAuth { nc, cnonce })
            }
            Some(_) => return None,
            None if self.cfg.require_qop => return None,
            None => None,
        };
        let (username, realm, nonce) = (creds.username()?, creds.realm()?, creds.nonce()?);
        let (uri, received) = (creds.uri()?, creds.response()?);
        let input = DigestInput { algorithm, username, realm, password, method, uri, nonce, qop };
        if hex_eq(received, &response(&input)) {
            return Some(true);
        }
        // Yate retries without the uri's parameters (some clients hash it bare).
        let bare = uri.split(';').next().unwrap_or(uri);
        Some(bare != uri && hex_eq(received, &response(&DigestInput { uri: bare, ..input })))
    }

    /// Drops replay-tracker entries whose nonce has expired.
    pub fn purge(&self, now: SystemTime) {
        let lifetime = self.lifetime();
        self.tracker.lock().purge(unix_secs(now), lifetime);
    }
}
