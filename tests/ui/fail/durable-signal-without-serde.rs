use signals_core::signal;

/// Forgot the derives.
#[signal(durable)]
pub struct Placed {
    pub id: u64,
}

fn main() {}
