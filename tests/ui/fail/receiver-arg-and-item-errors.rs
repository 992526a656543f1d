// A mistake in the arguments does not hide one in the function: both are
// reported at once.
use signals_core::{receiver, signal};

#[signal]
pub struct Ping {}

#[receiver(signal = Ping, order = "first")]
fn on_ping(_ping: &mut Ping) {}

fn main() {}
