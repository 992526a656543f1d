// A signal with lifetimes: an async receiver's future cannot borrow it (a
// bound over both its lifetimes and the borrow cannot be met on stable), so
// the closure copies what it needs, then returns `async move { ... }`.
use signals_core::signal;

#[signal(async)]
pub struct Visited<'a> {
    pub path: &'a str,
}

fn main() {
    let _connection = Visited::connect_async(async |event: &Visited| {
        let _ = event.path.len();
    });
}
