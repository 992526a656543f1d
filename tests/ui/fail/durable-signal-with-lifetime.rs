use signals_core::signal;

/// Borrows its name.
#[signal(async, durable)]
#[derive(serde::Serialize)]
pub struct Named<'a> {
    pub name: &'a str,
}

fn main() {}
