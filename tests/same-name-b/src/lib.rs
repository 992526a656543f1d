//! Defines a signal named `Clicked`, like `same-name-a`, and one with a
//! non-ASCII name.

use signals_core::{receiver, signal};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A click, crate B's.
#[signal]
pub struct Clicked {
    /// Where.
    pub x: i32,
}

/// How often crate B's receiver ran.
pub static CLICKS: AtomicUsize = AtomicUsize::new(0);

#[receiver(signal = Clicked)]
fn count(_: &Clicked) {
    CLICKS.fetch_add(1, Ordering::SeqCst);
}

/// A signal whose name is not ASCII.
#[signal]
#[allow(non_camel_case_types)]
pub struct Ñandú {
    /// How far it ran.
    pub metres: u32,
}

/// How often the non-ASCII signal's receiver ran.
pub static ÑANDÚ_RUNS: AtomicUsize = AtomicUsize::new(0);

#[receiver(signal = Ñandú)]
fn corre(_: &Ñandú) {
    ÑANDÚ_RUNS.fetch_add(1, Ordering::SeqCst);
}
