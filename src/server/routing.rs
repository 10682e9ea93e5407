//! Routing: one actor owning the bus, the router and the registrar, run inline or by its thread.
//!
//! SIP tasks hand a [`Work`] item with the [`Reply`] handle of its transaction
//! to [`Routing::submit`], which waits at most a moment for the actor. When the
//! actor is free and nothing is queued, the item is handled at once on the caller's thread: a request is
//! routed and its relayed request sent without waking another thread, which is
//! what keeps relay latency at one scheduling delay. Otherwise it is queued for
//! the routing thread (a full queue is a `503`). One lock serialises both ways:
//! the rules a request's own message meets, the registrar and a reload (a swap
//! between two items) see one item at a time, in arrival order. What those
//! rules enqueued runs after the lock is let go, as Yate's engine threads run
//! enqueued messages beside new ones: a relayed MESSAGE's `msg.execute`,
//! lateroute and request building hold nobody up, and a thread preempted there
//! stalls only its own request. Before the lock, [`Routing::prepare`] does the
//! digest check (its `user.auth` included; only the nonce counts have a lock of
//! their own) and builds the request's message. A handler that may block (`msleep`, `wait=true`)
//! runs through [`crate::runtime::blocking`], which moves the runtime's other
//! tasks off an inline caller's thread first.
//!
//! regfile's `call.route` handler reads a copy of the registrar
//! ([`Registrar::route_view`]) refreshed after every change, never the registrar
//! itself: `handle_register` holds it mutably while it dispatches `user.auth` /
//! `user.register`, and a rule may dispatch `call.route` from there.

use super::config::Loaded;
use super::methods;
use super::{Outbound, Reply};
use crate::bus::{Bus, Finished, Outcome, Phase};
use crate::runtime::env::Env;
use crate::runtime::message::Message;
use crate::runtime::router::{Engine, Router};
use crate::sip::auth::Authenticator;
use crate::sip::auth::Peer;
use crate::sip::generic;
use crate::sip::msg::{Request, Response};
use crate::sip::regfile::Users;
use crate::sip::registrar::{self, Registrar, RouteHandler, RouteView};
use crate::sip::transport::HeldSends;
use parking_lot::{Mutex, MutexGuard};
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};
use tokio::sync::oneshot;

/// Work items waiting for the routing thread; beyond this, requests get `503`.
const QUEUE: usize = 1024;

/// Enqueued messages processed after one work item at most; a rule that
/// enqueues forever must not stall every other request.
const MAX_QUEUED: usize = 1000;

/// How long a receiver waits for another one's routing before queueing its item.
const INLINE_WAIT: Duration = Duration::from_millis(2);

/// How long after a change the registrations are saved.
const SAVE_DELAY: Duration = Duration::from_secs(1);

/// Something for the routing thread to do.
pub enum Work {
    /// A REGISTER to answer.
    Register {
        /// The request.
        request: Request,
        /// Who sent it.
        peer: Peer,
        /// Where the final response goes.
        reply: Reply,
    },
    /// A request for a method listed in `[methods]`.
    Generic {
        /// The request.
        request: Request,
        /// Who sent it.
        peer: Peer,
        /// Where the final response goes.
        reply: Reply,
        /// Its digest check and generic message, done before the routing lock
        /// ([`Routing::prepare`]).
        prepared: Option<Box<generic::Ahead>>,
    },
    /// A TCP connection closed: drop the registrations made over it.
    ConnectionClosed(String),
    /// A new configuration, already loaded and linted.
    Reload(Box<Loaded>),
    /// Save the registrations and stop.
    Stop(oneshot::Sender<()>),
    /// An inline item moved the registrar's next timer earlier: the thread
    /// recomputes its wait (not counted as queued; it handles nothing).
    Tick,
}

/// The handle SIP tasks use to reach the routing actor.
#[derive(Clone)]
pub struct Routing {
    tx: SyncSender<Work>,
    shared: Arc<Shared>,
}

