use signals_core::{receiver, signal};

#[signal]
pub struct Ping {}

#[receiver(signal = Ping, priority = 1)]
fn on_ping(_ping: &Ping) {}

fn main() {}
