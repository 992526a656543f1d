//! [`SqlStore`]: the flows' [`Store`] in a SQL database through sqlx:
//! SQLite (feature `sqlite`; embedded, a file or `:memory:`) and
//! PostgreSQL (feature `postgres`).
//!
//! ```
//! use signals_auth::flows::{Accounts, Settings, SignupForm, SignupOutcome};
//! use signals_auth::memory::MemoryMailer;
//! use signals_auth::sql::SqlStore;
//! use signals_auth::RequestContext;
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! // The tables are created (or brought up to date) on connect.
//! let store = SqlStore::connect("sqlite::memory:").await.unwrap();
//! let accounts = Accounts::new(store, MemoryMailer::new(), Settings::new());
//! let request = RequestContext::new(http::Method::POST, "/accounts/signup/".parse().unwrap());
//! let outcome = accounts.signup(&request, SignupForm::new("ada@example.com")).await.unwrap();
//! assert!(matches!(outcome, SignupOutcome::LoggedIn(_)));
//! assert_eq!(accounts.store().user_count().await.unwrap(), 1);
//! # });
//! ```
//!
//! # Guarantees
//!
//! - **Atomic.** Each flow's [`Transaction`] is a database transaction:
//!   dropped or rolled back, none of its writes remain.
//! - **Race-free.** Uniqueness is the database's: an address is a primary
//!   key, a username has a unique (lowercased) key, a provider account is
//!   keyed by provider and uid. Inserts are `INSERT ... ON CONFLICT DO
//!   NOTHING`, and a row that was not inserted is reported as the typed
//!   [`Conflict`], never checked first. Taking a key is one `DELETE ...
//!   RETURNING`, so two flows never both take it.
//! - **Keys are hashed.** Confirmation, reset and session keys are stored as
//!   SHA-256 hashes: the database alone opens no session and confirms no
//!   address. Passwords arrive hashed by the flows.
//!
//! # Engines
//!
//! SQLite allows one writer at a time. Each transaction starts with `BEGIN
//! IMMEDIATE`, so a flow holds the write lock from its first read on and
//! two flows never deadlock upgrading a read lock; the pool keeps a single
//! connection, so the flows of one process queue for it in order instead
//! of polling a locked file (another process writing the same file is
//! waited for up to the busy timeout, 5 seconds). A receiver must not open
//! a second transaction on the same `SqlStore` while its flow runs: it
//! would wait for the flow's connection and fail after the pool's acquire
//! timeout (30 seconds).
//!
//! PostgreSQL runs flows in parallel (`READ COMMITTED`; a pool of 10
//! connections by default); concurrent inserts of one address wait for each
//! other, and the second reports the conflict.
//!
//! # Schema
//!
//! The migrations ship inside the crate (`migrations/sqlite`,
//! `migrations/postgres`) and run through sqlx's migrator on
//! [`connect`](SqlStore::connect) or [`migrate`](SqlStore::migrate); they
//! are recorded in `_sqlx_migrations`. Tables are prefixed `auth_`.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};
use signals_core::BoxError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};

use crate::memory::BasicUser;
use crate::models::{EmailAddress, EmailConfirmation, SocialAccount, SocialApp, SocialToken};
use crate::secret::Secret;
use crate::store::{refuse_empty, Conflict, NewUser, Store, StoreError, StoreResult, Transaction};
use crate::user::AuthUser;
use crate::ExtraData;

#[cfg(feature = "postgres")]
use sqlx::postgres::{PgPool, PgPoolOptions};

type MakeUser<U> = dyn Fn(&str, &NewUser) -> U + Send + Sync;

/// The flows' [`Store`] in SQLite or PostgreSQL. See the [module
/// documentation](self) for what it guarantees and how each engine runs.
///
/// Users are [`BasicUser`]s, or the application's own type built by
/// [`with_user_type`](Self::with_user_type) from the id, username and
/// address the store keeps.
pub struct SqlStore<U = BasicUser> {
    pool: Pool,
    make_user: Arc<MakeUser<U>>,
}

#[derive(Clone)]
enum Pool {
    Sqlite(SqlitePool),
    #[cfg(feature = "postgres")]
    Postgres(PgPool),
}

impl<U> fmt::Debug for SqlStore<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The pool's options may hold a password: the engine only.
        f.debug_struct("SqlStore")
            .field("engine", &self.engine())
            .finish_non_exhaustive()
    }
}

