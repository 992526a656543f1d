//! The pitfall `link!` exists for: this test binary depends on
//! `receivers-only` (through the package) but never names it, so the linker
//! leaves it out and its receivers never run.

use shared_signals::{Shared, RECEIVED_ELSEWHERE};
use std::sync::atomic::Ordering;

#[test]
fn receivers_of_a_crate_nobody_names_are_not_linked() {
    assert!(Shared::receivers().is_empty());
    assert!(!Shared::has_receivers());
    Shared { from: "test" }.send().unwrap();
    assert_eq!(RECEIVED_ELSEWHERE.load(Ordering::SeqCst), 0);
}
