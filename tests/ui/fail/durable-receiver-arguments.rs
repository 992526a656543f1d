use signals_core::{receiver, signal};

/// Durable.
#[signal(durable)]
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Placed {
    pub id: u64,
}

fn is_big(p: &Placed) -> bool {
    p.id > 10
}

#[receiver(signal = Placed, retries = 3)]
fn inline_retries(_: &Placed) {}

#[receiver(signal = Placed, durable, order = 1, filter = is_big)]
fn durable_order(_: &Placed) {}

#[receiver(signal = Placed, durable, retries = -1)]
fn negative(_: &Placed) {}

fn main() {}