/// The schema, one migration per engine, embedded in the crate.
#[derive(Debug)]
struct Embedded(&'static str);

const SQLITE_SCHEMA: &str = include_str!("../migrations/sqlite/0001_auth.sql");
#[cfg(feature = "postgres")]
const POSTGRES_SCHEMA: &str = include_str!("../migrations/postgres/0001_auth.sql");

impl MigrationSource<'static> for Embedded {
    fn resolve(
        self,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<Migration>, BoxError>> + Send + 'static>> {
        let migration = Migration::new(
            1,
            Cow::Borrowed("auth"),
            MigrationType::Simple,
            Cow::Borrowed(self.0),
            false,
        );
        Box::pin(async move { Ok(vec![migration]) })
    }
}

impl SqlStore<BasicUser> {
    /// Connects to `url` and brings the schema up to date.
    ///
    /// - `sqlite::memory:`: a private in-memory database (it lives as long
    ///   as the store);
    /// - `sqlite://path/to/file.db` or `sqlite:file.db`: a file, created if
    ///   missing;
    /// - `postgres://user:password@host/database` (feature `postgres`).
    pub async fn connect(url: &str) -> StoreResult<Self> {
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .map_err(StoreError::new)?
                .create_if_missing(true);
            return SqlStore::sqlite_with(options).await;
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            #[cfg(feature = "postgres")]
            {
                let pool = PgPoolOptions::new()
                    .connect(url)
                    .await
                    .map_err(StoreError::new)?;
                return SqlStore::postgres(pool).await;
            }
            #[cfg(not(feature = "postgres"))]
            return Err(StoreError::new(
                "PostgreSQL needs signals-auth's `postgres` feature",
            ));
        }
        Err(StoreError::new(
            "the URL names no engine SqlStore knows: use sqlite:... or postgres://...",
        ))
    }

    /// A SQLite database with these options (busy timeout, journal mode,
    /// ...); the store keeps one connection to it (see the [module
    /// documentation](self#engines)). The schema is brought up to date.
    pub async fn sqlite_with(options: SqliteConnectOptions) -> StoreResult<Self> {
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            // An in-memory database ends with its connection: keep it.
            .idle_timeout(None::<Duration>)
            .max_lifetime(None::<Duration>)
            .connect_with(options)
            .await
            .map_err(StoreError::new)?;
        SqlStore::from_pool(Pool::Sqlite(pool)).await
    }

    /// A store over an existing PostgreSQL pool; the schema is brought up
    /// to date.
    #[cfg(feature = "postgres")]
    pub async fn postgres(pool: PgPool) -> StoreResult<Self> {
        SqlStore::from_pool(Pool::Postgres(pool)).await
    }

    async fn from_pool(pool: Pool) -> StoreResult<Self> {
        let store = SqlStore {
            pool,
            make_user: Arc::new(|id: &str, new: &NewUser| BasicUser {
                id: id.to_owned(),
                username: new.username.clone(),
                email: new.email.clone(),
            }),
        };
        store.migrate().await?;
        Ok(store)
    }
}

impl<U> SqlStore<U> {
    /// `"sqlite"` or `"postgres"`.
    pub fn engine(&self) -> &'static str {
        match &self.pool {
            Pool::Sqlite(_) => "sqlite",
            #[cfg(feature = "postgres")]
            Pool::Postgres(_) => "postgres",
        }
    }
}

impl<U: AuthUser> SqlStore<U> {
    /// The same store, with users of the application's own type:
    /// `make_user(id, stored)` builds one from the id and the username and
    /// address the store keeps.
    pub fn with_user_type<V: AuthUser>(
        self,
        make_user: impl Fn(&str, &NewUser) -> V + Send + Sync + 'static,
    ) -> SqlStore<V> {
        SqlStore {
            pool: self.pool,
            make_user: Arc::new(make_user),
        }
    }

    /// The SQLite pool, for the application's own queries on the same
    /// database.
    pub fn sqlite_pool(&self) -> Option<&SqlitePool> {
        match &self.pool {
            Pool::Sqlite(pool) => Some(pool),
            #[cfg(feature = "postgres")]
            Pool::Postgres(_) => None,
        }
    }

