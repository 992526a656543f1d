use signals_core::{receiver, signal};

#[signal]
pub struct Ping {}

#[receiver(signal = Ping)]
fn on_ping(_ping: &Ping, _count: u32) {}

fn main() {}
