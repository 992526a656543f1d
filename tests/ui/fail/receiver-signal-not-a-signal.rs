use signals_core::receiver;

pub struct Ping {}

#[receiver(signal = Ping)]
fn on_ping(_ping: &Ping) {}

fn main() {}
