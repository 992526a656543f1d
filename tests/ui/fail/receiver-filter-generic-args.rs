use signals_core::{receiver, signal};

#[signal]
pub struct Ping {}

fn accepts<const YES: bool>(_ping: &Ping) -> bool {
    YES
}

#[receiver(signal = Ping, filter = accepts<true>)]
fn on_ping(_ping: &Ping) {}

fn main() {}
