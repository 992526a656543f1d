use signals_core::{receiver, signal};

#[signal]
pub struct Ping {}

#[receiver(signal = Ping)]
fn on_ping(_ping: &Ping) -> Result<i32, std::io::Error> {
    Ok(0)
}

fn main() {}
