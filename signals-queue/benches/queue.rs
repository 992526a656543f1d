//! Throughput of durable receivers, on a real database.
//!
//! - `jobs`: no-op jobs per second through one worker (one job at a time),
//!   four workers (one job at a time each), and one worker claiming 10 at a
//!   time (concurrency 10); each sample drains `JOBS` jobs enqueued before
//!   it (not timed). `backlog` puts that many dead jobs in the table first:
//!   the claim must not slow down as rows pile up.
//! - `enqueue`: one transaction that inserts an order row, with and without
//!   `send_in` of a durable signal (one durable receiver): the cost of
//!   writing the job in the caller's transaction.
//!
//! SQLite (a WAL file in the temp dir) always; PostgreSQL with the feature
//! `postgres` and `SIGNALS_TEST_POSTGRES` set (`export
//! SIGNALS_TEST_POSTGRES=$(bash .ci/postgres)`):
//!
//! ```sh
//! cargo bench -p signals-queue --bench queue
//! cargo bench -p signals-queue --bench queue --features postgres
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use divan::counter::ItemsCount;
use divan::Bencher;
use signals_core::{receiver, signal};
use signals_queue::Queue;

fn main() {
    divan::main();
}

/// Jobs drained per sample.
const JOBS: usize = 2_000;

/// The benchmark's durable signal.
#[signal(async, durable)]
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Tick {
    pub n: u64,
}

#[receiver(signal = Tick, durable)]
async fn noop(_: &Tick) {}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

static NEXT: AtomicU64 = AtomicU64::new(0);

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// The engines this run measures.
#[derive(Clone, Copy, Debug)]
enum Engine {
    Sqlite,
    #[cfg(feature = "postgres")]
    Postgres,
}

const ENGINES: &[Engine] = &[
    Engine::Sqlite,
    #[cfg(feature = "postgres")]
    Engine::Postgres,
];

impl std::fmt::Display for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Engine::Sqlite => f.write_str("sqlite"),
            #[cfg(feature = "postgres")]
            Engine::Postgres => f.write_str("postgres"),
        }
    }
}

/// A fresh database with the queue in it.
async fn fresh(engine: Engine) -> Queue {
    match engine {
        Engine::Sqlite => {
            let path = std::env::temp_dir().join(format!("{}.db", unique("signals_queue_bench")));
            Queue::connect(&format!("sqlite://{}", path.display()))
                .await
                .unwrap()
        }
        #[cfg(feature = "postgres")]
        Engine::Postgres => {
            use sqlx::Connection;
            let admin = std::env::var("SIGNALS_TEST_POSTGRES").expect(
                "the PostgreSQL benchmarks need a server: export SIGNALS_TEST_POSTGRES=$(bash .ci/postgres)",
            );
            let name = unique("signals_queue_bench");
            let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
            sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .unwrap();
            let base = admin.rsplit_once('/').unwrap().0;
            Queue::connect(&format!("{base}/{name}")).await.unwrap()
        }
    }
}

/// Runs `statement` (no parameters) on the queue's database.
async fn execute(queue: &Queue, statement: &str) {
    if let Some(pool) = queue.sqlite_pool() {
        sqlx::raw_sql(statement).execute(pool).await.unwrap();
    }
    #[cfg(feature = "postgres")]
    if let Some(pool) = queue.postgres_pool() {
        sqlx::raw_sql(statement).execute(pool).await.unwrap();
    }
}

/// `count` jobs of `noop`, written in transactions of 500.
async fn enqueue(queue: &Queue, count: usize) {
    let signals: Vec<Tick> = (0..count as u64).map(|n| Tick { n }).collect();
    for chunk in signals.chunks(500) {
        macro_rules! send_all {
            ($pool:expr) => {{
                let mut tx = $pool.begin().await.unwrap();
                for signal in chunk {
                    signals_queue::send_in(&mut tx, signal).await.unwrap();
                }
                tx.commit().await.unwrap();
            }};
        }
        if let Some(pool) = queue.sqlite_pool() {
            send_all!(pool);
        }
        #[cfg(feature = "postgres")]
        if let Some(pool) = queue.postgres_pool() {
            send_all!(pool);
        }
    }
}

