use signals_core::{receiver, signal};

#[signal(name = "app.ping")]
pub struct Ping {
    pub value: i64,
}

#[signal(name = "app.pong", crate = signals_core)]
pub struct Pong {}

fn is_positive(ping: &Ping) -> bool {
    ping.value > 0
}

#[receiver(signal = Ping, order = -5, name = "early")]
fn early(_ping: &Ping) {}

#[receiver(signal = Ping, order = 2147483647)]
fn last(_ping: &Ping) {}

#[receiver(signal = Ping, order = -2147483648, filter = is_positive)]
fn first(_ping: &Ping) {}

#[receiver(signal = Ping, order = 0x10, name = "hex",)]
fn hex(_ping: &Ping) {}

#[receiver(crate = ::signals_core, signal = Pong)]
fn pong(_pong: &Pong) {}

#[receiver(signal = Ping)]
fn r#type(_ping: &Ping) {}

#[receiver(signal = Ping)]
fn r#match(_ping: &Ping) {}

// Names the generated code might use for its own locals.
fn signal(_ping: &Ping) -> bool {
    true
}

#[receiver(signal = Ping, filter = signal)]
fn param(_ping: &Ping) {}

#[receiver(signal = Ping, filter = self::signal)]
fn event(_ping: &Ping) {}

const fn accepts<const YES: bool>(_ping: &Ping) -> bool {
    YES
}

#[receiver(signal = Ping, filter = accepts::<true>)]
fn generic_filter(_ping: &Ping) {}

fn main() {
    let names: Vec<(String, i32)> = Ping::receivers()
        .iter()
        .map(|r| (r.name().to_string(), r.order()))
        .collect();
    assert_eq!(names[0].1, i32::MIN);
    assert_eq!(names[1], ("early".to_string(), -5));
    assert!(names.iter().any(|(name, _)| name.ends_with("::type")));
    assert_eq!(names.last().unwrap().1, i32::MAX);
    assert_eq!(<Ping as signals_core::Signal>::NAME, "app.ping");
    Ping { value: 1 }.send().unwrap();
    Pong {}.send().unwrap();
}
