use signals_core::{receiver, signal, Signal};

#[signal]
pub struct Ping {}

#[receiver(signal = Ping)]
fn on_any(_signal: &impl Signal) {}

fn main() {}
