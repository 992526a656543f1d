use signals_core::{receiver, signal};

#[signal]
pub struct Ping {}

pub struct NotAnError;

#[receiver(signal = Ping)]
fn on_ping(_ping: &Ping) -> Result<(), NotAnError> {
    Ok(())
}

fn main() {}
