//! The endpoint: transaction tables, dispatch of received messages, client requests, shutdown.
//!
//! The transport calls [`Endpoint::receive`] (through [`Sink`]) for every
//! message; it must not block, so dispatch is a hash lookup under a short
//! lock followed by a `try_send` or a `tokio::spawn`. Both tables are
//! `HashMap`s keyed as RFC 3261 §17 says (Yate scans one list per packet).
//! Their size is capped (`max_transactions`, beyond which new requests get
//! `503`). An entry belongs to a running task whose guard removes it, or, for
//! UDP transactions answered without one, to a `Lingering` queue whose task
//! removes it at its timer: the tables are cleaned by timers, never by a sweep.

use super::admit::{self, Decision};
use super::client::{ClientOptions, ClientTask, Origin, Outcome, RequestError, Rport};
use super::key::{ClientKey, ServerKey};
use super::server::ServerTask;
use super::{Config, TransactionUser};
use crate::sip::consts::BRANCH_COOKIE;
use crate::sip::msg::{new_tag, Header, Message, Request, Response};
use crate::sip::transport::{
    reject, Flow, Group, Incoming, Lifecycle, ListenAddr, Phase, Shutdown, Sink, TransportKind, Transports,
};
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::hash::Hash;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Retransmissions queued for one server transaction; more are dropped (the
/// next one gets the same answer anyway).
const RETRANSMIT_QUEUE: usize = 4;

/// Responses queued for one client transaction.
const RESPONSE_QUEUE: usize = 8;

/// How long transactions still alive after the drain get to notice the stop.
const STOP_GRACE: Duration = Duration::from_secs(1);

struct Slot<V> {
    id: u64,
    value: V,
}

/// Shards of a transaction table.
const SHARDS: usize = 32;

/// One shard of a [`Table`].
type Shard<K, V> = Mutex<HashMap<K, Slot<V>>>;

/// A transaction table: key → the entry of the transaction that owns the key.
///
/// Sharded by key: a `HashMap` doubles its buckets as it grows, rehashing every
/// entry under its lock, and timer J keeps 32 s of requests, so one map of
/// 100,000 entries would stop every receiving thread for several milliseconds
/// at each doubling. A shard holds a thirty-second of the entries, and only
/// the keys that hash to it wait.
pub(super) struct Table<K, V> {
    shards: Box<[Shard<K, V>]>,
    pick: std::collections::hash_map::RandomState,
    len: std::sync::atomic::AtomicUsize,
    next_id: AtomicU64,
}

impl<K: Hash + Eq, V> Table<K, V> {
    fn new() -> Self {
        Table {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            pick: std::collections::hash_map::RandomState::new(),
            len: std::sync::atomic::AtomicUsize::new(0),
            next_id: AtomicU64::new(1),
        }
    }

    /// The shard `key` lives in, locked.
    fn shard(&self, key: &K) -> MutexGuard<'_, HashMap<K, Slot<V>>> {
        use std::hash::BuildHasher;
        let i = (self.pick.hash_one(key) % SHARDS as u64) as usize;
        // A panic elsewhere while holding the lock leaves a consistent map
        // (each critical section is a single insert, lookup or remove).
        self.shards[i].lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Entries in all shards.
    fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    /// Removes `key` from its (locked) shard `map`.
    fn take(&self, map: &mut HashMap<K, Slot<V>>, key: &K) -> Option<Slot<V>> {
        let slot = map.remove(key);
        if slot.is_some() {
            self.len.fetch_sub(1, Ordering::Relaxed);
        }
        slot
    }
}

trait Remove<K>: Send + Sync {
    fn remove(&self, key: &K, id: u64);
}

impl<K: Hash + Eq + Send, V: Send> Remove<K> for Table<K, V> {
    fn remove(&self, key: &K, id: u64) {
        let mut map = self.shard(key);
        let slot = if map.get(key).is_some_and(|s| s.id == id) { self.take(&mut map, key) } else { None };
        drop(map);
        // Dropped unlocked: a value may hold a guard that takes the lock.
        drop(slot);
    }
}

/// Removes a transaction's key from its table when the task ends (or panics).
/// The id check keeps a newer transaction that reused the key.
pub(super) struct Forget<K: Send + 'static> {
    table: Arc<dyn Remove<K>>,
    key: K,
    id: u64,
    armed: bool,
}