    /// The PostgreSQL pool, for the application's own queries on the same
    /// database (`None` on SQLite).
    #[cfg(feature = "postgres")]
    pub fn postgres_pool(&self) -> Option<&PgPool> {
        match &self.pool {
            Pool::Sqlite(_) => None,
            Pool::Postgres(pool) => Some(pool),
        }
    }

    /// Applies the crate's migrations that are not applied yet (done by
    /// the constructors already).
    pub async fn migrate(&self) -> StoreResult<()> {
        let schema = match &self.pool {
            Pool::Sqlite(_) => SQLITE_SCHEMA,
            #[cfg(feature = "postgres")]
            Pool::Postgres(_) => POSTGRES_SCHEMA,
        };
        let migrator = Migrator::new(Embedded(schema))
            .await
            .map_err(StoreError::new)?;
        match &self.pool {
            Pool::Sqlite(pool) => migrator.run(pool).await,
            #[cfg(feature = "postgres")]
            Pool::Postgres(pool) => migrator.run(pool).await,
        }
        .map_err(StoreError::new)
    }

    /// Closes the pool: open transactions finish, new ones fail.
    pub async fn close(&self) {
        match &self.pool {
            Pool::Sqlite(pool) => pool.close().await,
            #[cfg(feature = "postgres")]
            Pool::Postgres(pool) => pool.close().await,
        }
    }

    /// How many users there are.
    pub async fn user_count(&self) -> StoreResult<usize> {
        self.count("SELECT COUNT(*) FROM auth_user").await
    }

    /// How many sessions are open.
    pub async fn session_count(&self) -> StoreResult<usize> {
        self.count("SELECT COUNT(*) FROM auth_session").await
    }

    async fn count(&self, sql: &'static str) -> StoreResult<usize> {
        let count: i64 = match &self.pool {
            Pool::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
            #[cfg(feature = "postgres")]
            Pool::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
        }
        .map_err(database_error)?;
        usize::try_from(count).map_err(StoreError::new)
    }
}

impl<U: AuthUser> Store for SqlStore<U> {
    type User = U;
    type Tx<'a>
        = SqlTransaction<'a, U>
    where
        Self: 'a;

    async fn begin(&self) -> StoreResult<SqlTransaction<'_, U>> {
        let tx = match &self.pool {
            Pool::Sqlite(pool) => Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await.map_err(
                |error| match error {
                    sqlx::Error::PoolTimedOut => StoreError::new(
                        "timed out waiting for the SQLite connection: another transaction \
                         of this store stayed open (on SQLite, a receiver must not begin a \
                         transaction of its own while its flow runs)",
                    ),
                    error => database_error(error),
                },
            )?),
            #[cfg(feature = "postgres")]
            Pool::Postgres(pool) => Tx::Postgres(pool.begin().await.map_err(database_error)?),
        };
        Ok(SqlTransaction {
            tx,
            make_user: &*self.make_user,
        })
    }
}

/// A database transaction on a [`SqlStore`]; dropped without a commit, it
/// rolls back.
pub struct SqlTransaction<'a, U> {
    tx: Tx,
    make_user: &'a MakeUser<U>,
}

enum Tx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    #[cfg(feature = "postgres")]
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

impl<U> fmt::Debug for SqlTransaction<'_, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let engine = match &self.tx {
            Tx::Sqlite(_) => "sqlite",
            #[cfg(feature = "postgres")]
            Tx::Postgres(_) => "postgres",
        };
        f.debug_struct("SqlTransaction")
            .field("engine", &engine)
            .finish_non_exhaustive()
    }
}

/// Runs one query on the transaction's connection, whichever the engine:
/// the expression is written once and compiled for each.
macro_rules! on {
    ($self:ident, $conn:ident => $query:expr) => {
        match &mut $self.tx {
            Tx::Sqlite(tx) => {
                let $conn = &mut **tx;
                $query.await
            }
            #[cfg(feature = "postgres")]
            Tx::Postgres(tx) => {
                let $conn = &mut **tx;
                $query.await
            }
        }
        .map_err(database_error)
    };
}

/// Runs one statement on the transaction's connection, whichever the
/// engine, and returns how many rows it changed.
macro_rules! exec {
    ($self:ident, $query:expr) => {
        match &mut $self.tx {
            Tx::Sqlite(tx) => $query
                .execute(&mut **tx)
                .await
                .map(|done| done.rows_affected()),
            #[cfg(feature = "postgres")]
            Tx::Postgres(tx) => $query
                .execute(&mut **tx)
                .await
                .map(|done| done.rows_affected()),
        }
        .map_err(database_error)
    };
}

