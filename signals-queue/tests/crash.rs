//! A worker killed mid-job (a real child process, SIGKILL) leaves its job
//! running in the table until the lease ends; then another worker takes it
//! and runs it: at-least-once delivery across a crash.

mod common;

use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::TestDb;
use signals_core::{receiver, signal};

/// Set in the child process: its worker hangs in the job until killed.
const CHILD: &str = "SIGNALS_QUEUE_CRASH_CHILD";

/// Work that crashes the first worker.
#[signal(async, durable)]
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Crash {
    /// A file the child writes once the job started.
    pub marker: String,
}

/// The markers of the jobs that ran in this process.
static RAN: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn runs(marker: &str) -> usize {
    RAN.lock().unwrap().iter().filter(|m| *m == marker).count()
}

#[receiver(signal = Crash, durable)]
async fn crashing(c: &Crash) {
    if std::env::var_os(CHILD).is_some() {
        std::fs::write(&c.marker, "started").unwrap();
        std::future::pending::<()>().await;
    }
    RAN.lock().unwrap().push(c.marker.clone());
}

/// The child process's worker: started by the tests below, never on its own.
// Ignored because it is not a test: the SIGKILL tests run this binary again
// with `--ignored --exact child_worker` and the database URL in its
// environment, then kill it mid-job; alone it would wait for jobs forever.
#[test]
#[ignore = "the child process of the SIGKILL tests"]
fn child_worker() {
    let url = std::env::var(CHILD).expect("run by the SIGKILL tests, which set the database URL");
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let queue = signals_queue::Queue::connect(&url).await.unwrap();
        queue
            .worker()
            .lease(Duration::from_secs(1))
            .run_until_idle()
            .await
            .unwrap();
    });
}

async fn killed_worker_leaves_its_job_to_another_after_the_lease(db: TestDb, engine: &str) {
    let marker = std::env::temp_dir().join(format!(
        "signals_queue_crash_{}_{engine}",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&marker);
    let name = marker.display().to_string();
    let job = Crash {
        marker: name.clone(),
    };
    db.send_in_tx(&[job], true).await.unwrap();

    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_worker", "--ignored", "--nocapture"])
        .env(CHILD, &db.url)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !marker.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the child never started the job"
        );
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the child worker exited early: {status}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().unwrap(); // SIGKILL: no shutdown, no release
    child.wait().unwrap();
    let stats = db.queue.stats().await.unwrap();
    assert_eq!(
        stats.running, 1,
        "still leased to the dead worker: {stats:?}"
    );
    assert_eq!(runs(&name), 0);

    let report = db
        .queue
        .worker()
        .poll_interval(Duration::from_millis(20))
        .run_until_idle()
        .await
        .unwrap();
    assert_eq!(report.succeeded, 1);
    assert_eq!(runs(&name), 1);
    assert_eq!(
        db.queue.stats().await.unwrap(),
        signals_queue::Stats::default()
    );
    let _ = std::fs::remove_file(&marker);
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_killed_worker_leaves_its_job_to_another_after_the_lease() {
    killed_worker_leaves_its_job_to_another_after_the_lease(common::sqlite().await, "sqlite").await;
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_killed_worker_leaves_its_job_to_another_after_the_lease() {
    killed_worker_leaves_its_job_to_another_after_the_lease(common::postgres().await, "postgres")
        .await;
}