impl<K: Send + Clone + 'static> Forget<K> {
    /// Leaves the entry in place; the caller removes it (by key and id) later.
    pub(super) fn disarm(mut self) -> (K, u64) {
        self.armed = false;
        (self.key.clone(), self.id)
    }
}

impl<K: Send + 'static> Drop for Forget<K> {
    fn drop(&mut self) {
        if self.armed {
            self.table.remove(&self.key, self.id);
        }
    }
}

/// A server transaction's table entry.
pub(super) enum ServerSlot {
    /// Its task's retransmission channel.
    Task(mpsc::Sender<Box<Flow>>),
    /// Completed over UDP with this final answer, which the receiving thread
    /// sends again to a retransmission, until timer J (see [`Lingering`]).
    Completed(Arc<[u8]>),
}

/// A client transaction's table entry.
pub(super) enum ClientSlot {
    /// Its task's response channel.
    Task(mpsc::Sender<Box<Response>>),
    /// Over UDP, first copy out, no task yet: the receiving thread completes it
    /// if the final response comes before timer E first fires; otherwise the
    /// task starts then.
    Pending(Box<PendingClient>),
    /// Answered before timer E: kept without a task until timer K, so that a
    /// retransmitted response is recognised and dropped.
    Completed,
}

/// A client transaction waiting in its table entry (see [`ClientSlot::Pending`]).
pub(super) struct PendingClient {
    task: ClientTask,
    tx: mpsc::Sender<Box<Response>>,
    done: oneshot::Sender<Outcome>,
}

/// Keys in the order their timer was set, with that timer's expiry. All the
/// timers of one queue have the same length (J, K, the first E over UDP), so
/// this order is the order of expiry.
///
/// Kept in blocks of [`FIFO_BLOCK`] entries: one growing `VecDeque` copied all
/// its entries (65,000 at 3,500 requests a second, after 9 s of timer J) to a
/// fresh allocation at each doubling, under the lock every request takes to
/// push, and stopped every receiving thread for milliseconds while a busy
/// server's queues filled.
struct Fifo<K> {
    queue: Mutex<VecDeque<VecDeque<(tokio::time::Instant, K, u64)>>>,
}

/// Entries per block of a [`Fifo`].
const FIFO_BLOCK: usize = 1024;

impl<K> Default for Fifo<K> {
    fn default() -> Self {
        Fifo { queue: Mutex::new(VecDeque::new()) }
    }
}

impl<K> Fifo<K> {
    #[allow(clippy::type_complexity)]
    fn lock(&self) -> MutexGuard<'_, VecDeque<VecDeque<(tokio::time::Instant, K, u64)>>> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds `key` to expire after `after`, waking `reaper` if the queue was
    /// empty (else its head, which expires first, is already awaited).
    fn push(&self, after: Duration, key: K, id: u64, reaper: &tokio::sync::Notify) {
        let entry = (tokio::time::Instant::now() + after, key, id);
        let mut q = self.lock();
        let first = q.front().map_or(true, VecDeque::is_empty);
        match q.back_mut() {
            Some(block) if block.len() < FIFO_BLOCK => block.push_back(entry),
            _ => {
                let mut block = VecDeque::with_capacity(FIFO_BLOCK);
                block.push_back(entry);
                q.push_back(block);
            }
        }
        drop(q);
        if first {
            reaper.notify_one();
        }
    }

    fn head(&self) -> Option<tokio::time::Instant> {
        self.lock().front().and_then(|b| b.front()).map(|e| e.0)
    }

    /// The entries due at `now` (all of them with `None`), oldest first.
    fn take_due(&self, now: Option<tokio::time::Instant>) -> Vec<(K, u64)> {
        let mut q = self.lock();
        let mut due = Vec::new();
        while let Some(block) = q.front_mut() {
            while block.front().is_some_and(|e| now.map_or(true, |now| e.0 <= now)) {
                if let Some((_, k, id)) = block.pop_front() {
                    due.push((k, id));
                }
            }
            // A block emptied and not the last one goes; the last stays for the next pushes.
            if block.is_empty() && q.len() > 1 {
                q.pop_front();
            } else {
                break;
            }
        }
        due
    }
}

