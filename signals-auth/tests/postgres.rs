//! The flow suite (`tests/suite/`) on `SqlStore` over PostgreSQL: each test
//! gets a database of its own on the server `SIGNALS_TEST_POSTGRES` names,
//! created for it and dropped after it (run
//! `export SIGNALS_TEST_POSTGRES=$(bash .ci/postgres)` first; without a
//! server every test fails saying so). Signal order, atomic and race-free
//! flows, sessions and keys that end, secrets, enumeration and input checks,
//! as every store must pass them, with PostgreSQL's transactions and unique
//! constraints under real parallelism.

mod common;
mod stores;

use signals_auth::memory::BasicUser;
use signals_auth::sql::{SqlStore, SqlTransaction};
use signals_auth::{Store, StoreResult};

/// A `SqlStore` on a database of the test's own, dropped with it.
struct TestStore {
    store: SqlStore,
    // Dropped after the store (fields drop in order).
    _database: stores::PostgresDatabase,
}

async fn new_store() -> TestStore {
    let database = stores::PostgresDatabase::create().await;
    TestStore {
        store: database.store().await,
        _database: database,
    }
}

impl Store for TestStore {
    type User = BasicUser;
    type Tx<'a> = SqlTransaction<'a, BasicUser>;

    async fn begin(&self) -> StoreResult<SqlTransaction<'_, BasicUser>> {
        self.store.begin().await
    }
}

impl common::Inspect for TestStore {
    type Snapshot = stores::SqlSnapshot;

    async fn snapshot(&self) -> stores::SqlSnapshot {
        stores::snapshot(&self.store).await
    }

    async fn user_count(&self) -> usize {
        self.store.user_count().await.unwrap()
    }

    async fn session_count(&self) -> usize {
        self.store.session_count().await.unwrap()
    }
}

common::flow_suite!();
