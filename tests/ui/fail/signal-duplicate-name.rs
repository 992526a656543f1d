use signals_core::signal;

#[signal(name = "app.ping", name = "app.pong")]
pub struct Ping {}

fn main() {}
