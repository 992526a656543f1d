//! A crate that holds only receivers: nothing in it is ever called by name.
//! Without `signals_core::link!(receivers_only)` in the binary, the linker
//! may drop it, and these receivers never run.

use shared_signals::{Shared, RECEIVED_ELSEWHERE};
use signals_core::receiver;
use std::sync::atomic::Ordering;

#[receiver(signal = Shared, order = 3)]
fn count_shared(_: &Shared) {
    RECEIVED_ELSEWHERE.fetch_add(1, Ordering::SeqCst);
}

#[receiver(signal = shared_signals::Shared, name = "receivers_only::named")]
fn named(_: &Shared<'_>) {}
