use std::rc::Rc;

use signals_core::signal;

#[signal(async)]
pub struct Ping {}

fn main() {
    let _connection = Ping::connect_async(|_: &Ping| {
        let shared = Rc::new(0);
        async move {
            let _held = &shared;
        }
    });
}