/// What callers and the routing thread share.
struct Shared {
    actor: Mutex<Actor>,
    /// Items sent to the thread and not yet handled: while any is, new items
    /// queue behind them instead of overtaking them inline.
    queued: AtomicUsize,
    /// What requests use before the lock, for the configuration in force
    /// (replaced at each reload; a message built with the old settings is built
    /// again).
    front: RwLock<Arc<Front>>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Actor> {
        self.actor.lock()
    }
}

/// The routing thread is gone or its queue is full.
#[derive(Debug)]
pub struct Busy;

impl Routing {
    /// Starts the routing thread with `config`; registrations are loaded from its state file.
    pub fn start(config: Loaded, outbound: Outbound, bus_log: Option<PathBuf>) -> std::io::Result<Routing> {
        let (tx, rx) = mpsc::sync_channel(QUEUE);
        let log = match bus_log {
            Some(p) => Some(std::fs::OpenOptions::new().create(true).append(true).open(p)?),
            None => None,
        };
        let actor = Actor::new(config, outbound, log);
        let shared = Arc::new(Shared {
            front: RwLock::new(actor.front()),
            actor: Mutex::new(actor),
            queued: AtomicUsize::new(0),
        });
        let thread = shared.clone();
        std::thread::Builder::new()
            .name("routing".into())
            .stack_size(crate::runtime::STACK_BYTES)
            .spawn(move || run(&thread, rx))?;
        Ok(Routing { tx, shared })
    }

    /// Handles `work` now on this thread when the actor is free (within
    /// [`INLINE_WAIT`]) and nothing is queued, else queues it without waiting; a
    /// full queue or a stopped thread gives it back.
    ///
    /// Inline handling needs a deep stack (routing recurses up to `maxdepth`
    /// contexts in 16 nested dispatches): callers run on the routing thread's
    /// stack size ([`crate::runtime::STACK_BYTES`]), as `serve`'s runtime workers do.
    pub fn submit(&self, work: Work) -> Result<(), Box<Work>> {
        if matches!(work, Work::Register { .. } | Work::Generic { .. } | Work::ConnectionClosed(_))
            && self.shared.queued.load(Ordering::Acquire) == 0
        {
            // Another receiver routing now is done within microseconds; one in
            // `msleep` or a `wait=true` request is not, and this item queues instead.
            if let Some(mut actor) = self.shared.actor.try_lock_for(INLINE_WAIT) {
                let held = HeldSends::start();
                let after = crate::runtime::blocking::inline(|| {
                    let after = actor.handle(work);
                    // Saving (a file sync) is left to the thread, woken below when due.
                    actor.expire();
                    after
                });
                if let Some(at) = actor.next_timer().filter(|&at| actor.wakes_at.map_or(true, |w| at < w)) {
                    actor.wakes_at = Some(at);
                    // Full: the thread has items to wake it anyway.
                    let _ = self.tx.try_send(Work::Tick);
                }
                // Unlocked first: the enqueued messages and the sends run while
                // another thread may route.
                drop(actor);
                if let Some(after) = after {
                    crate::runtime::blocking::inline(|| after.run());
                }
                drop(held);
                return Ok(());
            }
        }
        self.enqueue(work, |tx, w| {
            tx.try_send(w).map_err(|e| match e {
                TrySendError::Full(w) | TrySendError::Disconnected(w) => Box::new(w),
            })
        })
    }

