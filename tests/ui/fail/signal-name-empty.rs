use signals_core::signal;

#[signal(name = "")]
pub struct Ping {}

fn main() {}
