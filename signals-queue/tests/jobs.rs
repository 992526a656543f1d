//! The contract of durable receivers on a real database (SQLite always;
//! PostgreSQL too with the feature `postgres`): `send_in` writes one job per
//! durable receiver inside the caller's transaction (none after a
//! rollback); workers run each job exactly once when nothing fails, even
//! four at a time; a failing job is retried with backoff up to its
//! `retries`, then dead, listed and retryable; a payload that no longer
//! decodes and a receiver this binary does not link are reported and do not
//! block other jobs; an attempt past the worker's timeout fails like an
//! error; graceful shutdown finishes or hands back running jobs; one
//! durable receiver of several signals (`signals = [...]`) gets a job per
//! signal, each run with its own signal; the catalog marks durable receivers.

mod common;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use common::{wait_for, TestDb};
use signals_core::{receiver, signal};
use signals_queue::{Backoff, Stats, Worker};

/// Runs of each receiver, per (receiver, test run, item).
type Runs = HashMap<(&'static str, u64, u64), u32>;
static RUNS: Mutex<Option<Runs>> = Mutex::new(None);

fn ran(receiver: &'static str, run: u64, n: u64) -> u32 {
    let mut runs = RUNS.lock().unwrap();
    let count = runs
        .get_or_insert_with(HashMap::new)
        .entry((receiver, run, n))
        .or_insert(0);
    *count += 1;
    *count
}

fn runs(receiver: &'static str, run: u64, n: u64) -> u32 {
    let runs = RUNS.lock().unwrap();
    runs.as_ref()
        .and_then(|r| r.get(&(receiver, run, n)).copied())
        .unwrap_or(0)
}

fn new_run() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// An order was placed.
#[signal(async, durable)]
#[derive(serde::Serialize, serde::Deserialize, Debug)]
pub struct Placed {
    pub run: u64,
    pub n: u64,
}

#[receiver(signal = Placed)]
fn placed_inline(p: &Placed) {
    ran("inline", p.run, p.n);
}

#[receiver(signal = Placed, durable)]
async fn placed_receipt(p: &Placed) {
    ran("receipt", p.run, p.n);
}

#[receiver(signal = Placed, durable, retries = 1, name = "audit")]
fn placed_audit(p: &Placed) -> Result<(), String> {
    ran("audit", p.run, p.n);
    Ok(())
}

/// Fails twice, then succeeds.
#[signal(async, durable)]
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Flaky {
    pub run: u64,
}

#[receiver(signal = Flaky, durable, retries = 5)]
async fn flaky(f: &Flaky) -> Result<(), String> {
    if ran("flaky", f.run, 0) <= 2 {
        Err(format!("attempt failed for run {}", f.run))
    } else {
        Ok(())
    }
}

/// Always fails (or panics), until its run is fixed.
#[signal(async, durable)]
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Doomed {
    pub run: u64,
    pub panics: bool,
}

static FIXED: Mutex<Vec<u64>> = Mutex::new(Vec::new());

#[receiver(signal = Doomed, durable, retries = 2)]
async fn doomed(d: &Doomed) -> Result<(), String> {
    ran("doomed", d.run, 0);
    if FIXED.lock().unwrap().contains(&d.run) {
        return Ok(());
    }
    if d.panics {
        panic!("doomed receiver panicked for run {}", d.run);
    }
    Err("mail server down".to_owned())
}

/// Takes a while.
#[signal(async, durable)]
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Slow {
    pub run: u64,
    pub millis: u64,
}

#[receiver(signal = Slow, durable)]
async fn slow(s: &Slow) {
    tokio::time::sleep(Duration::from_millis(s.millis)).await;
    ran("slow", s.run, 0);
}

/// What the receiver of several signals reads from each.
pub trait Parcel {
    fn run(&self) -> u64;
    fn n(&self) -> u64;
}

/// A parcel left (a synchronous signal).
#[signal(durable)]
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Shipped {
    pub run: u64,
    pub n: u64,
}

/// A parcel came back (an async signal).
#[signal(async, durable)]
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Returned {
    pub run: u64,
    pub n: u64,
}

impl Parcel for Shipped {
    fn run(&self) -> u64 {
        self.run
    }
    fn n(&self) -> u64 {
        self.n
    }
}

impl Parcel for Returned {
    fn run(&self) -> u64 {
        self.run
    }
    fn n(&self) -> u64 {
        self.n
    }
}

/// One durable receiver of two signals: a job per signal sent, each run
/// with the signal it was written from.
#[receiver(signals = [Shipped, Returned], durable, retries = 2)]
async fn track<S: signals_core::Signal + Parcel>(parcel: &S) {
    ran(S::NAME, parcel.run(), parcel.n());
}

fn fast_worker(db: &TestDb) -> Worker {
    db.queue
        .worker()
        .poll_interval(Duration::from_millis(10))
        .backoff(Backoff {
            base: Duration::from_millis(10),
            max: Duration::from_millis(40),
        })
}

const LIMIT: Duration = Duration::from_secs(60);

async fn rollback_leaves_no_job_commit_makes_one_per_durable_receiver(db: TestDb) {
    let run = new_run();
    db.send_in_tx(&[Placed { run, n: 1 }], false).await.unwrap();
    assert_eq!(db.queue.stats().await.unwrap(), Stats::default());
    assert_eq!(
        runs("inline", run, 1),
        1,
        "inline receivers run during send_in"
    );

    db.send_in_tx(&[Placed { run, n: 2 }], true).await.unwrap();
    let stats = db.queue.stats().await.unwrap();
    assert_eq!(stats.queued, 2, "one job per durable receiver: {stats:?}");
    assert_eq!(
        runs("receipt", run, 2),
        0,
        "durable receivers do not run during the send"
    );

    let report = fast_worker(&db).run_until_idle().await.unwrap();
    assert_eq!(report.succeeded, 2);
    assert_eq!((runs("receipt", run, 2), runs("audit", run, 2)), (1, 1));
    assert_eq!((runs("receipt", run, 1), runs("audit", run, 1)), (0, 0));
    assert_eq!(db.queue.stats().await.unwrap(), Stats::default());
    db.close().await;
}

async fn four_workers_run_each_job_exactly_once(db: TestDb) {
    let run = new_run();
    let signals: Vec<Placed> = (0..1000).map(|n| Placed { run, n }).collect();
    db.send_in_tx(&signals, true).await.unwrap();
    assert_eq!(db.queue.stats().await.unwrap().queued, 2000);
    let workers: Vec<_> = (0..4)
        .map(|_| fast_worker(&db).concurrency(4).batch(5).spawn())
        .collect();
    wait_for(&db.queue, LIMIT, |s| *s == Stats::default()).await;
    let mut succeeded = 0;
    for worker in workers {
        succeeded += worker.shutdown().await.unwrap().succeeded;
    }
    assert_eq!(succeeded, 2000);
    for n in 0..1000 {
        assert_eq!(runs("receipt", run, n), 1, "receipt of item {n}");
        assert_eq!(runs("audit", run, n), 1, "audit of item {n}");
    }
    db.close().await;
}

async fn failing_twice_then_succeeding_runs_three_times(db: TestDb) {
    let run = new_run();
    db.send_in_tx(&[Flaky { run }], true).await.unwrap();
    let report = fast_worker(&db).run_until_idle().await.unwrap();
    assert_eq!(runs("flaky", run, 0), 3);
    assert_eq!((report.retried, report.succeeded, report.dead), (2, 1, 0));
    assert_eq!(db.queue.stats().await.unwrap(), Stats::default());
    db.close().await;
}

async fn always_failing_ends_dead_and_can_be_retried(db: TestDb) {
    for panics in [false, true] {
        let run = new_run();
        db.send_in_tx(&[Doomed { run, panics }], true)
            .await
            .unwrap();
        let report = fast_worker(&db).run_until_idle().await.unwrap();
        assert_eq!(runs("doomed", run, 0), 3, "retries = 2: three attempts");
        assert_eq!((report.retried, report.dead), (2, 1));
        let dead = db.queue.dead_jobs().await.unwrap();
        assert_eq!(dead.len(), 1);
        let job = &dead[0];
        assert!(job.is_dead);
        assert_eq!((job.attempts, job.max_attempts), (3, 3));
        let error = job.last_error.as_deref().unwrap();
        if panics {
            assert!(
                error.contains("panicked") && error.contains("doomed receiver"),
                "{error}"
            );
        } else {
            assert_eq!(error, "mail server down");
        }
        assert_eq!(db.queue.stats().await.unwrap().dead, 1);

        FIXED.lock().unwrap().push(run);
        assert!(db.queue.retry(job.id).await.unwrap());
        assert!(!db.queue.retry(job.id).await.unwrap(), "no longer dead");
        let report = fast_worker(&db).run_until_idle().await.unwrap();
        assert_eq!(report.succeeded, 1);
        assert_eq!(runs("doomed", run, 0), 4);
        assert_eq!(db.queue.stats().await.unwrap(), Stats::default());
    }
    db.close().await;
}

async fn undecodable_and_unknown_jobs_are_reported_and_block_nothing(db: TestDb) {
    let run = new_run();
    let signal_name = <Placed as signals_core::Signal>::NAME;
    // Written first, so that they are first in line.
    db.execute(&format!(
        "INSERT INTO signals_jobs (signal, receiver, payload, max_attempts, run_at, created_at) VALUES \
         ('{signal_name}', 'audit', '{{\"run\": \"ada@example.com\", \"n\": 1}}', 4, 0, 0), \
         ('{signal_name}', 'gone::receiver', '{{\"run\": 1, \"n\": 1}}', 4, 0, 0), \
         ('no.such.signal', 'audit', '{{}}', 4, 0, 0)"
    ))
    .await;
    db.send_in_tx(&[Placed { run, n: 7 }], true).await.unwrap();

    let report = fast_worker(&db).run_until_idle().await.unwrap();
    assert_eq!((report.succeeded, report.dead), (2, 1), "{report:?}");
    assert_eq!((runs("receipt", run, 7), runs("audit", run, 7)), (1, 1));

    let stats = db.queue.stats().await.unwrap();
    assert_eq!(
        (stats.queued, stats.dead, stats.unknown),
        (2, 1, 2),
        "{stats:?}"
    );
    let dead = db.queue.dead_jobs().await.unwrap();
    let error = dead[0].last_error.as_deref().unwrap();
    assert!(error.contains("does not decode"), "{error}");
    // Stored and logged, so it says where and what kind of mismatch, never
    // the value: payloads carry personal data (serde_json's own message
    // would quote `"ada@example.com"`).
    assert!(!error.contains("ada@"), "{error}");
    assert!(error.contains("line 1 column"), "{error}");
    assert_eq!(dead[0].attempts, 1, "no retry can fix a payload");
    let unknown = db.queue.unknown_jobs().await.unwrap();
    let names: Vec<(&str, &str)> = unknown
        .iter()
        .map(|j| (j.signal.as_str(), j.receiver.as_str()))
        .collect();
    assert_eq!(
        names,
        [(signal_name, "gone::receiver"), ("no.such.signal", "audit")]
    );
    assert!(unknown.iter().all(|j| j.attempts == 0), "never claimed");
    db.close().await;
}

/// Commits one `Slow` job that sleeps `millis`; returns its run.
async fn send_slow(db: &TestDb, millis: u64) -> u64 {
    let run = new_run();
    db.send_in_tx(&[Slow { run, millis }], true).await.unwrap();
    run
}

async fn shutdown_finishes_or_hands_back_running_jobs(db: TestDb) {
    let run = send_slow(&db, 300).await;
    let worker = fast_worker(&db).spawn();
    wait_for(&db.queue, LIMIT, |s| s.running == 1).await;
    let report = worker.shutdown().await.unwrap();
    assert_eq!((report.succeeded, report.released), (1, 0));
    assert_eq!(runs("slow", run, 0), 1);
    assert_eq!(db.queue.stats().await.unwrap(), Stats::default());

    send_slow(&db, 60_000).await;
    let worker = fast_worker(&db)
        .shutdown_grace(Duration::from_millis(50))
        .spawn();
    wait_for(&db.queue, LIMIT, |s| s.running == 1).await;
    let report = worker.shutdown().await.unwrap();
    assert_eq!((report.succeeded, report.released), (0, 1));
    let stats = db.queue.stats().await.unwrap();
    assert_eq!(
        stats.queued, 1,
        "handed back, its attempt not counted: {stats:?}"
    );
    db.close().await;
}

async fn an_attempt_past_its_timeout_fails_and_ends_dead(db: TestDb) {
    let run = send_slow(&db, 60_000).await;
    let report = fast_worker(&db)
        .timeout(Duration::from_millis(50))
        .run_until_idle()
        .await
        .unwrap();
    // `slow` has the default 3 retries: 4 attempts, each stopped.
    assert_eq!(
        (report.succeeded, report.retried, report.dead),
        (0, 3, 1),
        "{report:?}"
    );
    assert_eq!(runs("slow", run, 0), 0, "no attempt ran to its end");
    let dead = db.queue.dead_jobs().await.unwrap();
    let error = dead[0].last_error.as_deref().unwrap();
    assert!(error.contains("timeout"), "{error}");
    db.close().await;
}

async fn one_durable_receiver_of_several_signals_runs_each_with_its_own(db: TestDb) {
    use signals_core::Signal;
    let run = new_run();
    db.send_in_tx(&[Shipped { run, n: 1 }], true).await.unwrap();
    db.send_in_tx(&[Returned { run, n: 2 }], true)
        .await
        .unwrap();
    assert_eq!(db.queue.stats().await.unwrap().queued, 2);

    let report = fast_worker(&db).run_until_idle().await.unwrap();
    assert_eq!((report.succeeded, report.dead), (2, 0), "{report:?}");
    let (shipped, returned) = (Shipped::NAME, Returned::NAME);
    assert_eq!((runs(shipped, run, 1), runs(returned, run, 2)), (1, 1));
    // Each job decoded its own signal, not the other.
    assert_eq!((runs(shipped, run, 2), runs(returned, run, 1)), (0, 0));
    for signal in [shipped, returned] {
        let described: Vec<(&str, u32)> = signals_core::durable::receivers_of(signal)
            .iter()
            .map(|r| (r.name(), r.retries()))
            .collect();
        assert_eq!(described, [("jobs::track", 2)], "{signal}");
    }
    db.close().await;
}

#[test]
fn the_catalog_marks_durable_receivers() {
    let receivers = Placed::receivers();
    let described: Vec<(&str, bool, Option<u32>)> = receivers
        .iter()
        .map(|r| (r.name(), r.is_durable(), r.retries()))
        .collect();
    assert_eq!(
        described,
        [
            ("jobs::placed_inline", false, None),
            ("audit", true, Some(1)),
            ("jobs::placed_receipt", true, Some(3)),
        ]
    );
    assert!(receivers[2].to_string().contains("durable"));
    let catalog = signals_core::catalog();
    let entry = catalog.get(<Placed as signals_core::Signal>::NAME).unwrap();
    assert_eq!(
        entry.receivers().iter().filter(|r| r.is_durable()).count(),
        2
    );
    assert_eq!(
        signals_core::durable::receivers_of(<Placed as signals_core::Signal>::NAME).len(),
        2
    );
}

macro_rules! engine_tests {
    ($engine:ident) => {
        mod $engine {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn rollback_leaves_no_job_commit_makes_one_per_durable_receiver() {
                super::rollback_leaves_no_job_commit_makes_one_per_durable_receiver(
                    common::$engine().await,
                )
                .await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn four_workers_run_each_job_exactly_once() {
                super::four_workers_run_each_job_exactly_once(common::$engine().await).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn failing_twice_then_succeeding_runs_three_times() {
                super::failing_twice_then_succeeding_runs_three_times(common::$engine().await)
                    .await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn always_failing_ends_dead_and_can_be_retried() {
                super::always_failing_ends_dead_and_can_be_retried(common::$engine().await).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn undecodable_and_unknown_jobs_are_reported_and_block_nothing() {
                super::undecodable_and_unknown_jobs_are_reported_and_block_nothing(
                    common::$engine().await,
                )
                .await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn an_attempt_past_its_timeout_fails_and_ends_dead() {
                super::an_attempt_past_its_timeout_fails_and_ends_dead(common::$engine().await)
                    .await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn one_durable_receiver_of_several_signals_runs_each_with_its_own() {
                super::one_durable_receiver_of_several_signals_runs_each_with_its_own(
                    common::$engine().await,
                )
                .await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn shutdown_finishes_or_hands_back_running_jobs() {
                super::shutdown_finishes_or_hands_back_running_jobs(common::$engine().await).await;
            }
        }
    };
}

engine_tests!(sqlite);
#[cfg(feature = "postgres")]
engine_tests!(postgres);
