use signals_core::signal;

#[signal]
pub union Ping {
    a: u32,
    b: f32,
}

fn main() {}
