use signals_core::{receiver, signal};

#[signal]
pub struct Ping {}

#[receiver(signals = [Ping])]
fn on_ping(_ping: &Ping) {}

fn main() {}
