use signals_core::{receiver, signal};

#[signal(async)]
pub struct Ping<'a> {
    pub label: &'a str,
}

#[derive(Debug)]
pub struct Failed;

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("failed")
    }
}

impl std::error::Error for Failed {}

#[receiver(signal = Ping)]
async fn on_ping(_ping: &Ping<'_>) {}

#[receiver(signal = Ping, order = 1)]
async fn fallible(ping: &Ping<'_>) -> Result<(), Failed> {
    if ping.label.is_empty() {
        Err(Failed)
    } else {
        Ok(())
    }
}

#[receiver(signal = Ping, order = -1)]
fn sync_one(_ping: &Ping) {}

fn main() {
    Ping { label: "x" }.send_blocking().unwrap();
}