/// Transactions kept in their table entry without a task, and the one task
/// that ends them: no task, no timer and no wake-up per request.
#[derive(Default)]
struct Lingering {
    /// Server transactions answered on delivery over UDP, until timer J.
    servers: Fifo<ServerKey>,
    /// Client transactions answered before timer E, until timer K.
    clients: Fifo<ClientKey>,
    /// Client transactions waiting for their first timer E.
    pending: Fifo<ClientKey>,
    /// Set when a queue goes from empty to not empty.
    more: tokio::sync::Notify,
    /// The task is running (one per endpoint, however often it starts).
    reaping: std::sync::atomic::AtomicBool,
}

/// The guard removing `key` (if still entry `id`) from `table` when dropped.
fn forget_for<K, V>(table: &Arc<Table<K, V>>, key: K, id: u64) -> Forget<K>
where
    K: Hash + Eq + Send + 'static,
    V: Send + 'static,
{
    Forget { table: table.clone(), key, id, armed: true }
}

/// Inserts `value` under `key`, returning the guard that will remove it.
fn insert<K, V>(table: &Arc<Table<K, V>>, map: &mut HashMap<K, Slot<V>>, key: K, value: V) -> Forget<K>
where
    K: Hash + Eq + Clone + Send + 'static,
    V: Send + 'static,
{
    let id = table.next_id.fetch_add(1, Ordering::Relaxed);
    if map.insert(key.clone(), Slot { id, value }).is_none() {
        table.len.fetch_add(1, Ordering::Relaxed);
    }
    Forget { table: table.clone(), key, id, armed: true }
}

struct Inner {
    config: Arc<Config>,
    transports: Transports,
    lifecycle: Lifecycle,
    user: Arc<dyn TransactionUser>,
    // Boxed items: a tokio channel allocates a block of 32 slots when it is made, and
    // a transaction lives 32 s after its answer, so slot size is memory per request.
    servers: Arc<Table<ServerKey, ServerSlot>>,
    clients: Arc<Table<ClientKey, ClientSlot>>,
    lingering: Lingering,
}

/// A SIP endpoint: transports plus the non-INVITE transaction layer.
#[derive(Clone)]
pub struct Endpoint {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint").field("transports", &self.inner.transports).finish()
    }
}

impl Endpoint {
    /// Binds the configured addresses. Nothing is read until [`Endpoint::start`]
    /// or [`Endpoint::run`].
    pub async fn bind(config: Config, user: impl TransactionUser) -> io::Result<Endpoint> {
        let lifecycle = Lifecycle::new();
        let transports = Transports::bind(config.transport.clone(), lifecycle.clone()).await?;
        let inner = Inner {
            config: Arc::new(config),
            transports,
            lifecycle,
            user: Arc::new(user),
            servers: Arc::new(Table::new()),
            clients: Arc::new(Table::new()),
            lingering: Lingering::default(),
        };
        Ok(Endpoint { inner: Arc::new(inner) })
    }

    /// The bound addresses (ports picked by the OS included).
    pub fn local_addrs(&self) -> Vec<ListenAddr> {
        self.inner.transports.local_addrs()
    }

    /// The first bound address of `kind`.
    pub fn local_addr(&self, kind: TransportKind) -> Option<SocketAddr> {
        self.inner.transports.local_addr(kind)
    }

    /// Live server and client transactions.
    pub fn transactions(&self) -> (usize, usize) {
        (self.inner.servers.len(), self.inner.clients.len())
    }

    /// Open TCP connections.
    pub fn connections(&self) -> usize {
        self.inner.transports.connections()
    }

    /// The shutdown state (phase, live tasks).
    pub fn lifecycle(&self) -> &Lifecycle {
        &self.inner.lifecycle
    }

    /// Starts reading the sockets.
    pub fn start(&self) {
        if !self.inner.lingering.reaping.swap(true, Ordering::SeqCst) {
            let shutdown = self.inner.lifecycle.listener(Group::Io);
            tokio::spawn(reap(self.inner.clone(), shutdown));
        }
        self.inner.transports.start(Arc::new(self.clone()));
    }

    /// Serves until `shutdown` completes, then shuts down gracefully.
    /// Returns whether everything ended within the grace periods.
    pub async fn run(&self, shutdown: impl Future) -> bool {
        self.start();
        shutdown.await;
        self.shutdown().await
    }