    /// The digest check and the generic message of `request`, done now, outside
    /// the routing lock (see [`generic::prepare`]): `user.auth` goes to the bus
    /// from here, and only the nonce counts are locked, on their own.
    pub fn prepare(&self, request: &Request, peer: &Peer) -> Option<Box<generic::Ahead>> {
        let front = match self.shared.front.read() {
            Ok(f) => f.clone(),
            Err(e) => e.into_inner().clone(),
        };
        let mut out = quiet_outcome();
        let recording = front.recorder.recording();
        let mut seen = Vec::new();
        let mut dispatch = |m: &mut Message| {
            let handled = front.bus.dispatch(m, &mut out) || (m.name == b"user.auth" && front.users.answer_auth(m));
            if recording {
                seen.push((m.clone(), handled));
            }
            handled
        };
        let mut check =
            || generic::prepare(request, peer, &front.generic, &front.auth, SystemTime::now(), &mut dispatch);
        // `user.auth` rules may block (`msleep`): off a runtime worker first, as under the lock.
        let challenged = front.generic.auto_auth(request.method.as_str()) == Some(true);
        let mut ahead = if challenged { crate::runtime::blocking::inline(check) } else { check() };
        for (m, handled) in &seen {
            front.recorder.record(m, *handled, Phase::Sync);
        }
        if let Some(a) = ahead.as_mut() {
            a.enqueue.extend(out.queue.drain(..));
        }
        front.recorder.report(&mut out);
        ahead.map(Box::new)
    }

    /// Queues `work`, waiting for room (reloads and the stop, which must not be lost).
    pub fn send(&self, work: Work) -> Result<(), Busy> {
        self.enqueue(work, |tx, w| tx.send(w).map_err(|e| Box::new(e.0))).map_err(|_| Busy)
    }

    fn enqueue(
        &self,
        work: Work,
        send: impl FnOnce(&SyncSender<Work>, Work) -> Result<(), Box<Work>>,
    ) -> Result<(), Box<Work>> {
        // Counted before it is visible to the thread, which counts it down once handled.
        self.shared.queued.fetch_add(1, Ordering::AcqRel);
        send(&self.tx, work).inspect_err(|_| {
            self.shared.queued.fetch_sub(1, Ordering::AcqRel);
        })
    }
}

/// The routing thread: queued items in order, and the registrar's timers.
fn run(shared: &Shared, rx: Receiver<Work>) {
    loop {
        let next = {
            let mut actor = shared.lock();
            actor.wakes_at = actor.next_timer();
            actor.wakes_at
        };
        let item = match next {
            // Whole seconds are the registrar's resolution; a little slack avoids waking early.
            Some(at) => {
                rx.recv_timeout(at.duration_since(SystemTime::now()).unwrap_or_default() + Duration::from_millis(50))
            }
            None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
        };
        let held = HeldSends::start();
        let mut actor = shared.lock();
        match item {
            Ok(Work::Stop(done)) => {
                actor.expire();
                actor.save();
                shared.queued.fetch_sub(1, Ordering::AcqRel);
                let _ = done.send(());
                return;
            }
            Ok(Work::Tick) => {}
            Ok(work) => {
                let reload = matches!(work, Work::Reload(_));
                let after = actor.handle(work);
                if reload {
                    let front = actor.front();
                    match shared.front.write() {
                        Ok(mut f) => *f = front,
                        Err(e) => *e.into_inner() = front,
                    }
                }
                actor.tick();
                drop(actor);
                if let Some(after) = after {
                    after.run();
                }
                // Counted down once its enqueued messages ran: until then, items
                // arriving inline queue behind it instead of overtaking it.
                shared.queued.fetch_sub(1, Ordering::AcqRel);
                drop(held);
                continue;
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                actor.save();
                return;
            }
        }
        actor.tick();
        drop(actor);
        drop(held);
    }
}

/// An outcome for the server's dispatches: echo lines are only ever logged,
/// at info, so they are not built when that is off.
fn quiet_outcome() -> Outcome {
    Outcome { echo_unread: !tracing::enabled!(target: "rexroute::echo", tracing::Level::INFO), ..Outcome::default() }
}

struct Actor {
    /// Shared with the [`After`] steps still running on other threads; a reload
    /// replaces it, and they finish on the one they started with.
    bus: Arc<Bus>,
    env: Arc<Env>,
    registrar: Registrar,
    view: RouteView,
    config: Loaded,
    outbound: Outbound,
    recorder: Arc<Recorder>,
    /// When the registrations must be saved next, if they changed since the last save.
    save_due: Option<SystemTime>,
    /// When the routing thread wakes next on its own (`None`: only for an item).
    wakes_at: Option<SystemTime>,
}

