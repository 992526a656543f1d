use signals_core::receiver;

#[receiver(signal = events::Ping)]
fn on_ping(_ping: &events::Ping) {}

fn main() {}