    /// Graceful shutdown: stop accepting (new requests get `503`), let the
    /// transactions in flight finish within `shutdown_grace`, then close the sockets.
    pub async fn shutdown(&self) -> bool {
        let life = &self.inner.lifecycle;
        let drained = life.drain(self.inner.config.shutdown_grace).await;
        let stopped = life.stop(self.inner.config.transport.write_timeout.saturating_add(STOP_GRACE)).await;
        // Transactions the drain did not finish end as soon as they see `Stopped`.
        let settled = life.settle(Group::Transactions, STOP_GRACE).await;
        drained && stopped && settled
    }

    /// Sends `req` to `dest` in a new client transaction and waits for its
    /// final response (a local `408` on timer F, `503` on a transport failure).
    ///
    /// A top Via with a fresh branch, Max-Forwards and Content-Length are added
    /// when absent. Over TCP an open connection to `dest` is reused, else one
    /// is opened. Dropping the returned future does not stop the transaction.
    pub async fn request(&self, req: Request, dest: SocketAddr, kind: TransportKind) -> Result<Outcome, RequestError> {
        self.request_with(req, dest, kind, ClientOptions::default()).await
    }

    /// [`request`](Self::request) with per-request settings.
    pub async fn request_with(
        &self,
        req: Request,
        dest: SocketAddr,
        kind: TransportKind,
        opts: ClientOptions,
    ) -> Result<Outcome, RequestError> {
        self.ready(&req)?;
        let flow = self.inner.transports.flow_to(dest, kind, Arc::new(self.clone())).await?;
        self.run_on(req, flow, opts).await
    }

    /// The flow named `flow_id` (Yate's `connection_id`, see [`Flow::id`]): a TCP
    /// connection while it still reads, or one of our UDP sockets towards `dest`.
    pub fn flow(&self, flow_id: &str, dest: SocketAddr) -> io::Result<Flow> {
        self.inner.transports.flow_by_id(flow_id, dest)
    }

    /// [`request_with`](Self::request_with) on a given flow (from [`flow`](Self::flow)),
    /// whatever its peer: a TCP connection closed meanwhile gives a local `503`.
    pub async fn request_on(&self, req: Request, flow: Flow, opts: ClientOptions) -> Result<Outcome, RequestError> {
        self.ready(&req)?;
        self.run_on(req, flow, opts).await
    }

    /// Refuses a request that cannot start a transaction, before any connecting.
    fn ready(&self, req: &Request) -> Result<(), RequestError> {
        if self.inner.lifecycle.phase() != Phase::Running {
            return Err(RequestError::ShuttingDown);
        }
        // The key needs the CSeq method.
        req.headers.cseq().map(drop).map_err(RequestError::BadRequest)
    }

    async fn run_on(&self, req: Request, flow: Flow, opts: ClientOptions) -> Result<Outcome, RequestError> {
        let (task, outcome) = self.client_task(req, flow, opts)?;
        tokio::spawn(task.run(outcome.0));
        outcome.1.await.map_err(|_| RequestError::Aborted)
    }

    /// [`request`](Self::request) over UDP from any thread, without waiting: the
    /// first transmission leaves before this returns, and the transaction's task
    /// (spawned on `runtime`) only keeps the timers. The receiver gets the outcome.
    pub fn request_udp_now(
        &self,
        req: Request,
        dest: SocketAddr,
        runtime: &tokio::runtime::Handle,
    ) -> Result<oneshot::Receiver<Outcome>, RequestError> {
        self.request_udp_now_with(req, dest, runtime, ClientOptions::default())
    }

    /// [`request_udp_now`](Self::request_udp_now) with per-request settings.
    pub fn request_udp_now_with(
        &self,
        req: Request,
        dest: SocketAddr,
        runtime: &tokio::runtime::Handle,
        opts: ClientOptions,
    ) -> Result<oneshot::Receiver<Outcome>, RequestError> {
        self.ready(&req)?;
        let flow = self.inner.transports.udp_flow_to(dest)?;
        let (mut task, (done, outcome)) = self.client_task(req, flow, opts)?;
        task.first_sent = task.flow.try_send(task.bytes.clone()).is_ok();
        let reaping = self.inner.lingering.reaping.load(Ordering::SeqCst);
        if task.first_sent && reaping && self.inner.lifecycle.phase() == Phase::Running {
            if let Err((task, done)) = self.park(task, done) {
                runtime.spawn(task.run(done));
            }
        } else {
            runtime.spawn(task.run(done));
        }
        Ok(outcome)
    }

