//! Blocking inside a handler without stalling the async runtime that called it.
//!
//! `serve` routes a request on the thread that received it when it can (see
//! `server::routing`), which is an async runtime worker. Most handlers never
//! block, but `msleep` and a `wait=true` request do; a worker that simply
//! blocked would hold up every task queued on it, including, possibly, the one
//! its wait is for. [`inline`] marks such a section; [`wait`] then hands the
//! worker's other tasks to another thread before blocking. Elsewhere (the
//! routing thread, the CLI) [`wait`] just runs its closure.

use std::cell::Cell;

thread_local! {
    static INLINE: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` as a handler section on the current thread, which may be a
/// multi-threaded runtime's worker.
pub fn inline<R>(f: impl FnOnce() -> R) -> R {
    let on_worker = tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
    if !on_worker {
        return f();
    }
    let before = INLINE.with(|c| c.replace(true));
    // Restored even if `f` unwinds: a later task on this worker must not inherit it.
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            INLINE.with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(before);
    f()
}

/// Runs `f`, which blocks, after sending the UDP datagrams this thread holds
/// back ([`crate::sip::transport::HeldSends`]); inside [`inline`], the worker's
/// other tasks move to another thread first.
pub fn wait<R>(f: impl FnOnce() -> R) -> R {
    // What this thread sent so far goes out first: it may be what `f` waits for.
    crate::sip::transport::HeldSends::flush();
    if INLINE.with(Cell::get) {
        tokio::task::block_in_place(f)
    } else {
        f()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// A blocked inline handler does not hold up what its worker had queued:
    /// with one worker, the spawned task can only run if `wait` hands it over.
    #[test]
    fn a_wait_inline_lets_the_worker_tasks_run() {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        rt.block_on(async {
            let handle = tokio::spawn(async {
                let (tx, rx) = std::sync::mpsc::channel();
                tokio::spawn(async move { tx.send(7).unwrap() });
                inline(|| wait(|| rx.recv_timeout(Duration::from_secs(10))))
            });
            assert_eq!(handle.await.unwrap(), Ok(7));
        });
    }

    /// A plain thread inside the runtime's context (a UDP receive thread) is no
    /// worker: it simply blocks.
    #[test]
    fn on_a_thread_that_entered_the_runtime_wait_just_blocks() {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let handle = rt.handle().clone();
        let got = std::thread::spawn(move || {
            let _context = handle.enter();
            inline(|| wait(|| std::thread::sleep(Duration::from_millis(1))));
            inline(|| wait(|| 5))
        })
        .join()
        .unwrap();
        assert_eq!(got, 5);
    }

    #[test]
    fn outside_a_runtime_wait_just_runs() {
        assert_eq!(inline(|| wait(|| 3)), 3);
        assert!(!INLINE.with(Cell::get));
    }
}