impl Actor {
    fn new(config: Loaded, outbound: Outbound, log: Option<std::fs::File>) -> Actor {
        let mut registrar = Registrar::new(config.sip.registrar.clone(), config.users.clone());
        if let Some(path) = &config.state_file {
            match registrar.load(path, SystemTime::now()) {
                Ok(n) => tracing::info!(file = %path.display(), restored = n, "registrations loaded"),
                Err(e @ registrar::PersistError::Io { .. }) => tracing::error!("{e}; starting with no registrations"),
                Err(e) => {
                    // The next save would overwrite it: keep it for whoever investigates.
                    let aside = path.with_extension("json.bad");
                    let kept = std::fs::rename(path, &aside)
                        .map_or(String::new(), |()| format!("; kept as {}", aside.display()));
                    tracing::error!("{e}; starting with no registrations{kept}");
                }
            }
        }
        let view = Arc::new(RwLock::new(Arc::new(registrar.route_view())));
        let mut env = Env::default();
        env.engine.loaded = super::config::MODULES.iter().map(|m| m.as_bytes().to_vec()).collect();
        env.engine.run_params.push((b"configpath".to_vec(), config.configpath.clone().into_bytes()));
        let env = Arc::new(env);
        let bus = build_bus(&config, &env, &view, &outbound);
        let recorder = Arc::new(Recorder::new(log));
        let mut actor = Actor { bus, env, registrar, view, config, outbound, recorder, save_due: None, wakes_at: None };
        actor.publish();
        actor
    }

    /// When the registrar next needs the thread: an expiry or a pending save.
    fn next_timer(&self) -> Option<SystemTime> {
        [self.registrar.next_expiry(), self.save_due].into_iter().flatten().min()
    }

    /// Expires lapsed registrations and saves when due.
    fn tick(&mut self) {
        self.expire();
        if self.save_due.is_some_and(|at| at <= SystemTime::now()) {
            self.save();
        }
    }

    /// Handles `work`; what its rules enqueued is left to the [`After`] step,
    /// for the caller to run once the lock is let go.
    fn handle(&mut self, work: Work) -> Option<After> {
        match work {
            // The answer is decided before what the rules enqueued runs, as in
            // Yate; it is built and sent once that is done (or before anything
            // waits), after the requests that work sends on.
            Work::Register { request, peer, reply } => {
                let (response, out) = self.register(&request, &peer);
                HeldSends::defer(move || reply.send(response));
                self.publish();
                Some(self.after(out))
            }
            Work::Generic { request, peer, reply, prepared } => {
                let (outcome, out) = self.generic(&request, &peer, prepared.map(|p| *p));
                // Built once the lock is let go and the requests routing sent on have left.
                HeldSends::defer(move || reply.send(outcome.response(&request)));
                self.publish();
                Some(self.after(out))
            }
            Work::ConnectionClosed(id) => {
                let gone = self.registrar.drop_connection(&id, SystemTime::now());
                self.unregister(gone);
                self.publish();
                None
            }
            Work::Reload(config) => {
                self.reload(*config);
                None
            }
            Work::Stop(_) | Work::Tick => None,
        }
    }

    /// What requests use before the lock, for this configuration.
    fn front(&self) -> Arc<Front> {
        Arc::new(Front {
            generic: Arc::new(self.config.sip.generic.clone()),
            bus: self.bus.clone(),
            users: self.config.users.clone(),
            auth: self.registrar.authenticator().clone(),
            recorder: self.recorder.clone(),
        })
    }

    fn after(&self, out: Outcome) -> After {
        After { bus: self.bus.clone(), recorder: self.recorder.clone(), out }
    }

    fn register(&mut self, req: &Request, peer: &Peer) -> (Response, Outcome) {
        let mut out = quiet_outcome();
        let (bus, registrar) = (&self.bus, &mut self.registrar);
        let outcome = registrar.handle_register(req, peer, SystemTime::now(), &mut |m| bus.dispatch(m, &mut out));
        for d in &outcome.dispatched {
            self.recorder.record(&d.message, d.handled, Phase::Sync);
        }
        out.queue.extend(outcome.enqueue);
        // The registrations changed already: call.route must see them at once.
        self.publish();
        // What the request's own dispatches printed comes before its answer.
        self.recorder.report(&mut out);
        (outcome.response, out)
    }

