//! Durable receivers for `signals-core`: receivers whose work survives the
//! process, runs after the sender's transaction commits, and spreads over
//! any number of workers (Celery tasks, Spring's
//! `@TransactionalEventListener(AFTER_COMMIT)`), typed and registered like
//! every other receiver.
//!
//! ```no_run
//! use signals_core::{receiver, signal};
//!
//! /// An order was placed.
//! #[signal(async, durable)]                  // owned fields, serde
//! #[derive(serde::Serialize, serde::Deserialize)]
//! pub struct OrderPlaced { pub order_id: u64, pub email: String }
//!
//! #[receiver(signal = OrderPlaced)]          // runs during the send
//! fn count(_: &OrderPlaced) {}
//!
//! #[derive(Debug)]
//! struct MailError;
//! impl std::fmt::Display for MailError {
//!     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str("mail failed") }
//! }
//! impl std::error::Error for MailError {}
//!
//! #[receiver(signal = OrderPlaced, durable, retries = 5)]   // a job, run by a worker
//! async fn send_receipt(o: &OrderPlaced) -> Result<(), MailError> { Ok(()) }
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let queue = signals_queue::Queue::connect("sqlite://shop.db").await?;
//! let pool = queue.sqlite_pool().unwrap().clone();
//!
//! let mut tx = pool.begin().await?;
//! // ... the order's own rows, in `tx` ...
//! signals_queue::send_in(&mut tx, &OrderPlaced { order_id: 1, email: "a@example.com".into() }).await?;
//! tx.commit().await?;                         // the job exists from here on
//!
//! let worker = queue.worker().concurrency(4).spawn();
//! // ...
//! let report = worker.shutdown().await?;      // finishes or releases running jobs
//! # Ok(()) }
//! ```
//!
//! # How it works
//!
//! - `#[receiver(signal = S, durable)]` registers the receiver in a list of
//!   durable receivers, not in the signal's slice: a send never calls it.
//! - [`send_in`] runs the inline receivers now and writes one row per
//!   durable receiver into `signals_jobs`, inside the caller's transaction:
//!   a rollback leaves no job, a commit makes them visible to workers.
//!   `send_async()` (and `send()`, `send_robust*()`) write them on the queue
//!   [installed](Queue::install) instead, and fail with a `SendError` when
//!   none is.
//! - A [`Worker`] claims due jobs whose receiver is linked into its binary
//!   (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite has one writer, so its
//!   one `UPDATE ... RETURNING` is the claim), under a lease that it extends
//!   while the job runs. A job that succeeds is deleted; one that fails or
//!   panics is retried with exponential backoff up to its `retries`, then
//!   kept as dead ([`Queue::dead_jobs`], [`Queue::retry`]). A job whose
//!   worker died is claimed again once its lease ends.
//! - A job whose receiver is not linked into this binary is left for a
//!   worker that has it, and counted in [`Stats::unknown`]; one whose payload
//!   no longer decodes into the signal is dead at once, with the decode
//!   error, and can be retried after a fix. Nothing is lost, nothing spins.
//!
//! Delivery is at least once: a receiver may run again after a crash, so
//! make it idempotent (a receipt keyed by order id, not "send one more").
//!
//! # Engines
//!
//! SQLite (feature `sqlite`, default): one machine, no server; WAL mode.
//! PostgreSQL (feature `postgres`): any number of workers on any number of
//! machines sharing one database. Both through sqlx 0.8. The crate applies
//! its own migrations ([`Queue::connect`], [`Queue::sqlite`], and
//! `Queue::postgres` with that feature) and records them in
//! `signals_queue_schema`, apart from the application's own sqlx migrations.

#![warn(missing_docs)]

mod db;
mod send;
mod worker;

use std::fmt;
use std::sync::Arc;

use db::{with_pool, Db};
use signals_core::durable::{self, JobQueue, NewJobs};
use signals_core::BoxError;

pub use send::{send_in, Engine};
pub use worker::{Backoff, Worker, WorkerHandle, WorkerReport};

/// An error of the queue itself: the database, or a setting.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
}

#[derive(Debug)]
enum ErrorKind {
    Database(sqlx::Error),
    Config(String),
}

impl Error {
    fn config(message: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::Config(message.into()),
        }
    }
}

