// `signal =` names a signal type, not a function.
use signals_core::receiver;

fn ping() {}

#[receiver(signal = ping)]
fn on_ping(_ping: &u8) {}

fn main() {}
