//! The stores the shared tests run on: `MemoryStore`, and `SqlStore` over
//! SQLite (in memory and in a file) and, with the `postgres` feature, over a
//! PostgreSQL database of each test's own.

#![allow(dead_code, unused_imports)] // each test binary uses a different part

use signals_auth::sql::SqlStore;
use signals_auth::Secret;

/// How to get the PostgreSQL server the `postgres` tests need.
pub const START_POSTGRES: &str = "the `postgres` tests need a PostgreSQL server: \
    start one and point SIGNALS_TEST_POSTGRES at it with \
    `export SIGNALS_TEST_POSTGRES=$(bash .ci/postgres)` (from the repository's root), \
    then run the tests again";

/// A `SqlStore` over a private in-memory SQLite database.
pub async fn sqlite_memory() -> SqlStore {
    SqlStore::connect("sqlite::memory:")
        .await
        .expect("an in-memory SQLite database")
}

/// Everything a `SqlStore` holds: every row of every table as text, in a
/// stable order, the columns that hold secrets (password hashes, tokens,
/// profile data) apart. Equal when the store holds exactly the same data;
/// `Debug` shows the rest and redacts those.
#[derive(Debug, PartialEq, Eq)]
pub struct SqlSnapshot {
    pub rows: String,
    pub secrets: Secret<String>,
}

impl SqlSnapshot {
    /// True if any column holds `needle`.
    pub fn contains(&self, needle: &str) -> bool {
        self.rows.contains(needle) || self.secrets.expose_str().contains(needle)
    }
}

/// The store's [`SqlSnapshot`].
pub async fn snapshot(store: &SqlStore) -> SqlSnapshot {
    // (table, columns, secret columns)
    const TABLES: &[(&str, &str, &str)] = &[
        (
            "auth_user",
            "id, username, username_key, email",
            "password_hash",
        ),
        (
            "auth_email_address",
            "email, user_id, verified, is_primary",
            "",
        ),
        (
            "auth_email_confirmation",
            "key_hash, user_id, email, verified, is_primary, created, sent",
            "",
        ),
        ("auth_reset_key", "key_hash, user_id, created", ""),
        ("auth_session", "key_hash, user_id", ""),
        (
            "auth_social_account",
            "provider, uid, user_id, last_login, date_joined",
            "",
        ),
        ("auth_social_extra_data", "provider, uid, name", "value"),
        (
            "auth_social_token",
            "provider, uid, expires_at, app_provider, app_name, app_client_id",
            "token, token_secret, app_secret, app_key",
        ),
    ];
    let text = |columns: &str| {
        if columns.is_empty() {
            return "''".to_owned();
        }
        columns
            .split(", ")
            .map(|column| format!("COALESCE(CAST({column} AS TEXT), 'NULL')"))
            .collect::<Vec<_>>()
            .join(" || '|' || ")
    };
    let (mut rows, mut secrets) = (String::new(), String::new());
    for (table, columns, secret_columns) in TABLES {
        let sql = format!(
            "SELECT {}, {} FROM {table} ORDER BY 1",
            text(columns),
            text(secret_columns)
        );
        let found: Vec<(String, String)> = match store.sqlite_pool() {
            Some(pool) => sqlx::query_as(&sql).fetch_all(pool).await,
            #[cfg(feature = "postgres")]
            None => {
                let pool = store.postgres_pool().expect("a store has one engine");
                sqlx::query_as(&sql).fetch_all(pool).await
            }
            #[cfg(not(feature = "postgres"))]
            None => unreachable!("without the postgres feature, a store is SQLite"),
        }
        .unwrap_or_else(|error| panic!("reading {table}: {error}"));
        let (public, secret): (Vec<_>, Vec<_>) = found.into_iter().unzip();
        rows.push_str(&format!("{table}: {public:?}\n"));
        secrets.push_str(&format!("{table}: {secret:?}\n"));
    }
    SqlSnapshot {
        rows,
        secrets: Secret::new(secrets),
    }
}

