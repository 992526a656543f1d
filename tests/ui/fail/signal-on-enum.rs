use signals_core::signal;

#[signal]
pub enum Ping {
    A,
    B,
}

fn main() {}
