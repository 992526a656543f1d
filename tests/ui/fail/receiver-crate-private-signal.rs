// A `pub(crate)` signal cannot be received from another crate.
use signals_core::receiver;

#[receiver(signal = private_signals::events::Internal)]
fn on_internal(_event: &private_signals::events::Internal) {}

fn main() {}
