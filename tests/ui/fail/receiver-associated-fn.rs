use signals_core::{receiver, signal};

#[signal]
pub struct Ping {}

pub struct Handler;

impl Handler {
    #[receiver(signal = Ping)]
    fn on_ping(_ping: &Ping) {}
}

fn main() {}
