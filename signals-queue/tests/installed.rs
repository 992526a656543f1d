//! Sends without a transaction: `send_async()` (and `send()`,
//! `send_robust*()`) of a durable signal enqueue on the installed queue, and
//! with durable receivers and no queue installed they fail with a
//! `SendError` that says so, before any receiver runs: never a dropped job.
//! One test, in its own binary: the installed queue is global to the
//! process.

mod common;

use std::sync::atomic::{AtomicU32, Ordering};

use signals_core::{receiver, signal};

/// A user signed up (async signal).
#[signal(async, durable)]
#[derive(serde::Serialize, serde::Deserialize)]
pub struct SignedUp {
    pub user: u64,
}

/// A page was viewed (synchronous signal).
#[signal(durable)]
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Viewed {
    pub page: String,
}

/// A signal with no durable receiver linked.
#[signal(async, durable)]
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Quiet {
    pub n: u64,
}

static INLINE: AtomicU32 = AtomicU32::new(0);
static WELCOMED: AtomicU32 = AtomicU32::new(0);
static VIEWS: AtomicU32 = AtomicU32::new(0);

#[receiver(signal = SignedUp)]
fn count_inline(_: &SignedUp) {
    INLINE.fetch_add(1, Ordering::SeqCst);
}

#[receiver(signal = SignedUp, durable)]
async fn welcome(_: &SignedUp) {
    WELCOMED.fetch_add(1, Ordering::SeqCst);
}

#[receiver(signal = Viewed, durable, name = "views")]
fn count_view(_: &Viewed) {
    VIEWS.fetch_add(1, Ordering::SeqCst);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_enqueue_on_the_installed_queue_and_fail_without_one() {
    // No queue: an error naming the way out, and no receiver ran.
    let error = SignedUp { user: 1 }.send_async().await.unwrap_err();
    assert_eq!(error.receiver_name(), "installed::welcome");
    assert!(
        error.to_string().contains("no queue is installed"),
        "{error}"
    );
    assert!(error.to_string().contains("send_in"), "{error}");
    assert_eq!(INLINE.load(Ordering::SeqCst), 0, "nothing ran");
    let error = tokio::task::block_in_place(|| Viewed { page: "/".into() }.send()).unwrap_err();
    assert_eq!(error.receiver_name(), "views");
    let report = SignedUp { user: 1 }.send_robust_async().await;
    assert_eq!((report.len(), report.failures().count()), (2, 1));
    assert_eq!(
        report.failures().next().unwrap().receiver_name(),
        "installed::welcome"
    );
    assert_eq!(
        INLINE.load(Ordering::SeqCst),
        1,
        "a robust send runs the inline receivers"
    );
    // Without durable receivers there is nothing to enqueue.
    Quiet { n: 1 }.send_async().await.unwrap();

    let db = common::sqlite().await;
    db.queue.install();
    SignedUp { user: 2 }.send_async().await.unwrap();
    assert!(SignedUp { user: 3 }.send_robust_concurrent().await.is_ok());
    tokio::task::block_in_place(|| Viewed { page: "/a".into() }.send()).unwrap();
    assert!(tokio::task::block_in_place(|| Viewed { page: "/b".into() }.send_robust()).is_ok());
    let stats = db.queue.stats().await.unwrap();
    assert_eq!(stats.queued, 4, "{stats:?}");
    assert_eq!(WELCOMED.load(Ordering::SeqCst), 0);

    let report = db.queue.worker().run_until_idle().await.unwrap();
    assert_eq!(report.succeeded, 4);
    assert_eq!(WELCOMED.load(Ordering::SeqCst), 2);
    assert_eq!(VIEWS.load(Ordering::SeqCst), 2);

    // A synchronous send on a current-thread runtime cannot write: an
    // error, not a hang.
    let outcome = std::thread::spawn(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async { Viewed { page: "/c".into() }.send() })
    })
    .join()
    .unwrap();
    let error = outcome.unwrap_err();
    assert!(error.to_string().contains("current-thread"), "{error}");

    assert!(signals_core::durable::uninstall());
    assert!(SignedUp { user: 4 }.send_async().await.is_err());
    db.close().await;
}
