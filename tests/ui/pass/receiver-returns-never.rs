use signals_core::{receiver, signal};

#[signal]
pub struct Ping {}

#[receiver(signal = Ping)]
fn always_panics(_ping: &Ping) -> ! {
    panic!("unreachable in this test")
}

fn main() {
    assert!(Ping::has_receivers());
}
