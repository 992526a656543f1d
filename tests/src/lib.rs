//! Integration tests of signals-core live in `tests/`; this library only
//! gathers the helper crates they use, and the watchdog of the tests that
//! could hang.

/// The README's examples ("Coming from Django" among them), run as
/// doctests: `cargo test -p signals-tests --doc`.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
mod readme {}

use std::panic::resume_unwind;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::Duration;

/// Runs `test` on its own thread and fails if it does not return within
/// 30 s: a deadlock or a hang fails the test instead of stalling the suite.
/// A panic of `test` is handed on.
pub fn within_deadline<T: Send + 'static>(test: impl FnOnce() -> T + Send + 'static) -> T {
    let (done, finished) = mpsc::channel();
    let handle = thread::spawn(move || {
        let value = test();
        let _ = done.send(());
        value
    });
    match finished.recv_timeout(Duration::from_secs(30)) {
        // `Disconnected`: the test panicked; `join` hands the panic on.
        Ok(()) | Err(RecvTimeoutError::Disconnected) => {
            handle.join().unwrap_or_else(|panic| resume_unwind(panic))
        }
        Err(RecvTimeoutError::Timeout) => panic!("the test did not finish within 30 s"),
    }
}
