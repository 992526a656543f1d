// A signal private to its module cannot be received from a sibling module.
mod events {
    use signals_core::signal;

    #[signal]
    struct Ping {}
}

mod handlers {
    use signals_core::receiver;

    #[receiver(signal = super::events::Ping)]
    fn on_ping(_ping: &super::events::Ping) {}
}

fn main() {}
