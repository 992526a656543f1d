//! The jobs table: every SQL statement the queue runs, for both engines.
//!
//! The statements are written once with `$N` parameters; SQLite gets them
//! with `?N`, which it reads as the same numbered parameters. Each operation
//! is one statement, so one round trip: enqueue (one multi-row `INSERT`),
//! claim (an `UPDATE ... WHERE id IN (SELECT ... LIMIT n)`, with
//! `FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite runs one writer at a time,
//! so its single statement is already atomic), finish (one `DELETE` for a
//! whole batch), fail, release and extend the lease.

use std::borrow::Cow;
use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::Row;

use crate::{Error, Job, JobId, Stats};

/// The pool of one of the engines.
#[derive(Clone, Debug)]
pub(crate) enum Db {
    #[cfg(feature = "sqlite")]
    Sqlite(sqlx::SqlitePool),
    #[cfg(feature = "postgres")]
    Postgres(sqlx::PgPool),
}

/// Runs `$body` with `$pool` bound to the pool, whichever the engine; the
/// body is compiled once per engine.
macro_rules! with_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            #[cfg(feature = "sqlite")]
            $crate::db::Db::Sqlite($pool) => $body,
            #[cfg(feature = "postgres")]
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}
pub(crate) use with_pool;

/// Milliseconds since the Unix epoch, the table's clock. Workers on several
/// machines compare it with leases: keep their clocks in sync (NTP); a lease
/// of 30 s leaves room for ordinary skew.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A statement for the engine: `$N` parameters as they are, or as `?N`.
pub(crate) fn sql(sqlite: bool, statement: &str) -> Cow<'_, str> {
    if sqlite {
        Cow::Owned(statement.replace('$', "?"))
    } else {
        Cow::Borrowed(statement)
    }
}

pub(crate) const MIGRATIONS_SQLITE: &[(i64, &str)] =
    &[(1, include_str!("../migrations/sqlite/0001_jobs.sql"))];
pub(crate) const MIGRATIONS_POSTGRES: &[(i64, &str)] =
    &[(1, include_str!("../migrations/postgres/0001_jobs.sql"))];

/// The queue's own record of the migrations it applied: its own table, so
/// that the application's `sqlx migrate` history is left alone.
const SCHEMA_TABLE: &str =
    "CREATE TABLE IF NOT EXISTS signals_queue_schema (version BIGINT PRIMARY KEY)";

