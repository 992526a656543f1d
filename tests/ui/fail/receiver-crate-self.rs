use signals_core::{receiver, signal};

#[signal]
pub struct Ping {}

#[receiver(signal = Ping, crate = Self::signals_core)]
fn on_ping(_ping: &Ping) {}

fn main() {}
