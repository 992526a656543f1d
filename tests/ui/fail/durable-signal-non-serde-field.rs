use signals_core::signal;

pub struct Connection;

/// Carries something serde cannot store.
#[signal(async, durable)]
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Opened {
    pub id: u64,
    pub connection: Connection,
}

fn main() {}
