// The filter in `ConnectOptions` must take the signal it is connected to.
use signals_core::{signal, ConnectOptions};

#[signal]
pub struct Saved {
    pub id: u64,
}

#[signal]
pub struct Deleted {
    pub id: u64,
}

fn main() {
    let options = ConnectOptions::new().filter(|deleted: &Deleted| deleted.id == 1);
    let _connection = Saved::connect_with(options, |_: &Saved| {});
}
