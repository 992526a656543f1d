//! Defines a signal named `Clicked`, as `same-name-b` and two modules here do:
//! the four must not collide at link time.

use signals_core::{receiver, signal};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A click, crate A's.
#[signal]
pub struct Clicked {
    /// Which button.
    pub button: u8,
}

/// How often crate A's receiver ran.
pub static CLICKS: AtomicUsize = AtomicUsize::new(0);

#[receiver(signal = Clicked)]
fn count(_: &Clicked) {
    CLICKS.fetch_add(1, Ordering::SeqCst);
}

/// Two modules of one crate, each with its own `Clicked`.
pub mod left {
    use signals_core::{receiver, signal};
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A click on the left.
    #[signal]
    pub struct Clicked {}

    /// How often the left receiver ran.
    pub static CLICKS: AtomicUsize = AtomicUsize::new(0);

    #[receiver(signal = Clicked)]
    fn count(_: &Clicked) {
        CLICKS.fetch_add(1, Ordering::SeqCst);
    }
}

/// The other module.
pub mod right {
    use signals_core::{receiver, signal};
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A click on the right.
    #[signal]
    pub struct Clicked {}

    /// How often the right receiver ran.
    pub static CLICKS: AtomicUsize = AtomicUsize::new(0);

    #[receiver(signal = Clicked)]
    fn count(_: &Clicked) {
        CLICKS.fetch_add(1, Ordering::SeqCst);
    }
}
