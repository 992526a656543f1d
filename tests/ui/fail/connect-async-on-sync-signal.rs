use signals_core::signal;

#[signal]
pub struct Ping {}

fn main() {
    let _connection = Ping::connect_async(|_: &Ping| async {});
}
