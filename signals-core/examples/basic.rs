//! The core in one file: a signal, static receivers, a run-time receiver.
//! Run with `cargo run -p signals-core --example basic`.

use signals_core::{receiver, signal, ConnectOptions};

/// Sent when something pings.
#[signal]
pub struct Ping<'a> {
    pub label: &'a str,
}

/// A clock tick, with an explicit name.
#[signal(name = "app.tick")]
pub struct Tick {
    pub value: u64,
}

#[receiver(signal = Ping)]
fn log_ping(ping: &Ping) {
    println!("  log_ping: {}", ping.label);
}

#[derive(Debug)]
struct TooLoud;

impl std::fmt::Display for TooLoud {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("too loud")
    }
}

impl std::error::Error for TooLoud {}

#[receiver(signal = crate::Ping, order = -5, name = "early")]
fn early(ping: &Ping<'_>) -> Result<(), TooLoud> {
    println!("  early: {}", ping.label);
    if ping.label.ends_with('!') {
        Err(TooLoud)
    } else {
        Ok(())
    }
}

#[receiver(signal = Tick)]
fn on_tick(tick: &Tick) {
    println!("  on_tick: {}", tick.value);
}

fn main() {
    println!("receivers of {}:", <Ping as signals_core::Signal>::NAME);
    for receiver in Ping::receivers() {
        println!("  {receiver}");
    }

    println!("send:");
    Ping { label: "hello" }.send().expect("no receiver fails");

    let connection = Ping::connect_with(ConnectOptions::new().name("closure"), |ping: &Ping| {
        println!("  closure: {}", ping.label);
    });
    println!("send with a connected closure:");
    Ping { label: "again" }.send().expect("no receiver fails");
    drop(connection);

    println!("send that fails:");
    match (Ping { label: "stop!" }).send() {
        Ok(()) => println!("  ok"),
        Err(error) => println!("  error: {error}"),
    }
    println!("send_robust:");
    println!("  {}", Ping { label: "robust!" }.send_robust());
    Tick { value: 7 }.send().expect("no receiver fails");

    println!();
    print!("{}", signals_core::catalog());
}
