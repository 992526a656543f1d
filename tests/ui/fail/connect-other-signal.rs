use signals_core::signal;

#[signal]
pub struct Ping {}

#[signal]
pub struct Pong {}

fn main() {
    let _connection = Ping::connect(|_: &Pong| {});
}
