//! A crate that depends on signals-core only through a re-export, and tells
//! the macros where it is with `crate = path`.

use reexport::signals::{receiver, signal};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A signal defined through the re-export.
#[signal(crate = reexport::signals)]
pub struct Reexported<'a> {
    /// A payload.
    pub text: &'a str,
}

/// An async one.
#[signal(async, crate = reexport::signals, name = "via.async")]
pub struct ReexportedAsync {}

/// How often the receivers ran.
pub static RUNS: AtomicUsize = AtomicUsize::new(0);

#[receiver(signal = Reexported, crate = reexport::signals)]
fn count(_: &Reexported) {
    RUNS.fetch_add(1, Ordering::SeqCst);
}

#[receiver(signal = ReexportedAsync, crate = reexport::signals)]
async fn count_async(_: &ReexportedAsync) {
    RUNS.fetch_add(1, Ordering::SeqCst);
}

/// Sends both signals; returns how many receivers ran in all.
pub fn send_both() -> usize {
    Reexported { text: "hi" }.send().expect("no receiver fails");
    ReexportedAsync {}
        .send_blocking()
        .expect("no receiver fails");
    RUNS.load(Ordering::SeqCst)
}
