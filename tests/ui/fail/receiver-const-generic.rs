use signals_core::{receiver, signal};

#[signal]
pub struct Ping {}

#[receiver(signal = Ping)]
fn on_ping<const N: usize>(_ping: &Ping) {}

fn main() {}
