// A syntax error in a receiver's body is reported once, by rustc, where it
// is; the macro does not add "#[receiver] goes on a free function".
use signals_core::{receiver, signal};

/// A signal.
#[signal]
pub struct Ping {
    pub n: u32,
}

#[receiver(signal = Ping)]
fn on_ping(ping: &Ping) {
    let doubled = ping.n * ;
}

fn main() {}
