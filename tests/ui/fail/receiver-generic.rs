use signals_core::{receiver, signal, Signal};

#[signal]
pub struct Ping {}

#[receiver(signal = Ping)]
fn on_any<S: Signal>(_signal: &S) {}

fn main() {}
