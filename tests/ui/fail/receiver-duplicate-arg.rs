use signals_core::{receiver, signal};

#[signal]
pub struct Ping {}

#[receiver(signal = Ping, order = 1, order = 2)]
fn on_ping(_ping: &Ping) {}

fn main() {}
