use signals_core::signal;

#[signal]
pub struct Ping<T> {
    pub value: T,
}

fn main() {}