/// A SQLite database in a fresh file, deleted with the directory on drop.
pub struct SqliteFile {
    dir: std::path::PathBuf,
    pub url: String,
}

impl SqliteFile {
    pub fn new() -> Self {
        let dir = std::env::temp_dir().join(format!(
            "signals-auth-test-{}-{}",
            std::process::id(),
            &signals_auth::generate_key().expose_str()[..16]
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}", dir.join("auth.db").display());
        SqliteFile { dir, url }
    }

    pub async fn store(&self) -> SqlStore {
        SqlStore::connect(&self.url)
            .await
            .expect("a SQLite database file")
    }
}

impl Drop for SqliteFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[cfg(feature = "postgres")]
pub use postgres::PostgresDatabase;

#[cfg(feature = "postgres")]
mod postgres {
    use std::str::FromStr;

    use signals_auth::sql::SqlStore;
    use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
    use sqlx::{ConnectOptions, Connection, Executor};

    use super::START_POSTGRES;

    /// A database of one test's own on the server `SIGNALS_TEST_POSTGRES`
    /// names: created by [`create`](Self::create), dropped (with any
    /// connection left to it) when the value is dropped, even if the test
    /// panicked.
    pub struct PostgresDatabase {
        admin: PgConnectOptions,
        name: String,
    }

    /// The server's options, or a panic that says how to start one.
    fn admin_options() -> PgConnectOptions {
        let url = match std::env::var("SIGNALS_TEST_POSTGRES") {
            Ok(url) if !url.trim().is_empty() => url,
            _ => panic!("SIGNALS_TEST_POSTGRES is not set; {START_POSTGRES}"),
        };
        PgConnectOptions::from_str(url.trim()).unwrap_or_else(|error| {
            panic!("SIGNALS_TEST_POSTGRES is not a PostgreSQL URL ({error}); {START_POSTGRES}")
        })
    }

    impl PostgresDatabase {
        /// Creates `signals_test_<random>`.
        pub async fn create() -> PostgresDatabase {
            let admin = admin_options();
            let mut connection = admin.connect().await.unwrap_or_else(|error| {
                panic!("cannot reach the PostgreSQL server of SIGNALS_TEST_POSTGRES ({error}); {START_POSTGRES}")
            });
            let name = format!(
                "signals_test_{}",
                &signals_auth::generate_key().expose_str()[..24]
            );
            connection
                .execute(format!("CREATE DATABASE {name}").as_str())
                .await
                .unwrap_or_else(|error| panic!("cannot create database {name}: {error}"));
            let _ = connection.close().await;
            PostgresDatabase { admin, name }
        }

        /// The database's name.
        pub fn name(&self) -> &str {
            &self.name
        }

        /// A `SqlStore` on the database (its schema migrated).
        pub async fn store(&self) -> SqlStore {
            let pool = PgPoolOptions::new()
                .max_connections(10)
                .connect_with(self.admin.clone().database(&self.name))
                .await
                .unwrap_or_else(|error| panic!("cannot connect to {}: {error}", self.name));
            SqlStore::postgres(pool)
                .await
                .unwrap_or_else(|error| panic!("cannot migrate {}: {error}", self.name))
        }
    }

    impl Drop for PostgresDatabase {
        fn drop(&mut self) {
            let admin = self.admin.clone();
            let name = std::mem::take(&mut self.name);
            // Drop runs inside the test's runtime, which cannot block: the
            // database is dropped from a thread with a runtime of its own.
            let dropped = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                runtime
                    .block_on(async {
                        let mut connection = admin.connect().await?;
                        connection
                            .execute(
                                format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str(),
                            )
                            .await?;
                        connection.close().await
                    })
                    .map_err(std::io::Error::other)
            })
            .join();
            if !matches!(dropped, Ok(Ok(()))) && !std::thread::panicking() {
                panic!("the test database could not be dropped: {dropped:?}");
            }
        }
    }
}
