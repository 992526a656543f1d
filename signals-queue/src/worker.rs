//! The worker: claims due jobs, runs their durable receivers, and settles
//! each one (deleted, retried later, or dead).

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use signals_core::durable::{self, DurableReceiver};
use tokio::sync::watch;
use tokio::task::{AbortHandle, JoinSet};

use crate::db::{self, Claimed};
use crate::{Error, Queue};

/// How long a failed job waits before its next attempt: `base * 2^(n-1)`
/// after its `n`th failed attempt, at most `max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// The wait after the first failure (default 1 s).
    pub base: Duration,
    /// The longest wait (default 1 h).
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: Duration::from_secs(1),
            max: Duration::from_secs(3600),
        }
    }
}

impl Backoff {
    /// The wait after `failures` failed attempts (1 for the first).
    pub fn delay(&self, failures: u32) -> Duration {
        let factor = 2u32.saturating_pow(failures.saturating_sub(1).min(31));
        self.base.saturating_mul(factor).min(self.max)
    }
}

/// What a worker did, returned when it stops.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WorkerReport {
    /// Jobs that succeeded (and were deleted).
    pub succeeded: u64,
    /// Failed or panicked attempts that will be retried.
    pub retried: u64,
    /// Jobs that ended dead here: out of attempts, or a payload that does
    /// not decode.
    pub dead: u64,
    /// Running jobs handed back at shutdown, for another worker.
    pub released: u64,
}

/// Runs the durable receivers linked into this binary.
///
/// Any number of workers, in any number of processes and machines, may share
/// one database: each job is taken by one worker at a time (under a lease
/// that the worker extends while the job runs). Defaults: concurrency 1,
/// claims of up to 10 jobs, lease 30 s, polling every 100 ms when idle,
/// [`Backoff::default`], 30 s to finish running jobs at shutdown, no limit
/// on how long one attempt may run (set one with [`Worker::timeout`]:
/// without it, a receiver that never completes keeps its place and its
/// lease, reported as running, for as long as the worker lives).
///
/// On PostgreSQL a worker runs its own statements (claims, deletions,
/// failures, leases) on a connection of its own with
/// `synchronous_commit = off`: they do not wait for the disk, and losing
/// the last of them in a server crash only makes a job run again (a lost
/// claim leaves it waiting, a lost deletion leaves it to run after its
/// lease). Jobs that succeed are deleted in the statement of the next claim.
///
/// A database error stops the worker: [`WorkerHandle::shutdown`] returns it
/// and [`WorkerHandle::is_finished`] turns true; the leases of its jobs end
/// and other workers (or a restarted one) take them.
///
/// ```no_run
/// # async fn demo(queue: signals_queue::Queue) -> Result<(), signals_queue::Error> {
/// use std::time::Duration;
///
/// let worker = queue.worker().concurrency(8).lease(Duration::from_secs(60)).spawn();
/// // ... until the program stops:
/// let report = worker.shutdown().await?;
/// println!("{} jobs done", report.succeeded);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Worker {
    queue: Queue,
    concurrency: usize,
    batch: usize,
    lease: Duration,
    poll: Duration,
    backoff: Backoff,
    grace: Duration,
    timeout: Option<Duration>,
    id: String,
}

impl Worker {
    /// A worker for `queue` with the default settings.
    pub fn new(queue: Queue) -> Self {
        Worker {
            queue,
            concurrency: 1,
            batch: 10,
            lease: Duration::from_secs(30),
            poll: Duration::from_millis(100),
            backoff: Backoff::default(),
            grace: Duration::from_secs(30),
            timeout: None,
            id: worker_id(),
        }
    }

    /// How many jobs run at once (at least 1).
    pub fn concurrency(mut self, jobs: usize) -> Self {
        self.concurrency = jobs.max(1);
        self
    }

    /// How many jobs one claim takes at most (at least 1); never more than
    /// the free places.
    pub fn batch(mut self, jobs: usize) -> Self {
        self.batch = jobs.max(1);
        self
    }