/// A key as the store keeps it: SHA-256, in hex.
fn key_hash(key: &Secret<String>) -> String {
    let digest = Sha256::digest(key.expose_str().as_bytes());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Refuses to store an empty key (a confirmation that went through serde
/// without its key, say): every empty key would hash alike, so one such row
/// would answer to any other empty key. `MemoryStore` refuses them too.
/// Microseconds since the Unix epoch (negative before it).
fn micros(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_micros()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_micros()).map_or(i64::MIN, |m| -m),
    }
}

fn time(micros: i64) -> SystemTime {
    let magnitude = Duration::from_micros(micros.unsigned_abs());
    if micros >= 0 {
        UNIX_EPOCH + magnitude
    } else {
        UNIX_EPOCH - magnitude
    }
}

/// A user id of this store (the database's integer key).
fn user_key(id: &str) -> Option<i64> {
    id.parse().ok()
}

fn unknown_user(id: &str) -> StoreError {
    StoreError::new(format!("no user with id {id:?} in this store"))
}

/// The database's error; a unique violation the inserts did not catch
/// (another writer's row, a constraint of the application's) as its
/// conflict.
fn database_error(error: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(database) = &error {
        if database.is_unique_violation() {
            // PostgreSQL names the constraint; SQLite names the columns.
            let what = database
                .constraint()
                .map_or_else(|| database.message().to_owned(), str::to_owned);
            if what.contains("username") {
                return Conflict::Username.into();
            }
            if what.contains("email_address") {
                return Conflict::Email.into();
            }
            if what.contains("social_account") {
                return Conflict::SocialAccount.into();
            }
        }
    }
    StoreError::new(error)
}

type UserRow = (i64, Option<String>, Option<String>);
type AddressRow = (i64, String, bool, bool);
type AccountRow = (String, String, Option<i64>, Option<i64>, Option<i64>);
type TokenRow = (
    String,
    Option<String>,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn address((user_id, email, verified, primary): AddressRow) -> EmailAddress {
    EmailAddress {
        user_id: user_id.to_string(),
        email,
        verified,
        primary,
    }
}

const USER_COLUMNS: &str = "id, username, email";
const ADDRESS_COLUMNS: &str = "user_id, email, verified, is_primary";

impl<U: AuthUser> SqlTransaction<'_, U> {
    fn user_from(&self, (id, username, email): UserRow) -> Arc<U> {
        let stored = NewUser { username, email };
        Arc::new((self.make_user)(&id.to_string(), &stored))
    }

    async fn extra_data(&mut self, provider: &str, uid: &str) -> StoreResult<ExtraData> {
        let rows: Vec<(String, String)> = on!(self, conn => sqlx::query_as(
            "SELECT name, value FROM auth_social_extra_data WHERE provider = $1 AND uid = $2 ORDER BY name",
        )
        .bind(provider)
        .bind(uid)
        .fetch_all(conn))?;
        Ok(rows.into_iter().collect())
    }

    async fn account_from(&mut self, row: AccountRow) -> StoreResult<SocialAccount> {
        let (provider, uid, user_id, last_login, date_joined) = row;
        let extra_data = self.extra_data(&provider, &uid).await?;
        Ok(SocialAccount {
            user_id: user_id.map(|id| id.to_string()),
            provider,
            uid,
            last_login: last_login.map(time),
            date_joined: date_joined.map(time),
            extra_data,
        })
    }

    /// Writes an account's columns and replaces its extra data.
    async fn write_extra_data(&mut self, account: &SocialAccount) -> StoreResult<()> {
        exec!(
            self,
            sqlx::query("DELETE FROM auth_social_extra_data WHERE provider = $1 AND uid = $2",)
                .bind(&account.provider)
                .bind(&account.uid)
        )?;
        for (name, value) in account.extra_data.iter() {
            exec!(self, sqlx::query(
                "INSERT INTO auth_social_extra_data (provider, uid, name, value) VALUES ($1, $2, $3, $4)",
            )
            .bind(&account.provider)
            .bind(&account.uid)
            .bind(name)
            .bind(value))?;
        }
        Ok(())
    }

    async fn write_token(
        &mut self,
        account: &SocialAccount,
        token: &SocialToken,
    ) -> StoreResult<()> {
        let app = token.app.as_ref();
        exec!(self, sqlx::query(
            "INSERT INTO auth_social_token \
             (provider, uid, token, token_secret, expires_at, app_provider, app_name, app_client_id, app_secret, app_key) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (provider, uid) DO UPDATE SET token = excluded.token, \
             token_secret = excluded.token_secret, expires_at = excluded.expires_at, \
             app_provider = excluded.app_provider, app_name = excluded.app_name, \
             app_client_id = excluded.app_client_id, app_secret = excluded.app_secret, \
             app_key = excluded.app_key",
        )
        .bind(&account.provider)
        .bind(&account.uid)
        .bind(token.token.expose_str())
        .bind(token.token_secret.as_ref().map(Secret::expose_str))
        .bind(token.expires_at.map(micros))
        .bind(app.map(|app| app.provider.as_str()))
        .bind(app.map(|app| app.name.as_str()))
        .bind(app.map(|app| app.client_id.as_str()))
        .bind(app.map(|app| app.secret.expose_str()))
        .bind(app.map(|app| app.key.expose_str())))?;
        Ok(())
    }

    fn account_user(account: &SocialAccount) -> StoreResult<Option<i64>> {
        account
            .user_id
            .as_deref()
            .map(|id| user_key(id).ok_or_else(|| unknown_user(id)))
            .transpose()
    }
}

