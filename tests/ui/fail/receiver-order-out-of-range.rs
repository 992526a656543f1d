use signals_core::{receiver, signal};

#[signal]
pub struct Ping {}

#[receiver(signal = Ping, order = 3000000000)]
fn on_ping(_ping: &Ping) {}

fn main() {}
