use signals_core::{receiver, signal};

#[signal]
pub struct Ping {}

#[receiver(signal = Ping)]
fn on_ping(_ping: &mut Ping) {}

fn main() {}