impl From<sqlx::Error> for Error {
    fn from(error: sqlx::Error) -> Self {
        Error {
            kind: ErrorKind::Database(error),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::Database(error) => write!(f, "signals-queue: database error: {error}"),
            ErrorKind::Config(message) => write!(f, "signals-queue: {message}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ErrorKind::Database(error) => Some(error),
            ErrorKind::Config(_) => None,
        }
    }
}

/// How many jobs are in each state ([`Queue::stats`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Waiting for their first attempt.
    pub queued: u64,
    /// Running now (or their worker died and the lease has not ended yet).
    pub running: u64,
    /// Failed at least once, waiting for their next attempt.
    pub retrying: u64,
    /// Out of attempts, or their payload no longer decodes: kept until
    /// retried ([`Queue::retry`]) or deleted.
    pub dead: u64,
    /// Not dead, but for a receiver not linked into this binary: a worker of
    /// this binary never takes them (another binary's worker may).
    pub unknown: u64,
}

/// A job's id in the jobs table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobId(pub i64);

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// One job, as [`Queue::dead_jobs`] and [`Queue::unknown_jobs`] list it.
///
/// Its `Debug` shows the payload's length, not its content: a signal's
/// fields (an address, a token) stay out of logs. The payload is stored in
/// the jobs table as JSON in clear, so keep secrets out of durable signals
/// (send an id and look the secret up in the receiver).
#[derive(Clone, PartialEq, Eq)]
pub struct Job {
    /// Its id.
    pub id: JobId,
    /// The signal's name (`Signal::NAME`).
    pub signal: String,
    /// The durable receiver's name.
    pub receiver: String,
    /// The signal as JSON.
    pub payload: Vec<u8>,
    /// Attempts made so far.
    pub attempts: u32,
    /// Attempts allowed in all: the receiver's `retries` plus one.
    pub max_attempts: u32,
    /// Whether it is dead.
    pub is_dead: bool,
    /// Why its last attempt failed.
    pub last_error: Option<String>,
}

impl fmt::Debug for Job {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Job")
            .field("id", &self.id)
            .field("signal", &self.signal)
            .field("receiver", &self.receiver)
            .field("payload", &format_args!("[{} bytes]", self.payload.len()))
            .field("attempts", &self.attempts)
            .field("max_attempts", &self.max_attempts)
            .field("is_dead", &self.is_dead)
            .field("last_error", &self.last_error)
            .finish()
    }
}

/// The jobs table in one database: enqueue, inspect, retry, and make
/// workers. Cheap to clone (a pool inside).
#[derive(Clone, Debug)]
pub struct Queue {
    db: Db,
}