    /// How long a claimed job stays this worker's without news. The worker
    /// extends it every third of it while the job runs; if the worker dies,
    /// another takes the job once it ends. At least 1 s... in production;
    /// tests may use less.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease.max(Duration::from_millis(50));
        self
    }

    /// How long an idle worker waits before looking for due jobs again.
    pub fn poll_interval(mut self, poll: Duration) -> Self {
        self.poll = poll;
        self
    }

    /// The waits between attempts of a failing job.
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// How long shutdown waits for running jobs before handing them back.
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    /// The longest one attempt may run (default: no limit). An attempt that
    /// takes longer is stopped (its future dropped at its next `.await`)
    /// and counts as failed: retried with backoff, then dead, with the
    /// timeout as its error.
    pub fn timeout(mut self, limit: Duration) -> Self {
        self.timeout = Some(limit);
        self
    }

    /// This worker's id, as the jobs table records it in `locked_by`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Runs on a task of the current tokio runtime until
    /// [`WorkerHandle::shutdown`].
    pub fn spawn(self) -> WorkerHandle {
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(self.run(stopped));
        WorkerHandle { stop, task }
    }

    /// Runs until `shutdown` completes, then finishes (or, after the grace
    /// period, hands back) the running jobs.
    pub async fn run_until<F: Future<Output = ()>>(
        self,
        shutdown: F,
    ) -> Result<WorkerReport, Error> {
        let (stop, stopped) = watch::channel(false);
        let run = self.run(stopped);
        tokio::pin!(run);
        tokio::select! {
            report = &mut run => return report,
            () = shutdown => {}
        }
        let _ = stop.send(true);
        run.await
    }

    /// Runs until no job it can run is left (waiting, retrying after its
    /// backoff, or running): for examples, tests and batch jobs. Dead jobs
    /// and jobs of receivers this binary does not link do not keep it
    /// running.
    pub async fn run_until_idle(self) -> Result<WorkerReport, Error> {
        let (_stop, stopped) = watch::channel(false);
        let mut state = State::new(self).await?;
        state.idle_stops = true;
        state.run(stopped).await
    }

    async fn run(self, stopped: watch::Receiver<bool>) -> Result<WorkerReport, Error> {
        State::new(self).await?.run(stopped).await
    }
}

/// Stops a spawned worker.
#[derive(Debug)]
pub struct WorkerHandle {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<Result<WorkerReport, Error>>,
}

impl WorkerHandle {
    /// Stops claiming, waits for the running jobs (up to the grace period,
    /// then hands them back), and returns what the worker did.
    pub async fn shutdown(self) -> Result<WorkerReport, Error> {
        let _ = self.stop.send(true);
        match self.task.await {
            Ok(report) => report,
            Err(error) => Err(Error::config(format!("the worker task failed: {error}"))),
        }
    }

    /// Whether the worker stopped on its own (a database error).
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }
}

