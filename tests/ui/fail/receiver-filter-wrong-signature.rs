use signals_core::{receiver, signal};

#[signal]
pub struct Ping {
    pub value: u32,
}

fn is_big(value: u32) -> bool {
    value > 10
}

#[receiver(signal = Ping, filter = is_big)]
fn on_big_ping(_ping: &Ping) {}

fn main() {}