/// Dead jobs that every claim must step over (or, with the partial index,
/// never see).
async fn backlog(queue: &Queue, dead: usize) {
    if dead == 0 {
        return;
    }
    let recursive = if queue.sqlite_pool().is_some() {
        format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {dead}) \
             INSERT INTO signals_jobs (signal, receiver, payload, state, attempts, max_attempts, run_at, created_at) \
             SELECT 'bench', 'dead', x'7b7d', 2, 4, 4, 0, 0 FROM n"
        )
    } else {
        format!(
            "INSERT INTO signals_jobs (signal, receiver, payload, state, attempts, max_attempts, run_at, created_at) \
             SELECT 'bench', 'dead', '\\x7b7d'::bytea, 2, 4, 4, 0, 0 FROM generate_series(1, {dead})"
        )
    };
    execute(queue, &recursive).await;
}

/// Drains `JOBS` jobs with `workers` workers of `concurrency` each,
/// claiming up to `batch` at a time.
fn drain(
    bencher: Bencher,
    engine: Engine,
    dead: usize,
    workers: usize,
    concurrency: usize,
    batch: usize,
) {
    let rt = runtime();
    let queue = rt.block_on(async {
        let queue = fresh(engine).await;
        backlog(&queue, dead).await;
        queue
    });
    bencher
        .counter(ItemsCount::new(JOBS))
        .with_inputs(|| rt.block_on(enqueue(&queue, JOBS)))
        .bench_values(|()| {
            rt.block_on(async {
                let runs: Vec<_> = (0..workers)
                    .map(|_| {
                        let worker = queue
                            .worker()
                            .concurrency(concurrency)
                            .batch(batch)
                            .poll_interval(Duration::from_millis(1));
                        tokio::spawn(worker.run_until_idle())
                    })
                    .collect();
                let mut done = 0;
                for run in runs {
                    done += run.await.unwrap().unwrap().succeeded;
                }
                assert_eq!(done, JOBS as u64);
            })
        });
}

mod jobs {
    use super::*;

    #[divan::bench(args = ENGINES, consts = [0, 200_000], sample_count = 4, sample_size = 1)]
    fn one_worker<const DEAD: usize>(bencher: Bencher, engine: &Engine) {
        drain(bencher, *engine, DEAD, 1, 1, 1);
    }

    #[divan::bench(args = ENGINES, sample_count = 4, sample_size = 1)]
    fn four_workers(bencher: Bencher, engine: &Engine) {
        drain(bencher, *engine, 0, 4, 1, 1);
    }

    #[divan::bench(args = ENGINES, sample_count = 4, sample_size = 1)]
    fn one_worker_batch_10(bencher: Bencher, engine: &Engine) {
        drain(bencher, *engine, 0, 1, 10, 10);
    }
}

mod enqueue {
    use super::*;

    /// One transaction: an order row, and with `send_in` its job.
    fn order(bencher: Bencher, engine: Engine, with_job: bool) {
        let rt = runtime();
        let queue = rt.block_on(async {
            let queue = fresh(engine).await;
            execute(
                &queue,
                "CREATE TABLE bench_orders (id BIGINT PRIMARY KEY, email TEXT NOT NULL)",
            )
            .await;
            queue
        });
        let next = AtomicU64::new(0);
        macro_rules! place {
            ($pool:expr) => {{
                let id = next.fetch_add(1, Ordering::Relaxed) as i64;
                let mut tx = $pool.begin().await.unwrap();
                sqlx::query("INSERT INTO bench_orders (id, email) VALUES ($1, $2)")
                    .bind(id)
                    .bind("ada@example.com")
                    .execute(&mut *tx)
                    .await
                    .unwrap();
                if with_job {
                    signals_queue::send_in(&mut tx, &Tick { n: id as u64 })
                        .await
                        .unwrap();
                }
                tx.commit().await.unwrap();
            }};
        }
        bencher.bench_local(|| {
            rt.block_on(async {
                if let Some(pool) = queue.sqlite_pool() {
                    place!(pool);
                }
                #[cfg(feature = "postgres")]
                if let Some(pool) = queue.postgres_pool() {
                    place!(pool);
                }
            })
        });
    }

    #[divan::bench(args = ENGINES, sample_count = 50, sample_size = 20)]
    fn plain_insert(bencher: Bencher, engine: &Engine) {
        order(bencher, *engine, false);
    }

    #[divan::bench(args = ENGINES, sample_count = 50, sample_size = 20)]
    fn insert_and_send_in(bencher: Bencher, engine: &Engine) {
        order(bencher, *engine, true);
    }
}
