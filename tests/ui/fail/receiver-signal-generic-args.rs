use signals_core::{receiver, signal};

#[signal]
pub struct Ping<'a> {
    pub label: &'a str,
}

#[receiver(signal = Ping<'static>)]
fn on_ping(_ping: &Ping<'static>) {}

fn main() {}