    fn generic(
        &mut self,
        req: &Request,
        peer: &Peer,
        prepared: Option<generic::Ahead>,
    ) -> (generic::GenericOutcome, Outcome) {
        let mut out = quiet_outcome();
        let mut seen = Vec::new();
        let recording = self.recorder.recording();
        let (bus, registrar, users) = (&self.bus, &mut self.registrar, &self.config.users);
        let mut dispatch = |m: &mut Message| {
            let handled = bus.dispatch(m, &mut out) || (m.name == b"user.auth" && users.answer_auth(m));
            if recording {
                seen.push((m.clone(), handled));
            }
            handled
        };
        let cfg = &self.config.sip.generic;
        let auth = registrar.authenticator();
        let mut outcome = generic::handle_generic(req, peer, cfg, auth, SystemTime::now(), &mut dispatch, prepared);
        for (m, handled) in &seen {
            self.recorder.record(m, *handled, Phase::Sync);
        }
        out.queue.extend(std::mem::take(&mut outcome.enqueue));
        self.recorder.report(&mut out);
        (outcome, out)
    }

    /// Removes lapsed registrations, telling the bus.
    fn expire(&mut self) {
        let now = SystemTime::now();
        match self.registrar.next_expiry() {
            Some(at) if at <= now => {}
            _ => return,
        }
        let gone = self.registrar.expire(now);
        self.unregister(gone);
        self.publish();
    }

    /// Tells the bus of registrations that ended, and runs what that enqueued
    /// at once: these are rare, and come from timers and reloads, not requests.
    fn unregister(&mut self, messages: Vec<Message>) {
        let mut out = quiet_outcome();
        for mut m in messages {
            let handled = self.bus.dispatch(&mut m, &mut out);
            self.recorder.record(&m, handled, Phase::Sync);
        }
        self.after(out).run();
    }

    /// Gives call.route a fresh copy when the registrations changed, and
    /// schedules a save. Saves are at most one a second: each one syncs the file
    /// to disk, which must not hold up every REGISTER; a crash loses at most
    /// that second, which clients register again anyway.
    fn publish(&mut self) {
        if !self.registrar.take_dirty() {
            return;
        }
        let view = Arc::new(self.registrar.route_view());
        match self.view.write() {
            Ok(mut v) => *v = view,
            Err(e) => *e.into_inner() = view,
        }
        if self.save_due.is_none() {
            self.save_due = Some(SystemTime::now() + SAVE_DELAY);
        }
    }

    /// Republishes even when no binding changed (the users did).
    fn force_publish(&mut self) {
        let view = Arc::new(self.registrar.route_view());
        match self.view.write() {
            Ok(mut v) => *v = view,
            Err(e) => *e.into_inner() = view,
        }
        self.publish();
    }

    fn save(&mut self) {
        self.save_due = None;
        let Some(path) = &self.config.state_file else { return };
        match self.registrar.save(path, SystemTime::now()) {
            Ok(()) => tracing::debug!(file = %path.display(), "registrations saved"),
            Err(e) => tracing::error!("{e}"),
        }
    }

    /// Swaps in a new configuration between two messages; registrations stay.
    fn reload(&mut self, mut config: Loaded) {
        // Yate runs `[$once]` at the first load only; `[$init]` at every load.
        if let Some(ir) = Arc::get_mut(&mut config.routes) {
            ir.once.clear();
        }
        let gone = self.registrar.set_users(config.users.clone(), SystemTime::now());
        if config.state_file != self.config.state_file {
            tracing::info!("the state file changes at the next restart");
        }
        let state_file = self.config.state_file.take();
        self.bus = build_bus(&config, &self.env, &self.view, &self.outbound);
        self.config = config;
        self.config.state_file = state_file;
        self.unregister(gone);
        // The copy read by call.route must see the new users at once.
        self.force_publish();
        tracing::info!(dir = %self.config.dir.display(), "configuration reloaded");
    }
}

