use signals_core::{receiver, signal};

#[signal]
pub struct Ping<'a> {
    pub label: &'a str,
}

#[signal]
pub struct Pair<'a, 'b: 'a> {
    pub left: &'a str,
    pub right: &'b [u8],
}

#[receiver(signal = Ping)]
fn elided(_ping: &Ping) {}

#[receiver(signal = Ping)]
fn anonymous(_ping: &Ping<'_>) {}

#[receiver(signal = Ping)]
fn named<'x>(_ping: &'x Ping<'x>) {}

#[receiver(signal = Pair)]
fn pair(pair: &Pair<'_, '_>) {
    let _ = (pair.left, pair.right);
}

fn main() {
    Ping { label: "x" }.send().unwrap();
    let bytes = vec![1, 2];
    Pair { left: "l", right: &bytes }.send().unwrap();
}
