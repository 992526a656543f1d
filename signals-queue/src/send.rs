//! `send_in`: a durable signal sent inside the caller's own transaction.

use signals_core::durable::{self, Inline, NewJobs};
use signals_core::{SendError, Signal};

use crate::db;

mod sealed {
    pub trait Sealed {}
}

/// A database the queue runs on: SQLite (feature `sqlite`) or PostgreSQL
/// (feature `postgres`). Sealed.
pub trait Engine: sqlx::Database + sealed::Sealed {
    #[doc(hidden)]
    const IS_SQLITE: bool;
}

#[cfg(feature = "sqlite")]
impl sealed::Sealed for sqlx::Sqlite {}
#[cfg(feature = "sqlite")]
impl Engine for sqlx::Sqlite {
    const IS_SQLITE: bool = true;
}

#[cfg(feature = "postgres")]
impl sealed::Sealed for sqlx::Postgres {}
#[cfg(feature = "postgres")]
impl Engine for sqlx::Postgres {
    const IS_SQLITE: bool = false;
}

/// Sends a durable signal inside the caller's transaction: runs its inline
/// receivers now (stopping at the first `Err`, as `send` does), then writes
/// one job per durable receiver into `tx`, in one statement. A rollback
/// leaves no job; the commit makes them visible to workers.
///
/// Returns the first inline receiver's error, or the database's error
/// (attributed to the first durable receiver); either way, roll back.
///
/// ```no_run
/// # use signals_core::signal;
/// # #[signal(durable)]
/// # #[derive(serde::Serialize, serde::Deserialize)]
/// # pub struct OrderPlaced { pub order_id: u64 }
/// # async fn demo(pool: sqlx::SqlitePool) -> Result<(), Box<dyn std::error::Error>> {
/// let mut tx = pool.begin().await?;
/// sqlx::query("INSERT INTO orders (id) VALUES (7)").execute(&mut *tx).await?;
/// signals_queue::send_in(&mut tx, &OrderPlaced { order_id: 7 }).await?;
/// tx.commit().await?;
/// # Ok(()) }
/// ```
pub async fn send_in<DB, S>(tx: &mut sqlx::Transaction<'_, DB>, signal: &S) -> Result<(), SendError>
where
    DB: Engine,
    S: Signal,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> <DB as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> &'q [u8]: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> i32: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    if durable::send_inline(signal).await? == Inline::Muted {
        return Ok(());
    }
    let Some(jobs) = NewJobs::of(signal) else {
        return Ok(());
    };
    let first = durable::receivers_of(S::NAME)[0].name();
    let jobs = jobs.map_err(|error| durable::enqueue_error(S::NAME, first, error))?;
    insert(&mut **tx, &jobs)
        .await
        .map_err(|error| durable::enqueue_error(S::NAME, first, Box::new(error)))
}

/// Writes the jobs of one send: one multi-row `INSERT`.
pub(crate) async fn insert<'c, DB, E>(conn: E, jobs: &NewJobs) -> Result<(), sqlx::Error>
where
    DB: Engine,
    E: sqlx::Executor<'c, Database = DB>,
    for<'q> <DB as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> &'q [u8]: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> i32: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let statement = db::insert_statement(DB::IS_SQLITE, jobs.receivers().len());
    let mut query = sqlx::query::<DB>(&statement)
        .bind(jobs.signal_name())
        .bind(jobs.payload())
        .bind(db::now_ms());
    for receiver in jobs.receivers() {
        let attempts = i32::try_from(receiver.retries().saturating_add(1)).unwrap_or(i32::MAX);
        query = query.bind(receiver.name()).bind(attempts);
    }
    query.execute(conn).await?;
    Ok(())
}
