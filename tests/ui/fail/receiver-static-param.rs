// A receiver gets the signal for the length of one send, not for `'static`.
use signals_core::{receiver, signal};

#[signal]
pub struct Ping {}

#[receiver(signal = Ping)]
fn on_ping(_ping: &'static Ping) {}

fn main() {}
