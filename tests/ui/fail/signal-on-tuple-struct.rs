use signals_core::signal;

#[signal]
pub struct Ping(u32);

fn main() {}
