use signals_core::{receiver, signal};

#[signal]
pub struct Ping {
    pub value: u32,
}

fn value(ping: &Ping) -> u32 {
    ping.value
}

#[receiver(signal = Ping, filter = value)]
fn on_ping(_ping: &Ping) {}

fn main() {}
