//! `send_robust` and its async forms never unwind: a panic anywhere in a
//! robust dispatch is in the `Report`, named after the receiver it came
//! from. One test per source of panic: a receiver, a filter, a future (while
//! polled and while dropped), and a closure dropped at the end of the
//! dispatch because a receiver disconnected it and the dispatch held the
//! last reference to it. `send` hands such a drop's panic on to its caller,
//! after every receiver ran, as it does a receiver's panic. A durable
//! signal's robust send also stores its jobs: a panic while encoding the
//! signal, in the installed queue, in a storing future (polled, or dropped
//! before it started) is a failure of each durable receiver.

use signals_core::{signal, ConnectOptions, Connection};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Panics when dropped, even while the thread is already unwinding: where
/// such a drop is not contained, the test binary aborts.
struct PanicOnDrop(&'static str);

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        panic!("{}", self.0);
    }
}

/// The panic message of a payload.
fn message(payload: &(dyn std::any::Any + Send)) -> &str {
    payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("<not a string>")
}

/// Each failure of a report: the receiver's name and its panic message.
fn panics<T>(report: &signals_core::Report<T>) -> Vec<(String, Option<String>)> {
    report
        .failures()
        .map(|f| {
            (
                f.receiver_name().to_owned(),
                f.panic_message().map(str::to_owned),
            )
        })
        .collect()
}

/// Connects `victim`, whose closure owns a `PanicOnDrop`, and before it
/// `killer`, which drops the victim's `Connection` during the dispatch: the
/// dispatch's snapshot then holds the last reference to the victim's
/// closure, which is dropped when the dispatch ends. Returns the killer's
/// connection and how often the victim ran.
macro_rules! victim_and_killer {
    ($signal:ident, $slot:ident, $message:literal) => {{
        static $slot: Mutex<Option<Connection>> = Mutex::new(None);
        let ran = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&ran);
        let bomb = PanicOnDrop($message);
        let victim =
            $signal::connect_with(ConnectOptions::new().name("victim"), move |_: &$signal| {
                let _owned = &bomb;
                counter.fetch_add(1, Ordering::SeqCst);
            });
        *$slot.lock().unwrap() = Some(victim);
        let killer = $signal::connect_with(
            ConnectOptions::new().order(-1).name("killer"),
            |_: &$signal| {
                let victim = $slot.lock().unwrap().take();
                drop(victim);
            },
        );
        (killer, ran)
    }};
}

#[signal]
pub struct Dropped {}

#[test]
fn a_closure_dropped_at_the_end_of_send_robust_is_reported_not_thrown() {
    let (killer, ran) = victim_and_killer!(Dropped, DROPPED_SLOT, "victim dropped");
    let report = catch_unwind(|| Dropped {}.send_robust()).expect("send_robust never unwinds");
    // The victim was connected when the dispatch started: it ran.
    assert_eq!(ran.load(Ordering::SeqCst), 1);
    assert_eq!(report.len(), 2);
    let failures: Vec<_> = report.failures().collect();
    assert_eq!(failures.len(), 1, "{report}");
    assert_eq!(failures[0].receiver_name(), "victim");
    assert!(failures[0].is_panic());
    assert_eq!(failures[0].panic_message(), Some("victim dropped"));
    // After the two receivers called.
    assert_eq!(failures[0].position(), 2);
    // Gone for the next dispatch.
    let report = Dropped {}.send_robust();
    assert!(report.is_ok());
    assert_eq!(report.len(), 1);
    drop(killer);
}

#[signal]
pub struct DroppedBySend {}

#[test]
fn send_hands_on_the_panic_of_a_closure_dropped_at_its_end_after_every_receiver_ran() {
    let (killer, ran) = victim_and_killer!(DroppedBySend, SEND_SLOT, "dropped after send");
    let payload = catch_unwind(|| DroppedBySend {}.send()).expect_err("send hands the panic on");
    assert_eq!(message(&*payload), "dropped after send");
    assert_eq!(ran.load(Ordering::SeqCst), 1);
    // The registry is unharmed.
    DroppedBySend {}.send().unwrap();
    assert_eq!(DroppedBySend::receivers().len(), 1);
    drop(killer);
}

#[signal(async)]
pub struct DroppedAsync {}

#[test]
fn a_closure_dropped_at_the_end_of_send_robust_async_is_reported() {
    let (killer, ran) = victim_and_killer!(DroppedAsync, ASYNC_SLOT, "victim dropped (async)");
    let report = catch_unwind(|| DroppedAsync {}.send_robust_blocking())
        .expect("send_robust_blocking never unwinds");
    assert_eq!(ran.load(Ordering::SeqCst), 1);
    let failures: Vec<_> = report.failures().collect();
    assert_eq!(failures.len(), 1, "{report}");
    assert_eq!(failures[0].receiver_name(), "victim");
    assert_eq!(failures[0].panic_message(), Some("victim dropped (async)"));
    drop(killer);
}