/// A worker's id: host, process and a counter, readable in the table.
fn worker_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "host".to_owned());
    format!(
        "{host}:{}:{}:{}",
        std::process::id(),
        db::now_ms(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Where a worker runs its own statements (claim, finish, fail, release,
/// lease). On PostgreSQL, a connection of its own with
/// `synchronous_commit = off`: the worker's bookkeeping commits without
/// waiting for the disk. That keeps at-least-once delivery: a claim lost in
/// a crash leaves the job waiting, a deletion lost leaves it to run again
/// after its lease; only the enqueue, in the sender's transaction, must be
/// durable, and it keeps the database's setting.
enum Conn {
    #[cfg(feature = "sqlite")]
    Sqlite(sqlx::SqlitePool),
    #[cfg(feature = "postgres")]
    Postgres(sqlx::PgConnection),
}

/// Runs `$body` with `$conn` bound to the worker's executor.
macro_rules! with_conn {
    ($conn:expr, $bound:ident => $body:expr) => {
        match $conn {
            #[cfg(feature = "sqlite")]
            Conn::Sqlite($bound) => {
                let $bound = &*$bound;
                $body
            }
            #[cfg(feature = "postgres")]
            Conn::Postgres($bound) => {
                let $bound = &mut *$bound;
                $body
            }
        }
    };
}

impl Conn {
    async fn open(db: &crate::db::Db) -> Result<Conn, Error> {
        match db {
            #[cfg(feature = "sqlite")]
            crate::db::Db::Sqlite(pool) => Ok(Conn::Sqlite(pool.clone())),
            #[cfg(feature = "postgres")]
            crate::db::Db::Postgres(pool) => {
                use sqlx::Connection;
                let options = pool
                    .connect_options()
                    .as_ref()
                    .clone()
                    .options([("synchronous_commit", "off")]);
                Ok(Conn::Postgres(
                    sqlx::PgConnection::connect_with(&options).await?,
                ))
            }
        }
    }
}

/// A claim statement with the claim's parameters bound: this worker, the
/// lease's end, now, how many, then the linked `(signal, receiver)` pairs.
macro_rules! claim_query {
    ($state:ident, $statement:expr, $wanted:expr) => {{
        let now = db::now_ms();
        let lease_end = now + $state.worker.lease.as_millis() as i64;
        let mut query = sqlx::query($statement)
            .bind($state.worker.id.as_str())
            .bind(lease_end)
            .bind(now)
            .bind($wanted as i64);
        for receiver in $state.receivers {
            query = query.bind(receiver.signal_name()).bind(receiver.name());
        }
        query
    }};
}

/// How one attempt ended.
enum Outcome {
    Succeeded,
    Failed(String),
    /// The payload does not decode: retrying cannot help.
    Undecodable(String),
}

/// A running job, as the worker tracks it.
struct Running {
    id: i64,
    attempts: i32,
    max_attempts: i32,
    abort: AbortHandle,
}

struct State {
    worker: Worker,
    conn: Conn,
    sqlite: bool,
    claim: String,
    /// The claim that also deletes finished jobs (PostgreSQL).
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    claim_finishing: String,
    linked: HashMap<(&'static str, &'static str), &'static DurableReceiver>,
    receivers: &'static [&'static DurableReceiver],
    tasks: JoinSet<(i64, Outcome)>,
    running: HashMap<i64, Running>,
    succeeded: Vec<i64>,
    report: WorkerReport,
    idle_stops: bool,
}

impl State {
    async fn new(worker: Worker) -> Result<Self, Error> {
        let receivers = durable::receivers();
        let sqlite = db::is_sqlite(worker.queue.db());
        let linked = receivers
            .iter()
            .map(|r| ((r.signal_name(), r.name()), *r))
            .collect();
        Ok(State {
            conn: Conn::open(worker.queue.db()).await?,
            claim: db::claim_statement(sqlite, receivers.len()),
            claim_finishing: format!(
                "WITH finished AS (DELETE FROM signals_jobs WHERE locked_by = $1 AND id = ANY(${})) {}",
                5 + 2 * receivers.len(),
                db::claim_statement(sqlite, receivers.len())
            ),
            sqlite,
            worker,
            linked,
            receivers,
            tasks: JoinSet::new(),
            running: HashMap::new(),
            succeeded: Vec::new(),
            report: WorkerReport::default(),
            idle_stops: false,
        })
    }

    async fn run(mut self, mut stopped: watch::Receiver<bool>) -> Result<WorkerReport, Error> {
        self.warn_unknown().await;
        let mut heartbeat = tokio::time::interval(self.worker.lease / 3);
        heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        heartbeat.tick().await;
        let result = self.serve(&mut stopped, &mut heartbeat).await;
        // Whatever stopped the loop, settle what can be settled.
        let drained = self.drain().await;
        result.and(drained).map(|()| self.report)
    }

    async fn serve(
        &mut self,
        stopped: &mut watch::Receiver<bool>,
        heartbeat: &mut tokio::time::Interval,
    ) -> Result<(), Error> {
        loop {
            while let Some(done) = self.tasks.try_join_next() {
                self.finished(done).await?;
            }
            if *stopped.borrow() {
                // `drain` deletes the finished jobs.
                return Ok(());
            }
            let free = self.worker.concurrency - self.running.len();
            let wanted = free.min(self.worker.batch);
            // Claims of `batch` jobs stay batches: with jobs running, claim
            // again once half a batch of places is free, not for every
            // place that frees up (each claim is a round trip and a commit).
            let worth_it = self.running.is_empty()
                || wanted >= self.worker.batch.min(self.worker.concurrency).div_ceil(2);
            let claiming = wanted > 0 && worth_it && !self.receivers.is_empty();
            let claimed = match claiming {
                // On PostgreSQL the finished jobs go in the same statement.
                true => match self.claim_finishing(wanted).await? {
                    Some(claimed) => claimed,
                    None => {
                        self.flush().await?;
                        self.claim(wanted).await?
                    }
                },
                false => {
                    self.flush().await?;
                    0
                }
            };
            if claimed == 0
                && self.running.is_empty()
                && self.idle_stops
                && self.nothing_left().await?
            {
                return Ok(());
            }
            // More may be due: claim again at once while there is room.
            if claimed > 0 && claimed == wanted && self.running.len() < self.worker.concurrency {
                continue;
            }
            tokio::select! {
                done = self.tasks.join_next(), if !self.tasks.is_empty() => {
                    if let Some(done) = done {
                        self.finished(done).await?;
                    }
                }
                _ = heartbeat.tick() => self.extend_leases().await?,
                () = tokio::time::sleep(self.worker.poll), if (claimed < wanted || wanted == 0) && worth_it => {}
                _ = stopped.changed() => {}
            }
        }
    }

    /// Whether no job this worker could run is left.
    async fn nothing_left(&mut self) -> Result<bool, Error> {
        if self.receivers.is_empty() {
            return Ok(true);
        }
        let pairs: Vec<String> = (0..self.receivers.len())
            .map(|i| format!("(${}, ${})", 1 + 2 * i, 2 + 2 * i))
            .collect();
        let statement = db::sql(
            self.sqlite,
            &format!(
                "SELECT COUNT(*) FROM signals_jobs WHERE state < 2 AND (signal, receiver) IN (VALUES {})",
                pairs.join(", ")
            ),
        )
        .into_owned();
        let left: i64 = with_conn!(&mut self.conn, pool => {
            let mut query = sqlx::query_scalar::<_, i64>(&statement);
            for receiver in self.receivers {
                query = query.bind(receiver.signal_name()).bind(receiver.name());
            }
            query.fetch_one(pool).await?
        });
        Ok(left == 0)
    }

    /// On PostgreSQL, with finished jobs to delete: deletes them and claims
    /// up to `wanted` due jobs in one statement (a `DELETE` in a CTE of the
    /// claim), one round trip instead of two. `None` when it does not
    /// apply.
    #[cfg(feature = "postgres")]
    async fn claim_finishing(&mut self, wanted: usize) -> Result<Option<usize>, Error> {
        let Conn::Postgres(conn) = &mut self.conn else {
            return Ok(None);
        };
        if self.succeeded.is_empty() {
            return Ok(None);
        }
        let query = claim_query!(self, &self.claim_finishing, wanted);
        let rows = query.bind(&self.succeeded).fetch_all(&mut *conn).await?;
        self.succeeded.clear();
        let jobs = rows.iter().map(db::claimed).collect::<Result<_, _>>()?;
        self.start_all(jobs).await.map(Some)
    }

    #[cfg(not(feature = "postgres"))]
    async fn claim_finishing(&mut self, _wanted: usize) -> Result<Option<usize>, Error> {
        Ok(None)
    }

    /// Claims up to `wanted` due jobs and starts them; returns how many.
    async fn claim(&mut self, wanted: usize) -> Result<usize, Error> {
        let jobs: Vec<Claimed> = with_conn!(&mut self.conn, pool => {
            let rows = claim_query!(self, &self.claim, wanted).fetch_all(pool).await?;
            rows.iter().map(db::claimed).collect::<Result<_, _>>()?
        });
        self.start_all(jobs).await
    }

    /// Starts claimed jobs; returns how many.
    async fn start_all(&mut self, jobs: Vec<Claimed>) -> Result<usize, Error> {
        let count = jobs.len();
        for job in jobs {
            self.start(job).await?;
        }
        Ok(count)
    }

    async fn start(&mut self, job: Claimed) -> Result<(), Error> {
        let Some(receiver) = self
            .linked
            .get(&(job.signal.as_str(), job.receiver.as_str()))
            .copied()
        else {
            // The claim only takes linked receivers; should one slip through,
            // hand it back untouched.
            return self.release(&[job.id], true).await;
        };
        if job.attempts > job.max_attempts {
            // Its worker stopped during its last attempt (the lease ended).
            self.report.dead += 1;
            return self
                .settle_failure(
                    job.id,
                    job.attempts,
                    job.max_attempts,
                    "the worker running the last attempt stopped (its lease ended)",
                    true,
                )
                .await;
        }
        let id = job.id;
        let attempts = job.attempts;
        let max_attempts = job.max_attempts;
        let attempt = run_job(receiver, job);
        let abort = match self.worker.timeout {
            None => self.tasks.spawn(attempt),
            Some(limit) => self.tasks.spawn(async move {
                match tokio::time::timeout(limit, attempt).await {
                    Ok(done) => done,
                    Err(_) => (
                        id,
                        Outcome::Failed(format!(
                            "the attempt ran longer than its timeout ({limit:?})"
                        )),
                    ),
                }
            }),
        };
        self.running.insert(
            id,
            Running {
                id,
                attempts,
                max_attempts,
                abort,
            },
        );
        Ok(())
    }

    async fn finished(
        &mut self,
        done: Result<(i64, Outcome), tokio::task::JoinError>,
    ) -> Result<(), Error> {
        let (id, outcome) = match done {
            Ok(done) => done,
            Err(error) => {
                // `run_job` catches panics, so this is an abort (shutdown):
                // the job is released there.
                let Some(id) = self
                    .running
                    .values()
                    .find(|r| r.abort.id() == error.id())
                    .map(|r| r.id)
                else {
                    return Ok(());
                };
                (
                    id,
                    Outcome::Failed(format!("the job's task failed: {error}")),
                )
            }
        };
        let Some(running) = self.running.remove(&id) else {
            return Ok(());
        };
        match outcome {
            Outcome::Succeeded => {
                self.report.succeeded += 1;
                self.succeeded.push(id);
                Ok(())
            }
            Outcome::Failed(error) => {
                let dead = running.attempts >= running.max_attempts;
                if dead {
                    self.report.dead += 1;
                } else {
                    self.report.retried += 1;
                }
                self.settle_failure(id, running.attempts, running.max_attempts, &error, dead)
                    .await
            }
            Outcome::Undecodable(error) => {
                self.report.dead += 1;
                self.settle_failure(id, running.attempts, running.max_attempts, &error, true)
                    .await
            }
        }
    }

    /// Deletes the jobs that succeeded since the last flush: one statement.
    async fn flush(&mut self) -> Result<(), Error> {
        if self.succeeded.is_empty() {
            return Ok(());
        }
        let ids = std::mem::take(&mut self.succeeded);
        let placeholders: Vec<String> = (0..ids.len()).map(|i| format!("${}", i + 2)).collect();
        let statement = db::sql(
            self.sqlite,
            &format!(
                "DELETE FROM signals_jobs WHERE locked_by = $1 AND id IN ({})",
                placeholders.join(", ")
            ),
        )
        .into_owned();
        with_conn!(&mut self.conn, pool => {
            let mut query = sqlx::query(&statement).bind(self.worker.id.as_str());
            for id in &ids {
                query = query.bind(*id);
            }
            query.execute(pool).await?;
        });
        Ok(())
    }

    async fn settle_failure(
        &mut self,
        id: i64,
        attempts: i32,
        max_attempts: i32,
        error: &str,
        dead: bool,
    ) -> Result<(), Error> {
        trace_failure(id, attempts, max_attempts, error, dead);
        let run_at = db::now_ms()
            + self
                .worker
                .backoff
                .delay(attempts.max(1) as u32)
                .as_millis() as i64;
        let statement = db::sql(
            self.sqlite,
            "UPDATE signals_jobs SET state = $1, run_at = $2, last_error = $3, locked_by = NULL \
             WHERE id = $4 AND locked_by = $5",
        );
        with_conn!(&mut self.conn, pool => {
            sqlx::query(&statement)
                .bind(if dead { 2i32 } else { 0i32 })
                .bind(run_at)
                .bind(error)
                .bind(id)
                .bind(self.worker.id.as_str())
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Hands jobs back, due now; `undo_attempt` when they never ran.
    async fn release(&mut self, ids: &[i64], undo_attempt: bool) -> Result<(), Error> {
        if ids.is_empty() {
            return Ok(());
        }
        let undo: i32 = if undo_attempt { 1 } else { 0 };
        for id in ids {
            let statement = db::sql(
                self.sqlite,
                "UPDATE signals_jobs SET state = 0, run_at = $1, attempts = attempts - $2, \
                 locked_by = NULL WHERE id = $3 AND locked_by = $4",
            );
            with_conn!(&mut self.conn, pool => {
                sqlx::query(&statement)
                    .bind(db::now_ms())
                    .bind(undo)
                    .bind(*id)
                    .bind(self.worker.id.as_str())
                    .execute(pool)
                    .await?;
            });
        }
        Ok(())
    }

    /// Pushes back the lease of every job this worker runs.
    async fn extend_leases(&mut self) -> Result<(), Error> {
        if self.running.is_empty() {
            return Ok(());
        }
        let lease_end = db::now_ms() + self.worker.lease.as_millis() as i64;
        let statement = db::sql(
            self.sqlite,
            "UPDATE signals_jobs SET run_at = $1 WHERE locked_by = $2 AND state = 1",
        );
        with_conn!(&mut self.conn, pool => {
            sqlx::query(&statement)
                .bind(lease_end)
                .bind(self.worker.id.as_str())
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Shutdown: waits for the running jobs up to the grace period, hands
    /// back those still running, and deletes the finished ones.
    async fn drain(&mut self) -> Result<(), Error> {
        let deadline = tokio::time::Instant::now() + self.worker.grace;
        let mut heartbeat = tokio::time::interval(self.worker.lease / 3);
        while !self.tasks.is_empty() {
            tokio::select! {
                done = self.tasks.join_next() => match done {
                    Some(done) => self.finished(done).await?,
                    None => break,
                },
                _ = heartbeat.tick() => self.extend_leases().await?,
                () = tokio::time::sleep_until(deadline) => break,
            }
        }
        let left: Vec<i64> = self.running.keys().copied().collect();
        for running in self.running.values() {
            running.abort.abort();
        }
        self.tasks.abort_all();
        while self.tasks.join_next().await.is_some() {}
        self.report.released += left.len() as u64;
        // An attempt cut short at shutdown does not count.
        self.release(&left, true).await?;
        self.running.clear();
        self.flush().await
    }

    /// Reports jobs no worker of this binary can take.
    async fn warn_unknown(&self) {
        #[cfg(feature = "tracing")]
        if let Ok(stats) = self.worker.queue.stats().await {
            if stats.unknown > 0 {
                tracing::warn!(
                    unknown = stats.unknown,
                    "signals-queue: jobs for receivers not linked into this binary wait for a worker that has them (Queue::unknown_jobs lists them)"
                );
            }
        }
    }
}

/// One attempt of one job, panics caught, inside its span (feature
/// `tracing`).
async fn run_job(receiver: &'static DurableReceiver, job: Claimed) -> (i64, Outcome) {
    let id = job.id;
    let future = match receiver.start(&job.payload) {
        Ok(future) => future,
        Err(error) => return (id, Outcome::Undecodable(error.to_string())),
    };
    let attempt = CatchUnwind(future);
    #[cfg(feature = "tracing")]
    let attempt = tracing::Instrument::instrument(
        attempt,
        tracing::info_span!(
            "signals_queue.job",
            job = id,
            signal = job.signal.as_str(),
            receiver = job.receiver.as_str(),
            attempt = job.attempts
        ),
    );
    let outcome = match attempt.await {
        Ok(Ok(())) => Outcome::Succeeded,
        Ok(Err(error)) => Outcome::Failed(error.to_string()),
        Err(message) => Outcome::Failed(format!("the receiver panicked: {message}")),
    };
    (id, outcome)
}

#[cfg(feature = "tracing")]
fn trace_failure(id: i64, attempts: i32, max_attempts: i32, error: &str, dead: bool) {
    if dead {
        tracing::error!(
            job = id,
            attempts,
            max_attempts,
            error,
            "signals-queue: job is dead"
        );
    } else {
        tracing::warn!(
            job = id,
            attempts,
            max_attempts,
            error,
            "signals-queue: job failed; it will be retried"
        );
    }
}

#[cfg(not(feature = "tracing"))]
fn trace_failure(_: i64, _: i32, _: i32, _: &str, _: bool) {}

/// Polls a job's future, turning a panic into an error message.
struct CatchUnwind(durable::JobFuture);

impl Future for CatchUnwind {
    type Output = Result<Result<(), signals_core::BoxError>, String>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        use std::panic::{catch_unwind, AssertUnwindSafe};
        match catch_unwind(AssertUnwindSafe(|| self.0.as_mut().poll(cx))) {
            Ok(std::task::Poll::Pending) => std::task::Poll::Pending,
            Ok(std::task::Poll::Ready(outcome)) => std::task::Poll::Ready(Ok(outcome)),
            Err(payload) => {
                let message = payload
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "(not a string)".to_owned());
                std::task::Poll::Ready(Err(message))
            }
        }
    }
}
