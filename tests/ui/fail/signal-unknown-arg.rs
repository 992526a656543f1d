use signals_core::signal;

#[signal(label = "ping")]
pub struct Ping {}

fn main() {}
