//! The message bus: handlers in priority order, Yate's dispatch walk, and what a
//! dispatch produced (echo lines, log lines, messages created along the way).

use crate::runtime::message::Message;
use std::collections::VecDeque;
use std::sync::Arc;

/// Something that receives messages: a regexroute context, the registrar, ...
pub trait Handler: Send + Sync {
    /// Handles `msg`; `true` means handled, which ends a non-broadcast dispatch.
    fn received(&self, msg: &mut Message, cx: &mut Cx<'_>) -> bool;
}

/// A handler's filter on one parameter: exact text or a basic regex.
pub enum Filter {
    /// The parameter must equal this text (missing counts as empty).
    Exact(Vec<u8>, Vec<u8>),
    /// The parameter must match this regex (missing counts as empty).
    Regex(Vec<u8>, crate::regex::PosixRegex),
}

impl Filter {
    fn accepts(&self, msg: &Message) -> bool {
        match self {
            Filter::Exact(p, v) => msg.get(p).unwrap_or(b"") == v.as_slice(),
            Filter::Regex(p, r) => r.is_match(msg.get(p).unwrap_or(b"")),
        }
    }
}

struct Installed {
    priority: i32,
    name: Vec<u8>,
    filter: Option<Filter>,
    handler: Arc<dyn Handler>,
}

/// Handlers sorted by ascending priority; equal priorities keep install order.
#[derive(Default)]
pub struct Bus {
    handlers: Vec<Installed>,
}

/// How a message reached the bus, for the `enqueued` report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Made by `dispatch`: done before the message that made it returned.
    Sync,
    /// Made by `enqueue`: processed after it.
    Async,
}

/// A message created while handling another one, as it was when its dispatch ended.
#[derive(Debug, Clone)]
pub struct Finished {
    /// The message.
    pub msg: Message,
    /// Its dispatch result.
    pub handled: bool,
    /// How it was sent.
    pub phase: Phase,
}

/// What dispatching produced besides the message itself.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Lines printed by `echo`/`output`.
    pub echo: Vec<String>,
    /// Warnings and debug lines.
    pub log: Vec<String>,
    /// Messages created by rules, in the order their dispatch finished.
    pub finished: Vec<Finished>,
    /// Messages waiting for `enqueue` processing, FIFO.
    pub queue: VecDeque<Message>,
    /// Per-rule trace lines, when tracing is on.
    pub trace: Option<Vec<String>>,
    /// Nobody reads `echo` (a server logging below info): an echo whose text
    /// calls no function, and so changes nothing, is not even built.
    pub echo_unread: bool,
    /// How many `dispatch` actions ran for this outcome, nested ones included.
    pub dispatches: u32,
    /// How many `goto`/`include` entries into a context were asked for, nested
    /// dispatches' included.
    pub entries: u32,
}

impl Outcome {
    /// Empties everything, keeping the allocations (for benchmarks that route many
    /// messages with one outcome).
    pub fn clear(&mut self) {
        self.echo.clear();
        self.log.clear();
        self.finished.clear();
        self.queue.clear();
        self.dispatches = 0;
        self.entries = 0;
        if let Some(t) = self.trace.as_mut() {
            t.clear();
        }
    }
}

/// The context a handler runs in: the bus (for nested dispatch) and the outcome.
pub struct Cx<'a> {
    /// The bus, for `dispatch`.
    pub bus: &'a Bus,
    /// Where output goes.
    pub out: &'a mut Outcome,
    /// How many `dispatch` actions enclose this one (0 for a message from outside).
    pub depth: u32,
}

impl Bus {
    /// An empty bus.
    pub fn new() -> Bus {
        Bus::default()
    }

    /// Installs a handler for messages named `name`.
    pub fn install(&mut self, priority: i32, name: &[u8], filter: Option<Filter>, handler: Arc<dyn Handler>) {
        let at = self.handlers.partition_point(|h| h.priority <= priority);
        self.handlers.insert(at, Installed { priority, name: name.to_vec(), filter, handler });
    }

    /// Dispatches a message: each handler for its *current* name, in order, until one
    /// handles it. A `rename` inside a handler redirects the rest of the walk.
    pub fn dispatch(&self, msg: &mut Message, out: &mut Outcome) -> bool {
        self.dispatch_nested(msg, out, 0)
    }

    /// [`dispatch`](Self::dispatch) from inside a handler, `depth` dispatches deep.
    pub fn dispatch_nested(&self, msg: &mut Message, out: &mut Outcome, depth: u32) -> bool {
        for h in &self.handlers {
            if h.name != msg.name {
                continue;
            }
            if h.filter.as_ref().is_some_and(|f| !f.accepts(msg)) {
                continue;
            }
            let mut cx = Cx { bus: self, out, depth };
            if h.handler.received(msg, &mut cx) && !msg.broadcast {
                return true;
            }
        }
        false
    }

    /// Dispatches a message, then every message enqueued meanwhile, FIFO, recording
    /// those as finished. Returns the first message's result.
    pub fn dispatch_all(&self, msg: &mut Message, out: &mut Outcome) -> bool {
        let handled = self.dispatch(msg, out);
        while let Some(mut m) = out.queue.pop_front() {
            let h = self.dispatch(&mut m, out);
            out.finished.push(Finished { msg: m, handled: h, phase: Phase::Async });
        }
        handled
    }
}