    /// Leaves a UDP client transaction whose first copy is out in its table
    /// entry, without a task, until timer E; most are answered before, on the
    /// receiving thread. Gives the task back if its entry is not as expected.
    #[allow(clippy::result_large_err)]
    fn park(
        &self,
        mut task: ClientTask,
        done: oneshot::Sender<Outcome>,
    ) -> Result<(), (ClientTask, oneshot::Sender<Outcome>)> {
        let Some(forget) = task.forget.take() else { return Err((task, done)) };
        let (key, id) = forget.disarm();
        let clients = &self.inner.clients;
        let mut map = clients.shard(&key);
        let Some(slot) = map.get_mut(&key).filter(|s| s.id == id) else {
            drop(map);
            task.forget = Some(forget_for(clients, key, id));
            return Err((task, done));
        };
        let tx = match std::mem::replace(&mut slot.value, ClientSlot::Completed) {
            ClientSlot::Task(tx) => tx,
            other => {
                slot.value = other;
                drop(map);
                task.forget = Some(forget_for(clients, key, id));
                return Err((task, done));
            }
        };
        // Responses that came before the entry changed are in the task's channel.
        let mut answer = None;
        while let Ok(resp) = task.responses.try_recv() {
            if resp.code < 200 {
                task.proceeding = true;
            } else {
                answer = Some(*resp);
                break;
            }
        }
        match answer {
            Some(resp) => {
                drop(map);
                self.client_answered(key, id, done, resp, task);
            }
            None => {
                slot.value = ClientSlot::Pending(Box::new(PendingClient { task, tx, done }));
                drop(map);
                let e = self.inner.config.timers.e_initial();
                let l = &self.inner.lingering;
                l.pending.push(e, key, id, &l.more);
            }
        }
        Ok(())
    }

    /// A final response for a client transaction without a task: the outcome
    /// goes to the caller now, and the entry (already `Completed`) stays until timer K.
    fn client_answered(
        &self,
        key: ClientKey,
        id: u64,
        done: oneshot::Sender<Outcome>,
        resp: Response,
        task: ClientTask,
    ) {
        let _ = done.send(Outcome { response: resp, origin: Origin::Peer });
        // Its count of transactions in flight ends here, as the task's would.
        drop(task);
        let k = self.inner.config.timers.k(false);
        if self.inner.lifecycle.phase() == Phase::Running && !k.is_zero() {
            let l = &self.inner.lingering;
            l.clients.push(k, key, id, &l.more);
        } else {
            self.inner.clients.remove(&key, id);
        }
    }

    /// A client transaction for `req` on `flow`, registered in the table.
    #[allow(clippy::type_complexity)]
    fn client_task(
        &self,
        mut req: Request,
        flow: Flow,
        opts: ClientOptions,
    ) -> Result<(ClientTask, (oneshot::Sender<Outcome>, oneshot::Receiver<Outcome>)), RequestError> {
        let key = match self.prepare(&mut req, &flow, opts.rport) {
            // Our own Via: its branch is known without reading it back.
            Some(branch) => {
                let method = req.headers.cseq().map_err(RequestError::BadRequest)?.method.as_str().to_owned();
                ClientKey { branch, method }
            }
            None => ClientKey::for_request(&req).map_err(RequestError::BadRequest)?,
        };
        let (tx, rx) = mpsc::channel(RESPONSE_QUEUE);
        let forget = {
            let table = &self.inner.clients;
            let max = self.inner.config.max_transactions;
            let mut map = table.shard(&key);
            if table.len() >= max {
                return Err(RequestError::TooManyTransactions(max));
            }
            if map.contains_key(&key) {
                return Err(RequestError::DuplicateBranch);
            }
            insert(table, &mut map, key, ClientSlot::Task(tx))
        };
        let task = ClientTask {
            timers: self.inner.config.timers,
            bytes: Arc::from(req.to_bytes()),
            skeleton: admit::skeleton(&req),
            flow,
            first_sent: false,
            max_transmissions: opts.max_transmissions,
            responses: rx,
            shutdown: self.inner.lifecycle.listener(Group::Transactions),
            forget: Some(forget),
            started: tokio::time::Instant::now(),
            proceeding: false,
        };
        Ok((task, oneshot::channel()))
    }

