// An async closure that captures state is not `Fn` (its futures borrow the
// closure): the pattern is a closure that copies what it needs, then
// returns `async move { ... }`.
use std::sync::Arc;

use signals_core::signal;

#[signal(async)]
pub struct Fetched {
    pub url: String,
}

fn main() {
    let log = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let _connection = Fetched::connect_async(async move |event: &Fetched| {
        log.lock().unwrap().push(event.url.clone());
    });
}