/// What a request's digest check and message building use, before the routing lock.
struct Front {
    generic: Arc<generic::GenericConfig>,
    bus: Arc<Bus>,
    users: Users,
    auth: Arc<Authenticator>,
    recorder: Arc<Recorder>,
}

/// What a request's rules enqueued, run after the routing lock is let go.
struct After {
    bus: Arc<Bus>,
    recorder: Arc<Recorder>,
    out: Outcome,
}

impl After {
    /// Runs what was enqueued (bounded), then logs what the dispatches produced.
    fn run(mut self) {
        let out = &mut self.out;
        let mut n = 0;
        while let Some(mut m) = out.queue.pop_front() {
            if n == MAX_QUEUED {
                tracing::warn!(dropped = out.queue.len() + 1, "too many enqueued messages; the rest are dropped");
                break;
            }
            n += 1;
            let handled = self.bus.dispatch(&mut m, out);
            out.finished.push(Finished { msg: m, handled, phase: Phase::Async });
        }
        self.recorder.report(out);
    }
}

/// Where dispatched messages are logged: tracing at debug, and the bus log.
struct Recorder {
    log: Mutex<Option<std::fs::File>>,
    /// Whether `log` holds a file, read without the lock on every request.
    logging: AtomicBool,
}

impl Recorder {
    fn new(log: Option<std::fs::File>) -> Recorder {
        Recorder { logging: AtomicBool::new(log.is_some()), log: Mutex::new(log) }
    }

    /// Logs the echo and debug lines and the messages created so far.
    fn report(&self, out: &mut Outcome) {
        for line in out.echo.drain(..) {
            tracing::info!(target: "rexroute::echo", "{line}");
        }
        for line in out.log.drain(..) {
            tracing::debug!(target: "rexroute::route", "{line}");
        }
        for f in std::mem::take(&mut out.finished) {
            self.record(&f.msg, f.handled, f.phase);
        }
    }

    /// Whether [`Recorder::record`] has anywhere to write: copies of the
    /// messages it would log are made only then.
    fn recording(&self) -> bool {
        self.logging.load(Ordering::Relaxed) || tracing::enabled!(tracing::Level::DEBUG)
    }

    /// Logs one dispatched message (tracing at debug, and the bus log if any).
    fn record(&self, msg: &Message, handled: bool, phase: Phase) {
        if !self.recording() {
            return;
        }
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        tracing::debug!(name = %text(&msg.name), handled, retvalue = %text(&msg.retvalue), "bus message");
        if !self.logging.load(Ordering::Relaxed) {
            return;
        }
        let params: Vec<[String; 2]> = msg.iter().map(|(k, v)| [text(k), text(v)]).collect();
        let line = serde_json::json!({
            "name": text(&msg.name),
            "handled": handled,
            "retvalue": text(&msg.retvalue),
            "phase": if phase == Phase::Sync { "sync" } else { "async" },
            "params": params,
        });
        let mut log = self.log.lock();
        let Some(file) = log.as_mut() else { return };
        if writeln!(file, "{line}").and_then(|()| file.flush()).is_err() {
            tracing::warn!("cannot write the bus log; it is turned off");
            *log = None;
            self.logging.store(false, Ordering::Relaxed);
        }
    }
}

/// The bus for one configuration: regexroute's handlers, regfile's `call.route`, lateroute.
fn build_bus(config: &Loaded, env: &Arc<Env>, view: &RouteView, outbound: &Outbound) -> Arc<Bus> {
    let mut bus = Bus::new();
    let router = Router::with_engine(config.routes.clone(), env.clone(), Engine::Compiled);
    router.install(&mut bus);
    let priority = config.users.general.route_priority;
    RouteHandler::install(&mut bus, view.clone(), priority);
    config.lateroute.install(&mut bus);
    methods::install_senders(&mut bus, config, outbound);
    Arc::new(bus)
}