    /// Adds the headers the transaction layer needs (RFC 3261 §8.1.1); the
    /// branch of the Via it added, if it added one.
    fn prepare(&self, req: &mut Request, flow: &Flow, rport: Rport) -> Option<String> {
        let mut added = None;
        if !req.headers.contains("Via") {
            let branch = [BRANCH_COOKIE, &new_tag()].concat();
            let mut via = String::with_capacity(96);
            for part in ["SIP/2.0/", flow.kind().name(), " "] {
                via.push_str(part);
            }
            self.push_sent_by(&mut via, flow);
            via.push(';');
            if rport == Rport::BeforeBranch {
                via.push_str("rport;");
            }
            via.push_str("branch=");
            via.push_str(&branch);
            if rport == Rport::AfterBranch {
                via.push_str(";rport");
            }
            req.headers.insert(0, Header::new("Via", via));
            added = Some(branch);
        }
        if !req.headers.contains("Max-Forwards") {
            req.headers.set("Max-Forwards", crate::sip::msg::text::decimal(self.inner.config.max_forwards));
        }
        if !req.headers.contains("Content-Length") {
            req.headers.set("Content-Length", crate::sip::msg::text::decimal(req.body.len()));
        }
        added
    }

    /// Our `host:port` for a Via on `flow`: the configured one, else the
    /// listening address (a wildcard IP replaced by the one routing to the peer).
    fn push_sent_by(&self, out: &mut String, flow: &Flow) {
        if let Some(s) = &self.inner.config.sent_by {
            out.push_str(s);
            return;
        }
        let mut addr = flow.local();
        if flow.kind() == TransportKind::Tcp {
            if let Some(l) = self.local_addr(TransportKind::Tcp) {
                addr.set_port(l.port());
            }
        }
        if addr.ip().is_unspecified() {
            if let Some(ip) = route_ip(flow.peer()) {
                addr.set_ip(ip);
            }
        }
        crate::sip::msg::text::push_socket_addr(out, addr);
    }

    fn on_request(&self, req: Request, flow: Flow) {
        // ACK exists only for INVITE, which is out of scope: never answered (§17.1.1.3).
        if req.method.is("ACK") {
            return;
        }
        let key = match admit::validate(&req) {
            Ok(key) => key,
            Err(code) => {
                reject(&req, code, &flow);
                return;
            }
        };
        let table = &self.inner.servers;
        let mut map = table.shard(&key);
        if let Some(slot) = map.get(&key) {
            match &slot.value {
                ServerSlot::Completed(bytes) => {
                    let bytes = bytes.clone();
                    drop(map);
                    let _ = flow.try_send(bytes);
                    return;
                }
                ServerSlot::Task(tx) => match tx.try_send(Box::new(flow.clone())) {
                    Ok(()) | Err(mpsc::error::TrySendError::Full(_)) => return,
                    // The task is ending; this request starts a new transaction.
                    Err(mpsc::error::TrySendError::Closed(_)) => drop(table.take(&mut map, &key)),
                },
            }
        }
        if self.inner.lifecycle.phase() != Phase::Running || table.len() >= self.inner.config.max_transactions {
            drop(map);
            reject(&req, 503, &flow);
            return;
        }
        let (tx, rx) = mpsc::channel(RETRANSMIT_QUEUE);
        let forget = insert(table, &mut map, key, ServerSlot::Task(tx));
        drop(map);
        let task = ServerTask {
            config: self.inner.config.clone(),
            skeleton: admit::skeleton(&req),
            flow,
            retransmissions: rx,
            shutdown: self.inner.lifecycle.listener(Group::Transactions),
            _forget: forget,
        };
        let decision: Decision = admit::decide(&req, &self.inner.config);
        let user = self.inner.user.clone();
        if decision == Decision::User && self.inner.config.lazy100 {
            let (sr, rx) = task.for_user(req);
            // The user first: it may answer (and route, and relay) on this thread,
            // and the spawn may wake another worker, which the answer need not wait for.
            // Its answer and any retransmission wait in the task's channels meanwhile.
            user.request(sr);
            match rx.sent_final() {
                Some(bytes) if !task.flow.kind().is_reliable() => self.completed(task, bytes),
                _ => drop(tokio::spawn(task.run_handed_over(rx))),
            }
            return;
        }
        tokio::spawn(task.run(decision, req, move |r| user.request(r)));
    }

