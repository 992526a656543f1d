//! Async signals: order of mixed sync and async receivers, stop at the first
//! error, robust sends that catch errors and panics inside futures, `Send`
//! futures inside `tokio::spawn`, cancellation, concurrent robust delivery,
//! run-time async receivers and the blocking bridge.

use signals_core::{receiver, signal, ReceiverKind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Each test uses its own signal, so tests running in parallel threads never
/// see each other's sends.
mod ordered {
    use super::*;

    pub static LOG: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());

    /// Mixed sync and async receivers.
    #[signal(async)]
    pub struct Mixed<'a> {
        pub tag: &'a str,
    }

    #[receiver(signal = Mixed, order = -5)]
    async fn a_first(_: &Mixed<'_>) {
        tokio::task::yield_now().await;
        LOG.lock().unwrap().push("async -5");
    }

    #[receiver(signal = Mixed)]
    fn b_sync(_: &Mixed) {
        LOG.lock().unwrap().push("sync 0 b");
    }

    #[receiver(signal = Mixed)]
    async fn a_async(m: &Mixed<'_>) -> Result<(), String> {
        tokio::time::sleep(Duration::from_millis(1)).await;
        LOG.lock().unwrap().push("async 0 a");
        if m.tag == "fail" {
            Err("a_async refused".to_owned())
        } else {
            Ok(())
        }
    }

    #[receiver(signal = Mixed, order = 10)]
    fn last(_: &Mixed) {
        LOG.lock().unwrap().push("sync 10");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixed_receivers_run_in_contract_order() {
    use ordered::*;
    let connection = Mixed::connect_async(|_: &Mixed| async {
        tokio::task::yield_now().await;
        LOG.lock().unwrap().push("dynamic 0");
    });
    LOG.lock().unwrap().clear();
    Mixed { tag: "ok" }.send_async().await.unwrap();
    assert_eq!(
        *LOG.lock().unwrap(),
        ["async -5", "async 0 a", "sync 0 b", "dynamic 0", "sync 10"]
    );
    let kinds: Vec<(ReceiverKind, bool)> = Mixed::receivers()
        .iter()
        .map(|r| (r.kind(), r.is_async()))
        .collect();
    assert_eq!(
        kinds,
        [
            (ReceiverKind::Static, true),
            (ReceiverKind::Static, true),
            (ReceiverKind::Static, false),
            (ReceiverKind::Dynamic, true),
            (ReceiverKind::Static, false)
        ]
    );

    // Stops at the first error; later receivers are not called.
    LOG.lock().unwrap().clear();
    let error = Mixed { tag: "fail" }.send_async().await.unwrap_err();
    assert_eq!(error.receiver_name(), "async_signals::ordered::a_async");
    assert_eq!(error.error().to_string(), "a_async refused");
    assert_eq!(*LOG.lock().unwrap(), ["async -5", "async 0 a"]);

    // The blocking bridge runs the same receivers in the same order (the
    // timer receiver needs tokio's reactor, which this runtime provides to
    // a blocking section).
    LOG.lock().unwrap().clear();
    tokio::task::block_in_place(|| {
        let _guard = tokio::runtime::Handle::current().enter();
        Mixed { tag: "ok" }.send_blocking().unwrap();
    });
    assert_eq!(LOG.lock().unwrap().len(), 5);
    connection.disconnect();
}

mod robust {
    use super::*;

    pub static RAN: AtomicUsize = AtomicUsize::new(0);

    /// Receivers that fail in every way.
    #[signal(async)]
    pub struct Flaky {}

    #[receiver(signal = Flaky, order = 1)]
    async fn errs(_: &Flaky) -> Result<(), std::io::Error> {
        tokio::task::yield_now().await;
        RAN.fetch_add(1, Ordering::SeqCst);
        Err(std::io::Error::other("disk full"))
    }

    #[receiver(signal = Flaky, order = 2)]
    async fn panics_in_future(_: &Flaky) {
        tokio::task::yield_now().await;
        RAN.fetch_add(1, Ordering::SeqCst);
        panic!("boom inside the future");
    }

    #[receiver(signal = Flaky, order = 3)]
    fn panics_sync(_: &Flaky) {
        RAN.fetch_add(1, Ordering::SeqCst);
        panic!("boom before any future");
    }

    #[receiver(signal = Flaky, order = 4)]
    async fn fine(_: &Flaky) {
        RAN.fetch_add(1, Ordering::SeqCst);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_robust_async_reports_errors_and_panics_and_runs_the_rest() {
    use robust::*;
    let before = RAN.load(Ordering::SeqCst);
    let report = Flaky {}.send_robust_async().await;
    assert_eq!(RAN.load(Ordering::SeqCst) - before, 4);
    assert_eq!(report.len(), 4);
    assert!(!report.is_ok());
    let failures: Vec<(&str, bool, Option<&str>)> = report
        .failures()
        .map(|f| (f.receiver_name(), f.is_panic(), f.panic_message()))
        .collect();
    assert_eq!(
        failures,
        [
            ("async_signals::robust::errs", false, None),
            (
                "async_signals::robust::panics_in_future",
                true,
                Some("boom inside the future")
            ),
            (
                "async_signals::robust::panics_sync",
                true,
                Some("boom before any future")
            ),
        ]
    );
    assert_eq!(
        report
            .failures()
            .next()
            .unwrap()
            .as_error()
            .unwrap()
            .to_string(),
        "disk full"
    );

    // The concurrent mode reports the same failures, in the same order.
    let concurrent = Flaky {}.send_robust_concurrent().await;
    let names: Vec<&str> = concurrent.failures().map(|f| f.receiver_name()).collect();
    assert_eq!(
        names,
        [
            "async_signals::robust::errs",
            "async_signals::robust::panics_in_future",
            "async_signals::robust::panics_sync"
        ]
    );
    assert_eq!(concurrent.len(), 4);
}

mod spawned {
    use super::*;

    pub static SEEN: AtomicUsize = AtomicUsize::new(0);

    /// A signal whose fields are `Sync`.
    #[signal(async)]
    pub struct Shared<'a> {
        pub user: &'a Arc<String>,
    }

    #[receiver(signal = Shared)]
    async fn audit(event: &Shared<'_>) {
        tokio::task::yield_now().await;
        assert_eq!(event.user.as_str(), "ada");
        SEEN.fetch_add(1, Ordering::SeqCst);
    }
}

/// Compile-time proof: these only compile if the futures are `Send`.
fn assert_send<T: Send>(value: T) -> T {
    value
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_async_futures_are_send_and_run_inside_tokio_spawn() {
    use spawned::*;
    let user = Arc::new("ada".to_owned());
    let handle = tokio::spawn(async move {
        let signal = Shared { user: &user };
        assert_send(signal.send_async()).await.unwrap();
        assert_send(signal.send_robust_async()).await.len()
    });
    assert_eq!(handle.await.unwrap(), 1);
    assert_eq!(SEEN.load(Ordering::SeqCst), 2);
}

mod cancel {
    use super::*;

    pub static GATE: tokio::sync::Notify = tokio::sync::Notify::const_new();
    pub static STARTED: AtomicUsize = AtomicUsize::new(0);
    pub static FINISHED: AtomicUsize = AtomicUsize::new(0);

    /// A signal whose receiver waits on a gate.
    #[signal(async)]
    pub struct Gated {
        pub wait: bool,
    }

    #[receiver(signal = Gated)]
    async fn waits(event: &Gated) {
        STARTED.fetch_add(1, Ordering::SeqCst);
        if event.wait {
            GATE.notified().await;
        }
        FINISHED.fetch_add(1, Ordering::SeqCst);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_a_send_part_way_leaves_everything_usable() {
    use cancel::*;
    let count = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&count);
    let connection = Gated::connect(move |_: &Gated| {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    let timed_out =
        tokio::time::timeout(Duration::from_millis(20), Gated { wait: true }.send_async()).await;
    assert!(
        timed_out.is_err(),
        "the receiver is still waiting on the gate"
    );
    assert_eq!(STARTED.load(Ordering::SeqCst), 1);
    assert_eq!(FINISHED.load(Ordering::SeqCst), 0);
    assert_eq!(
        count.load(Ordering::SeqCst),
        0,
        "the receiver after the pending one never ran"
    );

    // Connect and disconnect still work, and a full send succeeds.
    let extra = Gated::connect(|_: &Gated| {});
    drop(extra);
    Gated { wait: false }.send_async().await.unwrap();
    assert_eq!(FINISHED.load(Ordering::SeqCst), 1);
    assert_eq!(count.load(Ordering::SeqCst), 1);
    drop(connection);
}

mod overlap {
    use super::*;

    pub static BARRIER: std::sync::LazyLock<tokio::sync::Barrier> =
        std::sync::LazyLock::new(|| tokio::sync::Barrier::new(2));

    /// Two receivers that each wait for the other.
    #[signal(async)]
    pub struct Rendezvous {}

    #[receiver(signal = Rendezvous)]
    async fn left(_: &Rendezvous) {
        BARRIER.wait().await;
    }

    #[receiver(signal = Rendezvous)]
    async fn right(_: &Rendezvous) {
        BARRIER.wait().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_robust_mode_really_overlaps_receivers() {
    use overlap::*;
    // Sequential delivery could never pass the barrier: the first receiver
    // would wait for the second, which would not have started.
    let report = tokio::time::timeout(
        Duration::from_secs(10),
        Rendezvous {}.send_robust_concurrent(),
    )
    .await
    .expect("both receivers meet at the barrier");
    assert!(report.is_ok());
    assert_eq!(report.len(), 2);
}

/// A signal sent from synchronous code.
#[signal(async)]
pub struct Plain {
    pub n: u32,
}

#[test]
fn send_blocking_works_without_any_runtime() {
    let total = Arc::new(AtomicUsize::new(0));
    let sink = Arc::clone(&total);
    let _connection = Plain::connect_async(move |plain: &Plain| {
        let n = plain.n as usize;
        let sink = Arc::clone(&sink);
        async move {
            // A future that is pending once, woken by another thread.
            let (tx, rx) = std::sync::mpsc::channel::<()>();
            let waker_thread = std::thread::spawn(move || tx.send(()).unwrap());
            YieldOnce(false).await;
            rx.recv().unwrap();
            waker_thread.join().unwrap();
            sink.fetch_add(n, Ordering::SeqCst);
        }
    });
    Plain { n: 3 }.send_blocking().unwrap();
    assert!(Plain { n: 4 }.send_robust_blocking().is_ok());
    assert_eq!(total.load(Ordering::SeqCst), 7);
}

/// Pending once, then ready: wakes itself so the blocking loop polls again.
struct YieldOnce(bool);

impl std::future::Future for YieldOnce {
    type Output = ();
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        if self.0 {
            std::task::Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    }
}
