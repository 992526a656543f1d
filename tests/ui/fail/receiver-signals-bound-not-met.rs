use signals_core::{receiver, signal, Signal};
use std::fmt::Debug;

#[signal]
#[derive(Debug)]
pub struct LoggedIn {}

/// Has no `Debug`, which the receiver asks of every signal it lists.
#[signal]
pub struct LoggedOut {}

#[receiver(signals = [LoggedIn, LoggedOut])]
fn audit<S: Signal + Debug>(event: &S) {
    println!("{} {event:?}", S::NAME);
}

fn main() {}
