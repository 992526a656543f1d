//! The flow suite (`tests/suite/`) on `MemoryStore`: signal order, atomic
//! and race-free flows, sessions and keys that end, secrets, enumeration
//! and input checks, as every store must pass them.
//!
//! Another store runs the same suite with a file like this one: its own
//! `TestStore`, `new_store` and `Inspect` implementation, and the same
//! `common::flow_suite!()`.

mod common;

use signals_auth::memory::{MemorySnapshot, MemoryStore};

type TestStore = MemoryStore;

async fn new_store() -> TestStore {
    MemoryStore::new()
}

impl common::Inspect for MemoryStore {
    type Snapshot = MemorySnapshot;

    async fn snapshot(&self) -> MemorySnapshot {
        MemoryStore::snapshot(self)
    }

    async fn user_count(&self) -> usize {
        MemoryStore::user_count(self)
    }

    async fn session_count(&self) -> usize {
        MemoryStore::session_count(self)
    }
}

common::flow_suite!();
