use signals_core::{receiver, signal};

/// Not durable.
#[signal(async)]
pub struct Clicked {
    pub x: u32,
}

#[receiver(signal = Clicked, durable)]
async fn remember(_: &Clicked) {}

fn main() {}
