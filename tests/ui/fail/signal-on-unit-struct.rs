use signals_core::signal;

#[signal]
pub struct Ping;

fn main() {}
