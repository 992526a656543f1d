use signals_core::signal;

#[signal]
pub struct Ping<const N: usize> {
    pub values: [u8; N],
}

fn main() {}
