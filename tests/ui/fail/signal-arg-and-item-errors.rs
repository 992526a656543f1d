// A mistake in the arguments does not hide one in the item: both are
// reported at once.
use signals_core::signal;

#[signal(nmae = "app.ping")]
pub struct Ping(u32);

fn main() {}
