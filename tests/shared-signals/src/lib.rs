//! A signal that receivers in other crates (`receivers-only`) listen to.

use signals_core::signal;
use std::sync::atomic::AtomicUsize;

/// Sent by the cross-crate tests.
#[signal]
pub struct Shared<'a> {
    /// Who sent it.
    pub from: &'a str,
}

/// How often `receivers-only`'s receiver ran.
pub static RECEIVED_ELSEWHERE: AtomicUsize = AtomicUsize::new(0);

/// A signal no crate receives: the catalog shows it without receivers.
#[signal]
pub struct Quiet {}
