use signals_core::signal;

#[signal(name = app.ping)]
pub struct Ping {}

fn main() {}
