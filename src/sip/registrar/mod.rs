//! The registrar: REGISTER handling (RFC 3261 §10.3), the bindings it keeps, their expiry and persistence.
//!
//! ```text
//!  REGISTER ──handle_register(req, peer, now, dispatch)──▶ RegisterOutcome { response, dispatched, enqueue }
//!                 │ user.auth ─▶ dispatch (bus) ─▶ else regfile users
//!                 │ user.register / user.unregister ─▶ dispatch
//!                 ▼
//!             Bindings ──lookup(user, now)──▶ sip/<contact> for call.route
//!                 │ expire(now) ─▶ user.unregister messages
//!                 └ save(path) / load(path): JSON state file, absolute expiry
//! ```
//!
//! Pure logic: no sockets, no tokio, no clock of its own. Every entry point takes
//! `now: SystemTime`, so tests drive time, and the server owns the timer
//! ([`Registrar::next_expiry`]) and the saving ([`Registrar::take_dirty`]).
//!
//! The registrar plays both of Yate's parts: ysipchan's REGISTER handling (which
//! emits `user.auth`, `user.register`, `user.unregister` on the bus, so routing
//! rules see them exactly as in Yate) and regfile's store (which answers them
//! when nothing on the bus did). docs/registrar.md records where it follows Yate
//! and where RFC 3261.

mod binding;
mod messages;
mod persist;
mod register;
mod route;

pub use crate::sip::auth::{Peer, Transport};
pub use binding::{contact_key, Binding, Bindings};
pub use persist::PersistError;
pub use route::{RouteHandler, RouteResult, RouteView};

use crate::runtime::message::Message;
use crate::sip::auth::{unix_secs, AuthConfig, Authenticator};
use crate::sip::msg::Response;
use crate::sip::regfile::Users;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Registrar settings (ysipchan's `[registrar]` section plus our limits).
#[derive(Clone, Debug)]
pub struct Config {
    /// Digest settings, realm included.
    pub auth: AuthConfig,
    /// Challenge REGISTERs that did not authenticate (`auth_required`, default yes).
    pub auth_required: bool,
    /// Shortest accepted expiry; shorter non-zero requests get 423 (`expires_min`, 60).
    pub expires_min: u32,
    /// Expiry when the request names none (`expires_def`, 600).
    pub expires_def: u32,
    /// Longer requests are cut to this (`expires_max`, 3600).
    pub expires_max: u32,
    /// Rewrite contacts of clients behind NAT to their source address (`[general] nat`, yes).
    pub nat: bool,
    /// `P-NAT-Refresh` sent to such clients, 0 for none (`nat_refresh`, 25).
    pub nat_refresh: u32,
    /// Most bindings one user may hold; more get 503 (ours: memory stays bounded).
    pub max_contacts: usize,
    /// Most bindings in all; more get 503.
    pub max_bindings: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            auth: AuthConfig::default(),
            auth_required: true,
            expires_min: 60,
            expires_def: 600,
            expires_max: 3600,
            nat: true,
            nat_refresh: 25,
            max_contacts: 10,
            max_bindings: 100_000,
        }
    }
}

/// A bus message the registrar dispatched, as the handlers left it.
#[derive(Clone, Debug)]
pub struct Dispatched {
    /// The message after dispatch.
    pub message: Message,
    /// Whether a handler (or the registrar's regfile fallback) handled it.
    pub handled: bool,
}

/// What handling one REGISTER produced.
#[derive(Clone, Debug)]
pub struct RegisterOutcome {
    /// The final response to send.
    pub response: Response,
    /// Every message dispatched meanwhile, in order (`user.auth`, then
    /// `user.register` / `user.unregister` per contact).
    pub dispatched: Vec<Dispatched>,
    /// Messages for the caller to enqueue (`user.authfail`).
    pub enqueue: Vec<Message>,
}

/// The registrar.
#[derive(Debug)]
pub struct Registrar {
    cfg: Config,
    auth: std::sync::Arc<Authenticator>,
    users: Users,
    bindings: Bindings,
    /// Set whenever the bindings change; the server saves and clears it.
    dirty: bool,
}

/// Unix seconds back to a `SystemTime`.
fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

impl Registrar {
    /// A registrar with no bindings.
    pub fn new(cfg: Config, users: Users) -> Registrar {
        let auth = std::sync::Arc::new(Authenticator::new(cfg.auth.clone()));
        Registrar { cfg, auth, users, bindings: Bindings::new(), dirty: false }
    }