impl Queue {
    /// Connects to `url` and applies the queue's migrations: `sqlite://path`
    /// (the file is created if missing; WAL mode) or, with the feature
    /// `postgres`, `postgres://...`.
    ///
    /// `sqlite::memory:` works with a pool of one connection only (each
    /// connection would otherwise be its own database): pass such a pool to
    /// [`Queue::sqlite`].
    pub async fn connect(url: &str) -> Result<Queue, Error> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            #[cfg(feature = "postgres")]
            {
                let pool = sqlx::postgres::PgPoolOptions::new()
                    .max_connections(16)
                    .connect(url)
                    .await?;
                return Queue::postgres(pool).await;
            }
            #[cfg(not(feature = "postgres"))]
            return Err(Error::config(
                "a postgres:// URL needs the `postgres` feature of signals-queue",
            ));
        }
        #[cfg(feature = "sqlite")]
        {
            use std::str::FromStr;
            let options = sqlx::sqlite::SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(std::time::Duration::from_secs(30));
            let pool = sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(8)
                .connect_with(options)
                .await?;
            Queue::sqlite(pool).await
        }
        #[cfg(not(feature = "sqlite"))]
        Err(Error::config(format!(
            "`{url}` is not a postgres:// URL, and the `sqlite` feature of signals-queue is off"
        )))
    }

    /// The queue in the SQLite database of `pool`, migrated. Use the same
    /// pool for the application's own transactions and [`send_in`].
    #[cfg(feature = "sqlite")]
    pub async fn sqlite(pool: sqlx::SqlitePool) -> Result<Queue, Error> {
        let db = Db::Sqlite(pool);
        db::migrate(&db).await?;
        Ok(Queue { db })
    }

    /// The queue in the PostgreSQL database of `pool`, migrated.
    #[cfg(feature = "postgres")]
    pub async fn postgres(pool: sqlx::PgPool) -> Result<Queue, Error> {
        let db = Db::Postgres(pool);
        db::migrate(&db).await?;
        Ok(Queue { db })
    }

    /// The SQLite pool, if this queue is in SQLite.
    #[cfg(feature = "sqlite")]
    pub fn sqlite_pool(&self) -> Option<&sqlx::SqlitePool> {
        match &self.db {
            Db::Sqlite(pool) => Some(pool),
            #[cfg(feature = "postgres")]
            Db::Postgres(_) => None,
        }
    }

    /// The PostgreSQL pool, if this queue is in PostgreSQL.
    #[cfg(feature = "postgres")]
    pub fn postgres_pool(&self) -> Option<&sqlx::PgPool> {
        match &self.db {
            Db::Postgres(pool) => Some(pool),
            #[cfg(feature = "sqlite")]
            Db::Sqlite(_) => None,
        }
    }

    /// Makes this the queue that sends without a transaction
    /// (`send_async()`, `send()`, `send_robust*()`) write their jobs on,
    /// in this program. Call it inside a tokio runtime: a synchronous
    /// `send()` uses that runtime to write.
    pub fn install(&self) {
        let handle = tokio::runtime::Handle::try_current().ok();
        durable::install(Arc::new(Installed {
            queue: self.clone(),
            handle,
        }));
    }

    /// Writes the jobs of one send (one statement), outside any caller's
    /// transaction.
    pub(crate) async fn enqueue(&self, jobs: &NewJobs) -> Result<(), Error> {
        with_pool!(&self.db, pool => {
            let mut conn = pool.acquire().await?;
            send::insert(&mut *conn, jobs).await?;
            Ok(())
        })
    }

    /// Counts the jobs in each state; [`Stats::unknown`] counts those whose
    /// receiver is not linked into this binary.
    pub async fn stats(&self) -> Result<Stats, Error> {
        let linked = durable::receivers();
        with_pool!(&self.db, pool => {
            let row = sqlx::query(db::STATS).fetch_one(pool).await?;
            let counts = [row.try_get(0)?, row.try_get(1)?, row.try_get(2)?, row.try_get(3)?];
            let statement = unknown_filter(db::is_sqlite(&self.db), "SELECT COUNT(*) FROM signals_jobs WHERE state < 2", linked.len());
            let mut query = sqlx::query_scalar::<_, i64>(&statement);
            for receiver in linked {
                query = query.bind(receiver.signal_name()).bind(receiver.name());
            }
            let unknown = query.fetch_one(pool).await?;
            Ok(db::stats_of(counts, unknown))
        })
    }

    /// The dead jobs, oldest first.
    pub async fn dead_jobs(&self) -> Result<Vec<Job>, Error> {
        let statement = format!(
            "SELECT {} FROM signals_jobs WHERE state = 2 ORDER BY id",
            db::JOB_COLUMNS
        );
        with_pool!(&self.db, pool => {
            let rows = sqlx::query(&statement).fetch_all(pool).await?;
            rows.iter().map(|row| db::job(row).map_err(Error::from)).collect()
        })
    }

    /// The jobs that are not dead and whose receiver is not linked into this
    /// binary, oldest first: left for a worker that has it.
    pub async fn unknown_jobs(&self) -> Result<Vec<Job>, Error> {
        let linked = durable::receivers();
        let statement = unknown_filter(
            db::is_sqlite(&self.db),
            &format!(
                "SELECT {} FROM signals_jobs WHERE state < 2",
                db::JOB_COLUMNS
            ),
            linked.len(),
        ) + " ORDER BY id";
        with_pool!(&self.db, pool => {
            let mut query = sqlx::query(&statement);
            for receiver in linked {
                query = query.bind(receiver.signal_name()).bind(receiver.name());
            }
            let rows = query.fetch_all(pool).await?;
            rows.iter().map(|row| db::job(row).map_err(Error::from)).collect()
        })
    }

    /// Gives a dead job a new life: its attempts start again from zero, and
    /// it is due now. False if no dead job has this id.
    pub async fn retry(&self, id: JobId) -> Result<bool, Error> {
        let statement = db::sql(
            db::is_sqlite(&self.db),
            "UPDATE signals_jobs SET state = 0, attempts = 0, run_at = $1, locked_by = NULL \
             WHERE id = $2 AND state = 2",
        );
        with_pool!(&self.db, pool => {
            let done = sqlx::query(&statement)
                .bind(db::now_ms())
                .bind(id.0)
                .execute(pool)
                .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Retries every dead job; returns how many.
    pub async fn retry_dead(&self) -> Result<u64, Error> {
        let statement = db::sql(
            db::is_sqlite(&self.db),
            "UPDATE signals_jobs SET state = 0, attempts = 0, run_at = $1, locked_by = NULL \
             WHERE state = 2",
        );
        with_pool!(&self.db, pool => {
            let done = sqlx::query(&statement).bind(db::now_ms()).execute(pool).await?;
            Ok(done.rows_affected())
        })
    }

    /// Deletes a dead job for good. False if no dead job has this id.
    pub async fn delete_dead(&self, id: JobId) -> Result<bool, Error> {
        let statement = db::sql(
            db::is_sqlite(&self.db),
            "DELETE FROM signals_jobs WHERE id = $1 AND state = 2",
        );
        with_pool!(&self.db, pool => {
            let done = sqlx::query(&statement).bind(id.0).execute(pool).await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// A worker for this queue, with the default settings (see [`Worker`]).
    pub fn worker(&self) -> Worker {
        Worker::new(self.clone())
    }

    pub(crate) fn db(&self) -> &Db {
        &self.db
    }
}

use sqlx::Row as _;

/// `base` restricted to the jobs whose `(signal, receiver)` is not among the
/// `linked` pairs, bound from `$1` on.
fn unknown_filter(sqlite: bool, base: &str, linked: usize) -> String {
    if linked == 0 {
        return base.to_owned();
    }
    let pairs: Vec<String> = (0..linked)
        .map(|i| format!("(${}, ${})", 1 + 2 * i, 2 + 2 * i))
        .collect();
    db::sql(
        sqlite,
        &format!(
            "{base} AND (signal, receiver) NOT IN (VALUES {})",
            pairs.join(", ")
        ),
    )
    .into_owned()
}

/// The queue as signals-core sees it once installed.
struct Installed {
    queue: Queue,
    handle: Option<tokio::runtime::Handle>,
}

impl JobQueue for Installed {
    fn enqueue(&self, jobs: NewJobs) -> durable::JobFuture {
        let queue = self.queue.clone();
        Box::pin(async move { queue.enqueue(&jobs).await.map_err(BoxError::from) })
    }

    fn enqueue_blocking(&self, jobs: NewJobs) -> Result<(), BoxError> {
        let queue = self.queue.clone();
        let write = async move { queue.enqueue(&jobs).await.map_err(BoxError::from) };
        match tokio::runtime::Handle::try_current() {
            Ok(current) => match current.runtime_flavor() {
                tokio::runtime::RuntimeFlavor::CurrentThread => Err(
                    "a synchronous `send()` of a durable signal cannot write its jobs inside a \
                     current-thread tokio runtime (it would block the thread the database \
                     needs): use `send_async().await` or `signals_queue::send_in`"
                        .into(),
                ),
                _ => tokio::task::block_in_place(|| current.block_on(write)),
            },
            Err(_) => match &self.handle {
                Some(handle) => handle.block_on(write),
                None => Err("the queue was installed outside a tokio runtime, so a \
                             synchronous `send()` has none to write its jobs with: call \
                             `Queue::install` inside the runtime"
                    .into()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jobs_debug_leaves_the_payload_out() {
        let job = Job {
            id: JobId(7),
            signal: "shop::PasswordResetRequested".into(),
            receiver: "mail_key".into(),
            payload: br#"{"email":"ada@example.com","key":"s3cr3t"}"#.to_vec(),
            attempts: 1,
            max_attempts: 4,
            is_dead: true,
            last_error: Some("smtp down".into()),
        };
        for text in [format!("{job:?}"), format!("{job:#?}")] {
            assert!(!text.contains("s3cr3t") && !text.contains("ada@"), "{text}");
            // Not as bytes either: `s` is 115.
            assert!(!text.contains("115, 51"), "{text}");
            assert!(
                text.contains("[42 bytes]") && text.contains("smtp down"),
                "{text}"
            );
        }
    }
}