    /// A UDP transaction whose final answer the user sent before its task ran:
    /// its entry keeps the answer until timer J, without the task.
    fn completed(&self, task: ServerTask, bytes: Arc<[u8]>) {
        let ((key, id), mut retransmissions) = task.into_completed();
        let servers = &self.inner.servers;
        let keep = self.inner.lifecycle.phase() == Phase::Running;
        {
            let mut map = servers.shard(&key);
            if let Some(slot) = map.get_mut(&key).filter(|s| s.id == id) {
                if keep {
                    slot.value = ServerSlot::Completed(bytes.clone());
                } else {
                    // Draining ends timer J at once, as it does for a task.
                    drop(servers.take(&mut map, &key));
                }
            }
        }
        // Those that came before the entry changed; later ones find the answer in it.
        while let Ok(flow) = retransmissions.try_recv() {
            let _ = flow.try_send(bytes.clone());
        }
        if keep {
            let l = &self.inner.lingering;
            l.servers.push(self.inner.config.timers.j(false), key, id, &l.more);
        }
    }

    fn on_response(&self, resp: Response) {
        let Some(key) = ClientKey::for_response(&resp) else { return };
        let mut map = self.inner.clients.shard(&key);
        let Some(slot) = map.get_mut(&key) else {
            tracing::debug!(code = resp.code, "response matches no client transaction; dropped");
            return;
        };
        match &mut slot.value {
            // Full: a burst of retransmitted responses; one is enough.
            ClientSlot::Task(tx) => drop(tx.try_send(Box::new(resp))),
            // A retransmitted final response: nothing more to do with it.
            ClientSlot::Completed => {}
            ClientSlot::Pending(p) if resp.code < 200 => p.task.proceeding = true,
            ClientSlot::Pending(_) => {
                let id = slot.id;
                if let ClientSlot::Pending(p) = std::mem::replace(&mut slot.value, ClientSlot::Completed) {
                    drop(map);
                    let PendingClient { task, done, .. } = *p;
                    self.client_answered(key, id, done, resp, task);
                }
            }
        }
    }
}

impl Sink for Endpoint {
    fn receive(&self, incoming: Incoming) {
        match incoming.message {
            Message::Request(req) => self.on_request(req, incoming.flow),
            Message::Response(resp) => self.on_response(resp),
        }
    }

    fn closed(&self, flow_id: &str) {
        self.inner.user.connection_closed(flow_id);
    }
}

/// How late the reaper may run a timer of [`Lingering`], to end several per wake-up.
const REAP_BATCH: Duration = Duration::from_millis(20);

/// Runs the timers of [`Lingering`]: J and K end entries, the first E starts
/// the task of a client transaction still unanswered. At `Draining`, J and K
/// end at once (as a task's are cut short); at `Stopped`, waiting client
/// transactions end with a local 503, as a task's would.
async fn reap(inner: Arc<Inner>, mut shutdown: Shutdown) {
    let l = &inner.lingering;
    let mut drained = false;
    loop {
        let phase = shutdown.phase();
        if phase >= Phase::Draining && !drained {
            drained = true;
            remove_all(&inner.servers, l.servers.take_due(None));
            remove_all(&inner.clients, l.clients.take_due(None));
        }
        if phase == Phase::Stopped {
            for (key, id) in l.pending.take_due(None) {
                if let Some((task, done)) = take_pending(&inner, &key, id, false) {
                    let _ = done.send(task.local(503, Origin::Transport, &"endpoint stopped"));
                    inner.clients.remove(&key, id);
                }
            }
            return;
        }
        let now = tokio::time::Instant::now();
        for (key, id) in l.pending.take_due(Some(now)) {
            // Still unanswered at the first E: from here on the task runs it.
            if let Some((mut task, done)) = take_pending(&inner, &key, id, true) {
                task.forget = Some(forget_for(&inner.clients, key, id));
                tokio::spawn(task.run(done));
            }
        }
        remove_all(&inner.servers, l.servers.take_due(Some(now)));
        remove_all(&inner.clients, l.clients.take_due(Some(now)));
        // Entries expire every millisecond under load: waking for each one woke a
        // thread (and preempted a receiving one) a thousand times a second.
        // Gathering REAP_BATCH of them per wake-up delays a first E by as much,
        // which is far inside any peer's timing.
        let next = [l.pending.head(), l.servers.head(), l.clients.head()].into_iter().flatten().min();
        let next = next.map(|at| at + REAP_BATCH);
        let until = if drained { Phase::Stopped } else { Phase::Draining };
        tokio::select! {
            () = async { if let Some(at) = next { tokio::time::sleep_until(at).await } else { std::future::pending().await } } => {}
            () = l.more.notified() => {}
            () = shutdown.reached(until) => {}
        }
    }
}

