use signals_core::signal;

#[signal]
pub fn ping() {}

fn main() {}
