use signals_core::signal;

#[signal]
pub struct Ping {}

fn main() {
    let _connection = Ping::connect_filtered(|_: &Ping| 1, |_: &Ping| {});
}
