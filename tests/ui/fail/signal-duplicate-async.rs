use signals_core::signal;

#[signal(async, async)]
pub struct Ping {}

fn main() {}
