//! Replays every saved fuzz input in `fuzz/regressions/<target>/` through its target.
//!
//! Files are found by directory, never listed by hand: adding a minimised crasher
//! to `fuzz/regressions/run/` is all it takes for `cargo test` to replay it through
//! `rexroute::fuzzing::run`. Inputs in a target's `open/` subfolder reproduce bugs
//! not fixed yet; they replay only under `cargo test -- --ignored`, and move up one
//! level once fixed. See `fuzz/regressions/README.md`.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::Duration;

use rexroute::fuzzing::TARGETS;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions")
}

/// The input files directly in `dir` (not README or dotfiles), sorted.
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut out: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| !n.starts_with('.') && !n.ends_with(".md")))
        .collect();
    out.sort();
    out
}

/// How long one input may run: libFuzzer's `-timeout=10` as docs/fuzzing.md runs it,
/// so an input saved as a hang fails here instead of stalling the suite.
const TIME_LIMIT: Duration = Duration::from_secs(10);

/// Runs one input on its own thread; `Err` says how it failed. A stack overflow still
/// aborts the whole process: Rust cannot catch it.
fn replay_one(target: fn(&[u8]), data: Vec<u8>) -> Result<(), &'static str> {
    let (tx, rx) = mpsc::channel();
    // Routing recurses as deep as a configuration asks (goto/include, dispatch): give it
    // the room the `rexroute` command gives it.
    let spawned = thread::Builder::new().stack_size(512 << 20).spawn(move || {
        let _ = tx.send(catch_unwind(AssertUnwindSafe(|| target(&data))).is_ok());
    });
    if spawned.is_err() {
        return Err("thread could not start");
    }
    match rx.recv_timeout(TIME_LIMIT) {
        Ok(true) => Ok(()),
        Ok(false) | Err(RecvTimeoutError::Disconnected) => Err("panicked"),
        // The thread is left running; the test process ends it when it exits.
        Err(RecvTimeoutError::Timeout) => Err("timed out"),
    }
}

/// Replays `sub` of every target directory; returns how many inputs ran.
fn replay(sub: &str) -> usize {
    let mut failed = Vec::new();
    let mut ran = 0;
    for (name, target) in TARGETS {
        for path in inputs(&root().join(name).join(sub)) {
            let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            ran += 1;
            if let Err(why) = replay_one(*target, data) {
                failed.push(format!("{} ({why})", path.display()));
            }
        }
    }
    assert!(failed.is_empty(), "fuzz regressions failing:\n  {}", failed.join("\n  "));
    ran
}

#[test]
fn fixed_regressions_replay_cleanly() {
    let ran = replay("");
    eprintln!("replayed {ran} fuzz regression inputs");
}

#[test]
#[ignore = "bugs not fixed yet: fuzz/regressions/*/open/ (see fuzz/regressions/README.md)"]
fn open_regressions_replay_cleanly() {
    let ran = replay("open");
    eprintln!("replayed {ran} open fuzz regression inputs");
}

/// A directory named after no target would be skipped silently; refuse it.
#[test]
fn every_regression_directory_is_a_target() {
    let Ok(rd) = std::fs::read_dir(root()) else { return };
    for e in rd.filter_map(Result::ok).filter(|e| e.path().is_dir()) {
        let name = e.file_name().to_string_lossy().into_owned();
        assert!(TARGETS.iter().any(|(t, _)| *t == name), "fuzz/regressions/{name}/ is not a fuzz target");
    }
}