#[signal]
pub struct TwoDropped {}

#[test]
fn every_closure_dropped_at_the_end_is_reported_when_several_panic() {
    static SLOTS: Mutex<Vec<Connection>> = Mutex::new(Vec::new());
    for (name, text) in [("first victim", "first"), ("second victim", "second")] {
        let bomb = PanicOnDrop(text);
        let connection =
            TwoDropped::connect_with(ConnectOptions::new().name(name), move |_: &TwoDropped| {
                let _owned = &bomb;
            });
        SLOTS.lock().unwrap().push(connection);
    }
    let killer = TwoDropped::connect_with(ConnectOptions::new().order(-1), |_: &TwoDropped| {
        let victims = std::mem::take(&mut *SLOTS.lock().unwrap());
        drop(victims);
    });
    let report = catch_unwind(|| TwoDropped {}.send_robust()).expect("send_robust never unwinds");
    let mut failures: Vec<(String, Option<String>)> = report
        .failures()
        .map(|f| {
            (
                f.receiver_name().to_owned(),
                f.panic_message().map(str::to_owned),
            )
        })
        .collect();
    failures.sort();
    assert_eq!(
        failures,
        [
            ("first victim".to_owned(), Some("first".to_owned())),
            ("second victim".to_owned(), Some("second".to_owned())),
        ]
    );
    drop(killer);
}

#[signal]
pub struct Filtered {}

