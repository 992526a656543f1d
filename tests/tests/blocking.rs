//! `send_blocking` / `send_robust_blocking` never hang silently.
//!
//! With signals-core's `tokio` feature (this crate's `tokio` feature turns it
//! on): inside a multi-thread tokio runtime they work, even on its only
//! worker, with receivers that await a timer and another task; inside a
//! current-thread runtime they panic with a message that says to use
//! `.send_async().await`. With or without it, outside any runtime they poll
//! the send on the calling thread. Every test runs under a watchdog that
//! fails it after 30 s, so a hang is a failure, not a stuck suite.

use signals_core::{receiver, signal};
use signals_tests::within_deadline;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

/// An async signal whose receiver waits for a thread to wake it: no runtime
/// needed.
#[signal(async)]
pub struct Woken {}

static WOKEN: AtomicUsize = AtomicUsize::new(0);

#[receiver(signal = Woken)]
async fn waits_for_a_thread(_: &Woken) {
    let (tx, rx) = tokio::sync::oneshot::channel();
    thread::spawn(move || {
        thread::sleep(Duration::from_millis(20));
        let _ = tx.send(());
    });
    rx.await.unwrap();
    WOKEN.fetch_add(1, Ordering::SeqCst);
}

#[test]
fn outside_any_runtime_the_send_is_polled_on_the_calling_thread() {
    within_deadline(|| {
        Woken {}.send_blocking().unwrap();
        assert!(Woken {}.send_robust_blocking().is_ok());
        assert_eq!(WOKEN.load(Ordering::SeqCst), 2);
    });
}

#[cfg(feature = "tokio")]
mod with_tokio {
    use super::*;
    use std::panic::{catch_unwind, AssertUnwindSafe};

    /// An async signal whose receivers need the runtime: one awaits a tokio
    /// timer, one awaits another task of the runtime.
    #[signal(async)]
    pub struct NeedsRuntime {}

    static TIMERS: AtomicUsize = AtomicUsize::new(0);
    static TASKS: AtomicUsize = AtomicUsize::new(0);

    #[receiver(signal = NeedsRuntime)]
    async fn awaits_a_timer(_: &NeedsRuntime) {
        tokio::time::sleep(Duration::from_millis(10)).await;
        TIMERS.fetch_add(1, Ordering::SeqCst);
    }

    #[receiver(signal = NeedsRuntime)]
    async fn awaits_another_task(_: &NeedsRuntime) -> Result<(), tokio::task::JoinError> {
        let value = tokio::spawn(async { 41 + 1 }).await?;
        assert_eq!(value, 42);
        TASKS.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    #[test]
    fn inside_a_multi_thread_runtime_with_one_worker_it_works() {
        within_deadline(|| {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                // On the only worker, as an async task would call it.
                NeedsRuntime {}.send_blocking().unwrap();
                let report = NeedsRuntime {}.send_robust_blocking();
                assert!(report.is_ok(), "{report}");
                assert_eq!(report.len(), 2);
                // From a task spawned onto the runtime, too.
                tokio::spawn(async { NeedsRuntime {}.send_blocking().unwrap() })
                    .await
                    .unwrap();
            });
            assert_eq!(TIMERS.load(Ordering::SeqCst), 3);
            assert_eq!(TASKS.load(Ordering::SeqCst), 3);
        });
    }

    /// The panic message of `send`, which must panic.
    fn panic_of(send: impl FnOnce()) -> String {
        let payload =
            catch_unwind(AssertUnwindSafe(send)).expect_err("it panics rather than hangs");
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap()
    }

    #[test]
    fn inside_a_current_thread_runtime_it_panics_naming_send_async() {
        within_deadline(|| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            let blocking = runtime.block_on(async {
                panic_of(|| {
                    let _ = NeedsRuntime {}.send_blocking();
                })
            });
            assert!(blocking.contains(".send_async().await"), "{blocking}");
            assert!(
                blocking.contains("current-thread tokio runtime"),
                "{blocking}"
            );
            let robust = runtime.block_on(async {
                panic_of(|| {
                    let _ = NeedsRuntime {}.send_robust_blocking();
                })
            });
            assert!(robust.contains(".send_async().await"), "{robust}");
        });
    }
}