/// Applies the migrations the database lacks, each in its own transaction.
/// On PostgreSQL an advisory lock keeps two processes from racing.
pub(crate) async fn migrate(db: &Db) -> Result<(), Error> {
    with_pool!(db, pool => {
        let sqlite = is_sqlite(db);
        let migrations = if sqlite { MIGRATIONS_SQLITE } else { MIGRATIONS_POSTGRES };
        let mut tx = pool.begin().await?;
        if !sqlite {
            // The key is arbitrary but fixed: "signals-queue" in ASCII, cut to 63 bits.
            sqlx::raw_sql("SELECT pg_advisory_xact_lock(7526765358757212517)")
                .execute(&mut *tx)
                .await?;
        }
        sqlx::raw_sql(SCHEMA_TABLE).execute(&mut *tx).await?;
        let current: Option<i64> =
            sqlx::query_scalar("SELECT MAX(version) FROM signals_queue_schema")
                .fetch_one(&mut *tx)
                .await?;
        let current = current.unwrap_or(0);
        for (version, script) in migrations {
            if *version <= current {
                continue;
            }
            sqlx::raw_sql(script).execute(&mut *tx).await?;
            sqlx::query(&sql(sqlite, "INSERT INTO signals_queue_schema (version) VALUES ($1)"))
                .bind(*version)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    })
}

pub(crate) fn is_sqlite(db: &Db) -> bool {
    match db {
        #[cfg(feature = "sqlite")]
        Db::Sqlite(_) => true,
        #[cfg(feature = "postgres")]
        Db::Postgres(_) => false,
    }
}

/// The `INSERT` of `receivers` jobs: `(signal, receiver, payload,
/// max_attempts, run_at, created_at)` per row, all parameters.
pub(crate) fn insert_statement(sqlite: bool, receivers: usize) -> String {
    let mut statement = String::from(
        "INSERT INTO signals_jobs (signal, receiver, payload, max_attempts, run_at, created_at) VALUES ",
    );
    // $1 signal, $2 payload, $3 now; then per row: receiver, max_attempts.
    for row in 0..receivers {
        if row > 0 {
            statement.push_str(", ");
        }
        let receiver = 4 + 2 * row;
        statement.push_str(&format!("($1, ${receiver}, $2, ${}, $3, $3)", receiver + 1));
    }
    sql(sqlite, &statement).into_owned()
}

/// The claim: up to `$4` due jobs whose receiver is linked into this worker
/// (the `(signal, receiver)` pairs from `$5` on), marked running under this
/// worker's lease.
pub(crate) fn claim_statement(sqlite: bool, linked: usize) -> String {
    let pairs: Vec<String> = (0..linked)
        .map(|i| format!("(${}, ${})", 5 + 2 * i, 6 + 2 * i))
        .collect();
    let lock = if sqlite {
        ""
    } else {
        " FOR UPDATE SKIP LOCKED"
    };
    let statement = format!(
        "UPDATE signals_jobs SET state = 1, attempts = attempts + 1, locked_by = $1, run_at = $2 \
         WHERE id IN (SELECT id FROM signals_jobs \
         WHERE state < 2 AND run_at <= $3 AND (signal, receiver) IN (VALUES {}) \
         ORDER BY run_at, id LIMIT $4{lock}) \
         RETURNING id, signal, receiver, payload, attempts, max_attempts",
        pairs.join(", ")
    );
    sql(sqlite, &statement).into_owned()
}

/// A claimed job, as the worker runs it.
#[derive(Debug)]
pub(crate) struct Claimed {
    pub(crate) id: i64,
    pub(crate) signal: String,
    pub(crate) receiver: String,
    pub(crate) payload: Vec<u8>,
    pub(crate) attempts: i32,
    pub(crate) max_attempts: i32,
}

pub(crate) fn claimed<R: Row>(row: &R) -> Result<Claimed, sqlx::Error>
where
    for<'r> &'r str: sqlx::ColumnIndex<R>,
    i64: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    i32: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    String: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Vec<u8>: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(Claimed {
        id: row.try_get("id")?,
        signal: row.try_get("signal")?,
        receiver: row.try_get("receiver")?,
        payload: row.try_get("payload")?,
        attempts: row.try_get("attempts")?,
        max_attempts: row.try_get("max_attempts")?,
    })
}

pub(crate) fn job<R: Row>(row: &R) -> Result<Job, sqlx::Error>
where
    for<'r> &'r str: sqlx::ColumnIndex<R>,
    i64: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    i32: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    String: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<String>: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Vec<u8>: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let state: i32 = row.try_get("state")?;
    Ok(Job {
        id: JobId(row.try_get("id")?),
        signal: row.try_get("signal")?,
        receiver: row.try_get("receiver")?,
        payload: row.try_get("payload")?,
        attempts: row.try_get::<i32, _>("attempts")? as u32,
        max_attempts: row.try_get::<i32, _>("max_attempts")? as u32,
        is_dead: state == 2,
        last_error: row.try_get("last_error")?,
    })
}

pub(crate) const JOB_COLUMNS: &str =
    "id, signal, receiver, payload, state, attempts, max_attempts, last_error";

pub(crate) fn stats_of(counts: [i64; 4], unknown: i64) -> Stats {
    let [queued, retrying, running, dead] = counts.map(|n| n.max(0) as u64);
    Stats {
        queued,
        retrying,
        running,
        dead,
        unknown: unknown.max(0) as u64,
    }
}

pub(crate) const STATS: &str = "SELECT \
     COALESCE(SUM(CASE WHEN state = 0 AND attempts = 0 THEN 1 ELSE 0 END), 0), \
     COALESCE(SUM(CASE WHEN state = 0 AND attempts > 0 THEN 1 ELSE 0 END), 0), \
     COALESCE(SUM(CASE WHEN state = 1 THEN 1 ELSE 0 END), 0), \
     COALESCE(SUM(CASE WHEN state = 2 THEN 1 ELSE 0 END), 0) \
     FROM signals_jobs";
