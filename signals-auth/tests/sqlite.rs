//! The flow suite (`tests/suite/`) on `SqlStore` over SQLite (a private
//! in-memory database per test): signal order, atomic and race-free flows,
//! sessions and keys that end, secrets, enumeration and input checks, as
//! every store must pass them, here with real SQLite transactions and
//! unique constraints.

mod common;
mod stores;

use signals_auth::sql::SqlStore;

type TestStore = SqlStore;

async fn new_store() -> TestStore {
    stores::sqlite_memory().await
}

impl common::Inspect for SqlStore {
    type Snapshot = stores::SqlSnapshot;

    async fn snapshot(&self) -> stores::SqlSnapshot {
        stores::snapshot(self).await
    }

    async fn user_count(&self) -> usize {
        SqlStore::user_count(self).await.unwrap()
    }

    async fn session_count(&self) -> usize {
        SqlStore::session_count(self).await.unwrap()
    }
}

common::flow_suite!();
