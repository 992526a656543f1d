//! What the queue tests share: a fresh database per test (a SQLite file, or
//! a PostgreSQL database created and dropped for the test).

#![allow(dead_code)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use signals_core::{SendError, Signal};
use signals_queue::{Queue, Stats};

static NEXT: AtomicU64 = AtomicU64::new(0);

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{prefix}_{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// One test's database.
pub struct TestDb {
    pub queue: Queue,
    pub url: String,
    drop_db: Option<(String, String)>,
}

/// A new SQLite database in a temporary file.
pub async fn sqlite() -> TestDb {
    let path = std::env::temp_dir().join(format!("{}.db", unique("signals_queue_test")));
    let url = format!("sqlite://{}", path.display());
    let queue = Queue::connect(&url)
        .await
        .expect("open the SQLite test database");
    TestDb {
        queue,
        url,
        drop_db: None,
    }
}

/// The server the PostgreSQL tests use; fails with how to start one.
#[cfg(feature = "postgres")]
pub fn postgres_url() -> String {
    match std::env::var("SIGNALS_TEST_POSTGRES") {
        Ok(url) if !url.trim().is_empty() => url,
        _ => panic!(
            "the PostgreSQL tests need a server: run `export SIGNALS_TEST_POSTGRES=$(bash .ci/postgres)` \
             (it installs and starts PostgreSQL and prints its URL), then run the tests again"
        ),
    }
}

/// A new PostgreSQL database on the server of `SIGNALS_TEST_POSTGRES`.
#[cfg(feature = "postgres")]
pub async fn postgres() -> TestDb {
    use sqlx::Connection;
    let admin = postgres_url();
    let name = unique("signals_queue_test");
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .unwrap_or_else(|error| {
            panic!(
                "cannot reach PostgreSQL at SIGNALS_TEST_POSTGRES ({error}): start it with \
             `export SIGNALS_TEST_POSTGRES=$(bash .ci/postgres)`"
            )
        });
    sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create the test database");
    conn.close().await.ok();
    let url = with_database(&admin, &name);
    let queue = Queue::connect(&url)
        .await
        .expect("open the PostgreSQL test database");
    TestDb {
        queue,
        url,
        drop_db: Some((admin, name)),
    }
}

/// `url` with its database replaced by `name`.
#[cfg(feature = "postgres")]
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_end = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[authority_end..]
        .find('/')
        .map_or(base.len(), |i| authority_end + i);
    let mut out = format!("{}/{name}", &base[..path_start]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

/// Runs `$body` with `$pool` bound to the queue's pool, whichever the
/// engine (the body is compiled once per engine).
macro_rules! on_pool {
    ($queue:expr, $pool:ident => $body:expr) => {{
        #[cfg(feature = "sqlite")]
        if let Some($pool) = $queue.sqlite_pool() {
            return $body;
        }
        #[cfg(feature = "postgres")]
        if let Some($pool) = $queue.postgres_pool() {
            return $body;
        }
        unreachable!("a queue is in SQLite or PostgreSQL")
    }};
}

impl TestDb {
    /// Sends each signal with `send_in` in one transaction, then commits or
    /// rolls back.
    pub async fn send_in_tx<S: Signal>(
        &self,
        signals: &[S],
        commit: bool,
    ) -> Result<(), SendError> {
        on_pool!(self.queue, pool => {
            let mut tx = pool.begin().await.unwrap();
            for signal in signals {
                signals_queue::send_in(&mut tx, signal).await?;
            }
            if commit {
                tx.commit().await.unwrap()
            } else {
                tx.rollback().await.unwrap()
            }
            Ok(())
        })
    }

    /// Runs a statement on the queue's database (no parameters).
    pub async fn execute(&self, statement: &str) {
        on_pool!(self.queue, pool => {
            sqlx::raw_sql(statement).execute(pool).await.unwrap();
        })
    }

    /// Drops a PostgreSQL test database (SQLite files live in the temp dir).
    pub async fn close(self) {
        #[cfg(feature = "postgres")]
        if let Some((admin, name)) = self.drop_db {
            use sqlx::Connection;
            if let Some(pool) = self.queue.postgres_pool() {
                pool.close().await;
            }
            if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                let _ = sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn)
                    .await;
            }
        }
        #[cfg(not(feature = "postgres"))]
        let _ = self.drop_db;
    }
}

/// Waits until `done(stats)` holds, failing after `limit`.
pub async fn wait_for(queue: &Queue, limit: Duration, done: impl Fn(&Stats) -> bool) -> Stats {
    let start = Instant::now();
    loop {
        let stats = queue.stats().await.unwrap();
        if done(&stats) {
            return stats;
        }
        assert!(
            start.elapsed() < limit,
            "gave up waiting; last stats: {stats:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
