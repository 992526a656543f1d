// The same signal written twice in one module.
use signals_core::signal;

#[signal]
pub struct Ping {}

#[signal]
pub struct Ping {}

fn main() {}
