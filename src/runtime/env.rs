//! The engine around the interpreter: global variables and what `$(engine)` and friends report.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

/// Process-wide global variables (`$name`), in insertion order.
///
/// Yate shares one table across all messages, threads and reloads; updates are atomic
/// per function call, hence the lock.
#[derive(Debug, Default)]
pub struct Globals {
    vars: Mutex<Vec<(Vec<u8>, Vec<u8>)>>,
}

impl Globals {
    /// Runs `f` with the table locked, for read-modify-write functions such as `$(++$n)`.
    pub fn with<R>(&self, f: impl FnOnce(&mut GlobalTable<'_>) -> R) -> R {
        let mut guard = match self.vars.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut GlobalTable { vars: &mut guard })
    }

    /// The value of a variable, `None` when unset.
    pub fn get(&self, name: &[u8]) -> Option<Vec<u8>> {
        self.with(|t| t.get(name).map(<[u8]>::to_vec))
    }

    /// Sets a variable, keeping its position if it exists.
    pub fn set(&self, name: &[u8], value: &[u8]) {
        self.with(|t| t.set(name, value))
    }

    /// Deletes a variable.
    pub fn remove(&self, name: &[u8]) {
        self.with(|t| t.remove(name))
    }

    /// A copy of every variable, in insertion order.
    pub fn snapshot(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        self.with(|t| t.vars.clone())
    }
}

/// The locked view of [`Globals`].
pub struct GlobalTable<'a> {
    vars: &'a mut Vec<(Vec<u8>, Vec<u8>)>,
}

impl GlobalTable<'_> {
    /// The value of a variable, `None` when unset.
    pub fn get(&self, name: &[u8]) -> Option<&[u8]> {
        self.vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_slice())
    }

    /// Sets a variable, keeping its position if it exists.
    pub fn set(&mut self, name: &[u8], value: &[u8]) {
        match self.vars.iter_mut().find(|(k, _)| k == name) {
            Some((_, v)) => *v = value.to_vec(),
            None => self.vars.push((name.to_vec(), value.to_vec())),
        }
    }

    /// Deletes a variable.
    pub fn remove(&mut self, name: &[u8]) {
        self.vars.retain(|(k, _)| k != name);
    }

    /// Number of variables.
    pub fn len(&self) -> usize {
        self.vars.len()
    }

    /// Whether there are no variables.
    pub fn is_empty(&self) -> bool {
        self.vars.is_empty()
    }

    /// Variable names in insertion order.
    pub fn names(&self) -> impl Iterator<Item = &[u8]> {
        self.vars.iter().map(|(k, _)| k.as_slice())
    }
}

/// What the host engine reports to `$(engine)`, `$(loaded)`, `$(config)` and the like.
///
/// rexroute is its own engine, so these are configurable facts rather than queries.
#[derive(Debug, Clone)]
pub struct EngineInfo {
    /// Run parameters (`$(engine,NAME)`), e.g. `nodename`, `version`, `runid`.
    pub run_params: Vec<(Vec<u8>, Vec<u8>)>,
    /// Modules reported as loaded (`$(loaded,NAME)`, `[$enabled $loaded NAME]`).
    pub loaded: Vec<Vec<u8>>,
    /// The main engine configuration (`$(config,SECTION,KEY)`): (section, key, value).
    pub config: Vec<(Vec<u8>, Vec<u8>, Vec<u8>)>,
    /// `$(accepting)`.
    pub accepting: Vec<u8>,
}

impl Default for EngineInfo {
    fn default() -> Self {
        let runid =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        EngineInfo {
            run_params: vec![
                (b"version".to_vec(), b"6.4.1".to_vec()),
                (b"runid".to_vec(), runid.to_string().into_bytes()),
                (b"nodename".to_vec(), Vec::new()),
            ],
            loaded: vec![b"regexroute".to_vec()],
            config: Vec::new(),
            accepting: b"accept".to_vec(),
        }
    }
}

impl EngineInfo {
    /// A run parameter, `None` when unknown.
    pub fn run_param(&self, name: &[u8]) -> Option<&[u8]> {
        self.run_params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_slice())
    }

    /// Whether a module counts as loaded.
    pub fn is_loaded(&self, name: &[u8]) -> bool {
        self.loaded.iter().any(|m| m == name)
    }
}

/// Everything the interpreter shares across messages: globals, engine facts, counters.
#[derive(Debug, Default)]
pub struct Env {
    /// Global variables.
    pub globals: Globals,
    /// Engine facts.
    pub engine: EngineInfo,
    /// `$(dispatching)`: `dispatch` actions in progress, process-wide.
    pub dispatching: AtomicU32,
}

impl Env {
    /// The current `$(dispatching)` count.
    pub fn dispatching(&self) -> u32 {
        self.dispatching.load(Ordering::SeqCst)
    }
}