/// Takes a waiting client transaction out of its entry, in one step (a
/// response arriving meanwhile must find one state or the other): the entry
/// becomes its task's when `to_task`, else `Completed`.
fn take_pending(
    inner: &Inner,
    key: &ClientKey,
    id: u64,
    to_task: bool,
) -> Option<(ClientTask, oneshot::Sender<Outcome>)> {
    let mut map = inner.clients.shard(key);
    let slot = map.get_mut(key).filter(|s| s.id == id)?;
    match std::mem::replace(&mut slot.value, ClientSlot::Completed) {
        ClientSlot::Pending(p) => {
            let PendingClient { task, tx, done } = *p;
            if to_task {
                slot.value = ClientSlot::Task(tx);
            }
            Some((task, done))
        }
        other => {
            slot.value = other;
            None
        }
    }
}

/// Removes the entries `(key, id)` still there (a key may have been reused since).
fn remove_all<K: Hash + Eq + Send, V: Send>(table: &Table<K, V>, entries: Vec<(K, u64)>) {
    for (k, id) in entries {
        table.remove(&k, id);
    }
}

/// The local IP the kernel would use to reach `dest` (a connected UDP socket
/// sends nothing; it only picks a route).
fn route_ip(dest: SocketAddr) -> Option<IpAddr> {
    let any: IpAddr = if dest.is_ipv4() { Ipv4Addr::UNSPECIFIED.into() } else { Ipv6Addr::UNSPECIFIED.into() };
    let socket = std::net::UdpSocket::bind((any, 0)).ok()?;
    socket.connect(dest).ok()?;
    Some(socket.local_addr().ok()?.ip())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Entries come out in order and exactly when due, across block boundaries,
    /// and the reaper is woken only when the queue was empty.
    #[tokio::test(start_paused = true)]
    async fn fifo_blocks_keep_the_order_of_expiry() {
        let fifo: Fifo<u32> = Fifo::default();
        let reaper = tokio::sync::Notify::new();
        let t0 = tokio::time::Instant::now();
        let n = 3 * FIFO_BLOCK as u32 + 7;
        for i in 0..n {
            fifo.push(Duration::from_millis(u64::from(i)), i, u64::from(i), &reaper);
        }
        // One stored wake-up, from the first push only.
        assert!(tokio::time::timeout(Duration::ZERO, reaper.notified()).await.is_ok());
        assert!(tokio::time::timeout(Duration::ZERO, reaper.notified()).await.is_err());
        assert_eq!(fifo.head(), Some(t0));
        let cut = FIFO_BLOCK as u64 + 100;
        let due = fifo.take_due(Some(t0 + Duration::from_millis(cut)));
        assert_eq!(due.len() as u64, cut + 1);
        assert!(due.iter().enumerate().all(|(i, &(k, id))| k as usize == i && id == i as u64));
        assert_eq!(fifo.head(), Some(t0 + Duration::from_millis(cut + 1)));
        let rest = fifo.take_due(None);
        assert_eq!(rest.first().map(|e| e.0), Some(cut as u32 + 1));
        assert_eq!(rest.last().map(|e| e.0), Some(n - 1));
        assert_eq!(rest.len() as u64, u64::from(n) - cut - 1);
        assert_eq!(fifo.head(), None);
        fifo.push(Duration::ZERO, 9, 9, &reaper);
        assert!(tokio::time::timeout(Duration::ZERO, reaper.notified()).await.is_ok(), "empty again: woken");
    }
}