#[test]
fn a_panicking_filter_is_reported_under_its_receiver() {
    let ran = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&ran);
    let filtered = Filtered::connect_filtered(
        |_: &Filtered| -> bool { panic!("filter panicked") },
        |_: &Filtered| {},
    );
    let after = Filtered::connect(move |_: &Filtered| {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    let report = catch_unwind(|| Filtered {}.send_robust()).expect("send_robust never unwinds");
    let failures: Vec<_> = report.failures().collect();
    assert_eq!(failures.len(), 1, "{report}");
    assert!(failures[0].is_panic());
    assert_eq!(failures[0].panic_message(), Some("filter panicked"));
    assert_eq!(failures[0].position(), 0);
    // The receiver after it still ran.
    assert_eq!(ran.load(Ordering::SeqCst), 1);
    drop((filtered, after));
}

#[signal(async)]
pub struct Futures {}

/// A future that panics when polled, or when dropped after it finished.
struct Misbehaving {
    panic_in_poll: bool,
    _bomb: Option<PanicOnDrop>,
}

impl std::future::Future for Misbehaving {
    type Output = ();
    fn poll(self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        if self.panic_in_poll {
            panic!("future panicked in poll");
        }
        std::task::Poll::Ready(())
    }
}

#[test]
fn a_future_that_panics_when_polled_or_dropped_is_reported_in_every_async_form() {
    let polled =
        Futures::connect_async_with(ConnectOptions::new().name("polled"), |_: &Futures| {
            Misbehaving {
                panic_in_poll: true,
                _bomb: None,
            }
        });
    let dropped =
        Futures::connect_async_with(ConnectOptions::new().name("dropped"), |_: &Futures| {
            Misbehaving {
                panic_in_poll: false,
                _bomb: Some(PanicOnDrop("future dropped")),
            }
        });
    let expected = [
        (
            "polled".to_owned(),
            Some("future panicked in poll".to_owned()),
        ),
        ("dropped".to_owned(), Some("future dropped".to_owned())),
    ];
    let robust = catch_unwind(AssertUnwindSafe(|| Futures {}.send_robust_blocking()))
        .expect("send_robust_async never unwinds");
    assert_eq!(panics(&robust), expected);
    assert_eq!(robust.len(), 2);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let concurrent = catch_unwind(AssertUnwindSafe(|| {
        runtime.block_on(Futures {}.send_robust_concurrent())
    }))
    .expect("send_robust_concurrent never unwinds");
    assert_eq!(panics(&concurrent), expected);
    drop((polled, dropped));
}

#[signal]
pub struct DroppedWhileUnwinding {}

#[test]
fn send_unwinding_from_a_receiver_drops_a_panicking_closure_without_aborting() {
    let (killer, ran) = victim_and_killer!(DroppedWhileUnwinding, UNWIND_SLOT, "second panic");
    let failing = DroppedWhileUnwinding::connect_with(
        ConnectOptions::new().order(5).name("failing"),
        |_: &DroppedWhileUnwinding| -> Result<(), &'static str> { panic!("first panic") },
    );
    // The receiver's panic unwinds `send`; the victim's closure is dropped
    // during that unwinding, and its own panic is contained there (a second
    // panic while unwinding would abort the whole test binary).
    let payload =
        catch_unwind(|| DroppedWhileUnwinding {}.send()).expect_err("the receiver's panic");
    assert_eq!(message(&*payload), "first panic");
    assert_eq!(ran.load(Ordering::SeqCst), 1);
    assert_eq!(DroppedWhileUnwinding::receivers().len(), 2);
    drop((killer, failing));
}

/// A durable signal's robust send stores its jobs as part of the dispatch:
/// a panic while encoding the signal, in the installed queue, or in the
/// drop of the future it made and never started, is a failure of each
/// durable receiver in the report, and the inline receivers still ran.
mod durable {
    use super::*;
    use signals_core::durable::{self, JobFuture, JobQueue, NewJobs};
    use signals_core::{receiver, BoxError};

    /// A queue that fails the way each signal's test asks, by its name.
    struct Misbehaving;

    impl JobQueue for Misbehaving {
        fn enqueue(&self, jobs: NewJobs) -> JobFuture {
            assert!(jobs.signal_name().ends_with("StoredAsync"));
            Box::pin(async { panic!("storing future panicked") })
        }

        fn enqueue_blocking(&self, jobs: NewJobs) -> Result<(), BoxError> {
            assert!(!jobs.signal_name().ends_with("StoredAsync"));
            // Made, then given up before it ran (as a queue does when it
            // finds no runtime to run it on); its drop panics.
            let bomb = PanicOnDrop("unstarted future dropped");
            let write = async move {
                let _held = &bomb;
                Ok::<(), BoxError>(())
            };
            drop(write);
            Err("no runtime".into())
        }
    }

    /// Installs the queue once: every test of this module uses the same.
    fn install() {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| durable::install(Arc::new(Misbehaving)));
    }

    static INLINE_RUNS: AtomicUsize = AtomicUsize::new(0);

    #[signal(durable)]
    #[derive(serde::Serialize, serde::Deserialize)]
    pub struct StoredSync {
        pub id: u64,
    }

    #[receiver(signal = StoredSync)]
    fn stored_sync_inline(_: &StoredSync) {
        INLINE_RUNS.fetch_add(1, Ordering::SeqCst);
    }

    #[receiver(signal = StoredSync, durable, name = "stored_sync_job")]
    fn stored_sync_job(_: &StoredSync) {}

    #[test]
    fn a_future_the_queue_drops_unstarted_is_reported_not_thrown() {
        install();
        let before = INLINE_RUNS.load(Ordering::SeqCst);
        let report =
            catch_unwind(|| StoredSync { id: 1 }.send_robust()).expect("send_robust never unwinds");
        assert_eq!(
            panics(&report),
            [(
                "stored_sync_job".to_owned(),
                Some("unstarted future dropped".to_owned())
            )]
        );
        assert!(report.failures().all(|f| f.is_panic()));
        assert_eq!(report.len(), 2, "the inline receiver and the job");
        assert_eq!(INLINE_RUNS.load(Ordering::SeqCst), before + 1);
    }

    /// Serialises by panicking.
    pub struct Unserialisable;

    impl serde::Serialize for Unserialisable {
        fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            panic!("serialize panicked")
        }
    }

    impl<'de> serde::Deserialize<'de> for Unserialisable {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            <()>::deserialize(d).map(|()| Unserialisable)
        }
    }

    #[signal(durable)]
    #[derive(serde::Serialize, serde::Deserialize)]
    pub struct Unencodable {
        pub field: Unserialisable,
    }

    #[receiver(signal = Unencodable, durable, name = "unencodable_job")]
    fn unencodable_job(_: &Unencodable) {}

    #[test]
    fn a_panic_while_encoding_the_signal_is_reported_not_thrown() {
        install();
        let report = catch_unwind(|| {
            Unencodable {
                field: Unserialisable,
            }
            .send_robust()
        })
        .expect("send_robust never unwinds");
        assert_eq!(
            panics(&report),
            [(
                "unencodable_job".to_owned(),
                Some("serialize panicked".to_owned())
            )]
        );
    }

    #[signal(async, durable)]
    #[derive(serde::Serialize, serde::Deserialize)]
    pub struct StoredAsync {
        pub id: u64,
    }

    #[receiver(signal = StoredAsync, durable, name = "stored_async_job")]
    async fn stored_async_job(_: &StoredAsync) {}

    #[test]
    fn a_panicking_enqueue_future_is_reported_in_every_async_form() {
        install();
        let expected = [(
            "stored_async_job".to_owned(),
            Some("storing future panicked".to_owned()),
        )];
        let report = catch_unwind(AssertUnwindSafe(|| {
            StoredAsync { id: 1 }.send_robust_blocking()
        }))
        .expect("send_robust_async never unwinds");
        assert_eq!(panics(&report), expected);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let concurrent = catch_unwind(AssertUnwindSafe(|| {
            runtime.block_on(StoredAsync { id: 2 }.send_robust_concurrent())
        }))
        .expect("send_robust_concurrent never unwinds");
        assert_eq!(panics(&concurrent), expected);
    }
}
