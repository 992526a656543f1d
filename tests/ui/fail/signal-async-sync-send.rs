use signals_core::signal;

#[signal(async)]
pub struct Ping {}

fn main() {
    let _ = Ping {}.send();
    let _ = Ping {}.send_robust();
}
