// One function registered twice for one signal would run twice per send.
use signals_core::{receiver, signal};

#[signal]
pub struct Ping {}

#[receiver(signal = Ping)]
#[receiver(signal = Ping, order = 1)]
fn on_ping(_ping: &Ping) {}

fn main() {}
