use signals_core::{receiver, signal};

#[signal]
pub struct Ping {}

#[signal]
pub struct Pong {}

#[receiver(signal = Ping)]
fn on_ping(_pong: &Pong) {}

fn main() {}