    /// A copy of the users and bindings for readers that must not wait on this
    /// registrar while it dispatches: regfile's `call.route` handler on the bus
    /// may run inside a `user.register` dispatch.
    pub fn route_view(&self) -> Registrar {
        Registrar {
            cfg: self.cfg.clone(),
            auth: self.auth.clone(),
            users: self.users.clone(),
            bindings: self.bindings.clone(),
            dirty: false,
        }
    }

    /// The settings.
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// The regfile users.
    pub fn users(&self) -> &Users {
        &self.users
    }

    /// All bindings (lapsed ones included until [`Registrar::expire`]).
    pub fn bindings(&self) -> &Bindings {
        &self.bindings
    }

    /// The digest authenticator, shared with other methods (MESSAGE, PUBLISH) so
    /// that one nonce key and one replay tracker serve them all; they use it
    /// without this registrar.
    pub fn authenticator(&self) -> &std::sync::Arc<Authenticator> {
        &self.auth
    }

    /// The live bindings of `user` at `now`, oldest first.
    pub fn lookup(&self, user: &str, now: SystemTime) -> Vec<&Binding> {
        let now = unix_secs(now);
        self.bindings.of(user).iter().filter(|b| b.is_live(now)).collect()
    }

    /// Removes lapsed bindings; returns one `user.unregister` per binding removed,
    /// for the caller to dispatch. Also forgets expired nonces.
    pub fn expire(&mut self, now: SystemTime) -> Vec<Message> {
        self.auth.purge(now);
        let secs = unix_secs(now);
        let gone = self.bindings.expire(secs);
        self.dirty |= !gone.is_empty();
        gone.iter().map(|b| messages::lapsed(b, "expired", secs)).collect()
    }

    /// When the next binding lapses: when to call [`Registrar::expire`] again.
    pub fn next_expiry(&self) -> Option<SystemTime> {
        self.bindings.next_expiry().map(at)
    }

    /// Drops every binding made over a connection that closed (a TCP connection's
    /// `connection_id`), as regfile does on `user.unregister` with only
    /// `connection_id`. Returns their `user.unregister` messages.
    pub fn drop_connection(&mut self, connection_id: &str, now: SystemTime) -> Vec<Message> {
        let gone = self.bindings.remove_where(|b| b.transport.reliable() && b.connection_id == connection_id);
        self.dirty |= !gone.is_empty();
        gone.iter().map(|b| messages::lapsed(b, "connection closed", unix_secs(now))).collect()
    }

    /// Replaces the regfile users (a reload). Bindings of users who may no longer
    /// register are dropped, as regfile does at reload; their `user.unregister`
    /// messages are returned.
    pub fn set_users(&mut self, users: Users, now: SystemTime) -> Vec<Message> {
        self.users = users;
        let users = &self.users;
        let gone = self.bindings.remove_where(|b| !users.may_register(&b.user));
        self.dirty |= !gone.is_empty();
        gone.iter().map(|b| messages::lapsed(b, "user removed", unix_secs(now))).collect()
    }

    /// Whether the bindings changed since the last call; the caller saves when true.
    pub fn take_dirty(&mut self) -> bool {
        std::mem::take(&mut self.dirty)
    }

    /// Writes all bindings to `path` atomically (temporary file, then rename).
    pub fn save(&mut self, path: &Path, now: SystemTime) -> Result<(), PersistError> {
        persist::save(path, self.bindings.iter(), unix_secs(now))?;
        self.dirty = false;
        Ok(())
    }

    /// Restores bindings saved by [`Registrar::save`], as regfile restores its file
    /// at start-up: lapsed bindings, bindings made over TCP/TLS (that connection is
    /// gone) and bindings of users who may no longer register are dropped. A
    /// missing file restores nothing. Returns how many bindings were restored.
    pub fn load(&mut self, path: &Path, now: SystemTime) -> Result<usize, PersistError> {
        let secs = unix_secs(now);
        let saved = persist::load(path)?;
        let total = saved.len();
        let mut restored = 0;
        for b in saved {
            let keep = b.is_live(secs) && !b.transport.reliable() && self.users.may_register(&b.user);
            if keep && self.bindings.len() < self.cfg.max_bindings {
                self.bindings.upsert(b);
                restored += 1;
            }
        }
        self.dirty |= restored != total;
        Ok(restored)
    }
}
