// A signal inside a function, named like a signal of its module.
use signals_core::signal;

#[signal]
pub struct Ping {}

fn main() {
    #[signal]
    pub struct Ping {}
}
