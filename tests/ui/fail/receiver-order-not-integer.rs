use signals_core::{receiver, signal};

#[signal]
pub struct Ping {}

#[receiver(signal = Ping, order = "first")]
fn on_ping(_ping: &Ping) {}

fn main() {}