impl<U: AuthUser> Transaction for SqlTransaction<'_, U> {
    type User = U;

    async fn commit(self) -> StoreResult<()> {
        match self.tx {
            Tx::Sqlite(tx) => tx.commit().await,
            #[cfg(feature = "postgres")]
            Tx::Postgres(tx) => tx.commit().await,
        }
        .map_err(database_error)
    }

    async fn rollback(self) -> StoreResult<()> {
        match self.tx {
            Tx::Sqlite(tx) => tx.rollback().await,
            #[cfg(feature = "postgres")]
            Tx::Postgres(tx) => tx.rollback().await,
        }
        .map_err(database_error)
    }

    async fn create_user(&mut self, new: &NewUser) -> StoreResult<Arc<U>> {
        let username_key = new.username.as_deref().map(str::to_lowercase);
        let id: Option<i64> = on!(self, conn => sqlx::query_scalar(
            "INSERT INTO auth_user (username, username_key, email) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING RETURNING id",
        )
        .bind(new.username.as_deref())
        .bind(username_key.as_deref())
        .bind(new.email.as_deref())
        .fetch_optional(conn))?;
        let id = id.ok_or(Conflict::Username)?;
        Ok(self.user_from((id, new.username.clone(), new.email.clone())))
    }

    async fn user(&mut self, id: &str) -> StoreResult<Option<Arc<U>>> {
        let Some(id) = user_key(id) else {
            return Ok(None);
        };
        let sql = format!("SELECT {USER_COLUMNS} FROM auth_user WHERE id = $1");
        let row: Option<UserRow> =
            on!(self, conn => sqlx::query_as(&sql).bind(id).fetch_optional(conn))?;
        Ok(row.map(|row| self.user_from(row)))
    }

    async fn user_by_username(&mut self, username: &str) -> StoreResult<Option<Arc<U>>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM auth_user WHERE username_key = $1");
        let row: Option<UserRow> = on!(self, conn => sqlx::query_as(&sql)
            .bind(username.to_lowercase())
            .fetch_optional(conn))?;
        Ok(row.map(|row| self.user_from(row)))
    }

    async fn set_password_hash(
        &mut self,
        user_id: &str,
        hash: Option<&Secret<String>>,
    ) -> StoreResult<()> {
        let id = user_key(user_id).ok_or_else(|| unknown_user(user_id))?;
        let done = exec!(
            self,
            sqlx::query("UPDATE auth_user SET password_hash = $1 WHERE id = $2")
                .bind(hash.map(Secret::expose_str))
                .bind(id)
        )?;
        if done == 0 {
            return Err(unknown_user(user_id));
        }
        Ok(())
    }

    async fn password_hash(&mut self, user_id: &str) -> StoreResult<Option<Secret<String>>> {
        let Some(id) = user_key(user_id) else {
            return Ok(None);
        };
        let hash: Option<Option<String>> = on!(self, conn => sqlx::query_scalar(
            "SELECT password_hash FROM auth_user WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(conn))?;
        Ok(hash.flatten().map(Secret::new))
    }

    async fn email_addresses(&mut self, user_id: &str) -> StoreResult<Vec<EmailAddress>> {
        let Some(id) = user_key(user_id) else {
            return Ok(Vec::new());
        };
        let sql = format!(
            "SELECT {ADDRESS_COLUMNS} FROM auth_email_address WHERE user_id = $1 \
             ORDER BY is_primary DESC, email"
        );
        let rows: Vec<AddressRow> =
            on!(self, conn => sqlx::query_as(&sql).bind(id).fetch_all(conn))?;
        Ok(rows.into_iter().map(address).collect())
    }

    async fn email_address(&mut self, email: &str) -> StoreResult<Option<EmailAddress>> {
        let sql = format!("SELECT {ADDRESS_COLUMNS} FROM auth_email_address WHERE email = $1");
        let row: Option<AddressRow> = on!(self, conn => sqlx::query_as(&sql)
            .bind(crate::normalize_email(email))
            .fetch_optional(conn))?;
        Ok(row.map(address))
    }

    async fn insert_email_address(&mut self, address: &EmailAddress) -> StoreResult<()> {
        let id = user_key(&address.user_id).ok_or_else(|| unknown_user(&address.user_id))?;
        let done = exec!(
            self,
            sqlx::query(
                "INSERT INTO auth_email_address (email, user_id, verified, is_primary) \
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            )
            .bind(&address.email)
            .bind(id)
            .bind(address.verified)
            .bind(address.primary)
        )?;
        if done == 0 {
            return Err(Conflict::Email.into());
        }
        Ok(())
    }

    async fn update_email_address(&mut self, address: &EmailAddress) -> StoreResult<()> {
        // Only the owner's stored address: never re-creates one another
        // flow deleted, never takes over another user's.
        let Some(id) = user_key(&address.user_id) else {
            return Ok(());
        };
        exec!(
            self,
            sqlx::query(
                "UPDATE auth_email_address SET verified = $1, is_primary = $2 \
             WHERE email = $3 AND user_id = $4",
            )
            .bind(address.verified)
            .bind(address.primary)
            .bind(&address.email)
            .bind(id)
        )?;
        Ok(())
    }

    async fn delete_email_address(&mut self, email: &str) -> StoreResult<()> {
        exec!(
            self,
            sqlx::query("DELETE FROM auth_email_address WHERE email = $1")
                .bind(crate::normalize_email(email))
        )?;
        Ok(())
    }

    async fn insert_confirmation(&mut self, confirmation: &EmailConfirmation) -> StoreResult<()> {
        refuse_empty(&confirmation.key, "confirmation")?;
        let address = &confirmation.email_address;
        let id = user_key(&address.user_id).ok_or_else(|| unknown_user(&address.user_id))?;
        exec!(
            self,
            sqlx::query(
                "INSERT INTO auth_email_confirmation \
             (key_hash, user_id, email, verified, is_primary, created, sent) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (key_hash) DO UPDATE SET user_id = excluded.user_id, \
             email = excluded.email, verified = excluded.verified, \
             is_primary = excluded.is_primary, created = excluded.created, sent = excluded.sent",
            )
            .bind(key_hash(&confirmation.key))
            .bind(id)
            .bind(&address.email)
            .bind(address.verified)
            .bind(address.primary)
            .bind(micros(confirmation.created))
            .bind(confirmation.sent.map(micros))
        )?;
        Ok(())
    }

    async fn take_confirmation(
        &mut self,
        key: &Secret<String>,
    ) -> StoreResult<Option<EmailConfirmation>> {
        let row: Option<(i64, String, bool, bool, i64, Option<i64>)> = on!(self, conn => sqlx::query_as(
            "DELETE FROM auth_email_confirmation WHERE key_hash = $1 \
             RETURNING user_id, email, verified, is_primary, created, sent",
        )
        .bind(key_hash(key))
        .fetch_optional(conn))?;
        Ok(row.map(
            |(user_id, email, verified, primary, created, sent)| EmailConfirmation {
                email_address: address((user_id, email, verified, primary)),
                created: time(created),
                sent: sent.map(time),
                key: key.clone(),
            },
        ))
    }

    async fn last_confirmation_sent(&mut self, email: &str) -> StoreResult<Option<SystemTime>> {
        let sent: Option<i64> = on!(self, conn => sqlx::query_scalar(
            "SELECT MAX(sent) FROM auth_email_confirmation WHERE email = $1",
        )
        .bind(crate::normalize_email(email))
        .fetch_one(conn))?;
        Ok(sent.map(time))
    }

    async fn insert_reset_key(
        &mut self,
        user_id: &str,
        key: &Secret<String>,
        created: SystemTime,
    ) -> StoreResult<()> {
        refuse_empty(key, "reset key")?;
        let id = user_key(user_id).ok_or_else(|| unknown_user(user_id))?;
        exec!(
            self,
            sqlx::query(
                "INSERT INTO auth_reset_key (key_hash, user_id, created) VALUES ($1, $2, $3)",
            )
            .bind(key_hash(key))
            .bind(id)
            .bind(micros(created))
        )?;
        Ok(())
    }

    async fn take_reset_key(
        &mut self,
        key: &Secret<String>,
    ) -> StoreResult<Option<(String, SystemTime)>> {
        let row: Option<(i64, i64)> = on!(self, conn => sqlx::query_as(
            "DELETE FROM auth_reset_key WHERE key_hash = $1 RETURNING user_id, created",
        )
        .bind(key_hash(key))
        .fetch_optional(conn))?;
        Ok(row.map(|(user_id, created)| (user_id.to_string(), time(created))))
    }

    async fn delete_reset_keys(&mut self, user_id: &str) -> StoreResult<usize> {
        let Some(id) = user_key(user_id) else {
            return Ok(0);
        };
        let done = exec!(
            self,
            sqlx::query("DELETE FROM auth_reset_key WHERE user_id = $1").bind(id)
        )?;
        usize::try_from(done).map_err(StoreError::new)
    }

    async fn social_account(
        &mut self,
        provider: &str,
        uid: &str,
    ) -> StoreResult<Option<SocialAccount>> {
        let row: Option<AccountRow> = on!(self, conn => sqlx::query_as(
            "SELECT provider, uid, user_id, last_login, date_joined FROM auth_social_account \
             WHERE provider = $1 AND uid = $2",
        )
        .bind(provider)
        .bind(uid)
        .fetch_optional(conn))?;
        match row {
            Some(row) => self.account_from(row).await.map(Some),
            None => Ok(None),
        }
    }

    async fn social_accounts(&mut self, user_id: &str) -> StoreResult<Vec<SocialAccount>> {
        let Some(id) = user_key(user_id) else {
            return Ok(Vec::new());
        };
        let rows: Vec<AccountRow> = on!(self, conn => sqlx::query_as(
            "SELECT provider, uid, user_id, last_login, date_joined FROM auth_social_account \
             WHERE user_id = $1 ORDER BY provider, uid",
        )
        .bind(id)
        .fetch_all(conn))?;
        let mut accounts = Vec::with_capacity(rows.len());
        for row in rows {
            accounts.push(self.account_from(row).await?);
        }
        Ok(accounts)
    }

    async fn social_token(
        &mut self,
        provider: &str,
        uid: &str,
    ) -> StoreResult<Option<SocialToken>> {
        let row: Option<TokenRow> = on!(self, conn => sqlx::query_as(
            "SELECT token, token_secret, expires_at, app_provider, app_name, app_client_id, \
             app_secret, app_key FROM auth_social_token WHERE provider = $1 AND uid = $2",
        )
        .bind(provider)
        .bind(uid)
        .fetch_optional(conn))?;
        Ok(row.map(
            |(token, token_secret, expires_at, app_provider, name, client_id, secret, key)| {
                SocialToken {
                    app: app_provider.map(|provider| SocialApp {
                        provider,
                        name: name.unwrap_or_default(),
                        client_id: client_id.unwrap_or_default(),
                        secret: Secret::new(secret.unwrap_or_default()),
                        key: Secret::new(key.unwrap_or_default()),
                    }),
                    token: Secret::new(token),
                    token_secret: token_secret.map(Secret::new),
                    expires_at: expires_at.map(time),
                }
            },
        ))
    }

    async fn insert_social_account(
        &mut self,
        account: &SocialAccount,
        token: Option<&SocialToken>,
    ) -> StoreResult<()> {
        let user_id = Self::account_user(account)?;
        let done = exec!(self, sqlx::query(
            "INSERT INTO auth_social_account (provider, uid, user_id, last_login, date_joined) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(&account.provider)
        .bind(&account.uid)
        .bind(user_id)
        .bind(account.last_login.map(micros))
        .bind(account.date_joined.map(micros)))?;
        if done == 0 {
            return Err(Conflict::SocialAccount.into());
        }
        self.write_extra_data(account).await?;
        if let Some(token) = token {
            self.write_token(account, token).await?;
        }
        Ok(())
    }

    async fn update_social_account(
        &mut self,
        account: &SocialAccount,
        token: Option<&SocialToken>,
    ) -> StoreResult<()> {
        let user_id = Self::account_user(account)?;
        let done =
            exec!(self, sqlx::query(
            "UPDATE auth_social_account SET user_id = $1, last_login = $2, date_joined = $3 \
             WHERE provider = $4 AND uid = $5",
        )
        .bind(user_id)
        .bind(account.last_login.map(micros))
        .bind(account.date_joined.map(micros))
        .bind(&account.provider)
        .bind(&account.uid))?;
        // Only a stored account: never re-creates one another flow deleted.
        if done == 0 {
            return Ok(());
        }
        self.write_extra_data(account).await?;
        if let Some(token) = token {
            self.write_token(account, token).await?;
        }
        Ok(())
    }

    async fn delete_social_account(&mut self, provider: &str, uid: &str) -> StoreResult<()> {
        for sql in [
            "DELETE FROM auth_social_token WHERE provider = $1 AND uid = $2",
            "DELETE FROM auth_social_extra_data WHERE provider = $1 AND uid = $2",
            "DELETE FROM auth_social_account WHERE provider = $1 AND uid = $2",
        ] {
            exec!(self, sqlx::query(sql).bind(provider).bind(uid))?;
        }
        Ok(())
    }

    async fn insert_session(&mut self, key: &Secret<String>, user_id: &str) -> StoreResult<()> {
        refuse_empty(key, "session")?;
        let id = user_key(user_id).ok_or_else(|| unknown_user(user_id))?;
        exec!(
            self,
            sqlx::query("INSERT INTO auth_session (key_hash, user_id) VALUES ($1, $2)")
                .bind(key_hash(key))
                .bind(id)
        )?;
        Ok(())
    }

    async fn session_user(&mut self, key: &Secret<String>) -> StoreResult<Option<Arc<U>>> {
        let row: Option<UserRow> = on!(self, conn => sqlx::query_as(
            "SELECT u.id, u.username, u.email FROM auth_session s \
             JOIN auth_user u ON u.id = s.user_id WHERE s.key_hash = $1",
        )
        .bind(key_hash(key))
        .fetch_optional(conn))?;
        Ok(row.map(|row| self.user_from(row)))
    }

    async fn delete_session(&mut self, key: &Secret<String>) -> StoreResult<()> {
        exec!(
            self,
            sqlx::query("DELETE FROM auth_session WHERE key_hash = $1").bind(key_hash(key))
        )?;
        Ok(())
    }

    async fn delete_sessions(
        &mut self,
        user_id: &str,
        except: Option<&Secret<String>>,
    ) -> StoreResult<usize> {
        let Some(id) = user_key(user_id) else {
            return Ok(0);
        };
        // No key hashes to the empty string: without `except`, every
        // session of the user ends.
        let keep = except.map(key_hash).unwrap_or_default();
        let done = exec!(
            self,
            sqlx::query("DELETE FROM auth_session WHERE user_id = $1 AND key_hash <> $2",)
                .bind(id)
                .bind(keep)
        )?;
        usize::try_from(done).map_err(StoreError::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip_to_the_microsecond() {
        for time_ in [
            UNIX_EPOCH,
            UNIX_EPOCH + Duration::from_micros(1_700_000_000_123_456),
            UNIX_EPOCH - Duration::from_micros(86_400_000_001),
        ] {
            assert_eq!(time(micros(time_)), time_);
        }
    }

    #[test]
    fn keys_are_kept_as_sha256() {
        let hash = key_hash(&Secret::from("abc"));
        assert_eq!(
            hash,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_ne!(hash, key_hash(&Secret::from("")));
    }
}
