//! Call order: receivers run in ascending `order`; among equal orders, static
//! receivers run first, sorted by name (not by where they are written), then
//! run-time receivers in connect order. Shown twice: by the calls the
//! receivers record, and by `receivers()`, whose names, orders, kinds and
//! source locations (this file, the right lines) must match.

use signals_core::{receiver, signal, ConnectOptions, Connection, ReceiverInfo, ReceiverKind};
use std::sync::Mutex;

/// Every receiver pushes its name onto `log`.
#[signal]
pub struct Ordered<'a> {
    pub log: &'a Mutex<Vec<String>>,
}

fn record(signal: &Ordered, name: &str) {
    signal.log.lock().unwrap().push(name.to_string());
}

// Written in an order that is neither the call order nor the name order, so
// that neither the source order nor the link order can pass for sorting.

#[receiver(signal = Ordered, order = 10)]
fn ten(signal: &Ordered) {
    record(signal, "order::ten");
}

#[receiver(signal = Ordered)]
fn zulu_zero(signal: &Ordered) {
    record(signal, "order::zulu_zero");
}

#[receiver(signal = Ordered, order = -5)]
fn minus_five(signal: &Ordered) {
    record(signal, "order::minus_five");
}

#[receiver(signal = Ordered, order = 0)]
fn alpha_zero(signal: &Ordered) -> Result<(), std::fmt::Error> {
    record(signal, "order::alpha_zero");
    Ok(())
}

// An explicit name sorts by that name, not by the function's: "b named"
// comes before "order::..." although `zz_named` would come last.
#[receiver(signal = Ordered, name = "b named")]
fn zz_named(signal: &Ordered) {
    record(signal, "b named");
}

/// The 1-based line of the one line of this file that starts with `start`.
fn line_of(start: &str) -> (u32, u32) {
    let source = include_str!("order.rs");
    let mut found = source
        .lines()
        .enumerate()
        .filter(|(_, line)| line.starts_with(start));
    let (index, line) = found.next().expect("the line is in this file");
    assert!(
        found.next().is_none(),
        "`{start}` starts more than one line"
    );
    let ident = start.trim_start_matches("fn ").trim_end_matches('(');
    let column = line
        .find(ident)
        .expect("the function's name is on its line")
        + 1;
    (index as u32 + 1, column as u32)
}

fn connect_named(order: i32, name: &'static str) -> (Connection, u32) {
    let line = line!() + 1;
    let connection = Ordered::connect_with(
        ConnectOptions::new().order(order).name(name),
        move |signal: &Ordered| record(signal, name),
    );
    (connection, line)
}

#[test]
fn receivers_run_by_order_then_static_by_name_then_dynamic_by_connect_order() {
    // Connected in an order that is neither the call order nor the name
    // order: at order 0, "dyn 0 z" is connected before "dyn 0 a".
    let (c_ten, ten_line) = connect_named(10, "dyn 10");
    let (c_zero_z, _) = connect_named(0, "dyn 0 z");
    let (c_minus_five, _) = connect_named(-5, "dyn -5");
    let (c_zero_a, _) = connect_named(0, "dyn 0 a");

    let expected = [
        "order::minus_five",
        "dyn -5",
        "b named",
        "order::alpha_zero",
        "order::zulu_zero",
        "dyn 0 z",
        "dyn 0 a",
        "order::ten",
        "dyn 10",
    ];

    let log = Mutex::new(Vec::new());
    Ordered { log: &log }.send().unwrap();
    assert_eq!(*log.lock().unwrap(), expected);

    // `send_robust` calls them in the same order.
    log.lock().unwrap().clear();
    let report = Ordered { log: &log }.send_robust();
    assert!(report.is_ok());
    assert_eq!(report.len(), expected.len());
    assert_eq!(*log.lock().unwrap(), expected);

    // Introspection lists them in the same order, with their details.
    let receivers = Ordered::receivers();
    let names: Vec<&str> = receivers.iter().map(ReceiverInfo::name).collect();
    assert_eq!(names, expected);
    let orders: Vec<i32> = receivers.iter().map(ReceiverInfo::order).collect();
    assert_eq!(orders, [-5, -5, 0, 0, 0, 0, 0, 10, 10]);
    let kinds: Vec<ReceiverKind> = receivers.iter().map(ReceiverInfo::kind).collect();
    use ReceiverKind::{Dynamic as D, Static as S};
    assert_eq!(kinds, [S, D, S, S, S, D, D, S, D]);

    for info in &receivers {
        let location = info.location();
        assert!(
            location.file().ends_with("order.rs"),
            "{info}: {location} is not in this file"
        );
        assert!(!info.is_async(), "{info}");
        match info.kind() {
            ReceiverKind::Static => {
                assert_eq!(info.module_path(), Some("order"), "{info}");
                assert_eq!(info.crate_name(), Some("order"), "{info}");
            }
            ReceiverKind::Dynamic => {
                assert_eq!(info.module_path(), None, "{info}");
                assert_eq!(info.crate_name(), None, "{info}");
                // All four were connected by the one call in `connect_named`.
                assert_eq!(location.line(), ten_line, "{info}");
            }
        }
    }
    // A static receiver's location is its function's name.
    let static_lines = [
        ("order::minus_five", "fn minus_five("),
        ("b named", "fn zz_named("),
        ("order::alpha_zero", "fn alpha_zero("),
        ("order::zulu_zero", "fn zulu_zero("),
        ("order::ten", "fn ten("),
    ];
    for (name, start) in static_lines {
        let info = receivers.iter().find(|r| r.name() == name).unwrap();
        let location = info.location();
        assert_eq!(
            (location.line(), location.column()),
            line_of(start),
            "{info}"
        );
    }

    // Disconnecting leaves the others in their places.
    drop(c_zero_z);
    c_minus_five.disconnect();
    log.lock().unwrap().clear();
    Ordered { log: &log }.send().unwrap();
    assert_eq!(
        *log.lock().unwrap(),
        [
            "order::minus_five",
            "b named",
            "order::alpha_zero",
            "order::zulu_zero",
            "dyn 0 a",
            "order::ten",
            "dyn 10",
        ]
    );

    // A receiver connected later at an existing order goes after the ones
    // already there, and after every static receiver of that order.
    let (c_late, _) = connect_named(-5, "dyn -5 late");
    let names: Vec<String> = Ordered::receivers()
        .iter()
        .map(|r| r.name().to_string())
        .collect();
    assert_eq!(
        names,
        [
            "order::minus_five",
            "dyn -5 late",
            "b named",
            "order::alpha_zero",
            "order::zulu_zero",
            "dyn 0 a",
            "order::ten",
            "dyn 10",
        ]
    );

    drop((c_ten, c_zero_a, c_late));
    let kinds: Vec<ReceiverKind> = Ordered::receivers().iter().map(|r| r.kind()).collect();
    assert_eq!(kinds, [ReceiverKind::Static; 5]);
}

/// The order is a full `i32`: the extremes sort correctly around statics.
#[signal]
pub struct Extremes<'a> {
    pub log: &'a Mutex<Vec<&'static str>>,
}

#[receiver(signal = Extremes, order = -2147483648)]
fn lowest(signal: &Extremes) {
    signal.log.lock().unwrap().push("static min");
}

#[receiver(signal = Extremes, order = 2147483647)]
fn highest(signal: &Extremes) {
    signal.log.lock().unwrap().push("static max");
}

#[test]
fn extreme_orders_sort_around_static_receivers() {
    let push =
        |entry: &'static str| move |signal: &Extremes| signal.log.lock().unwrap().push(entry);
    let max = Extremes::connect_with(ConnectOptions::new().order(i32::MAX), push("dyn max"));
    let min = Extremes::connect_with(ConnectOptions::new().order(i32::MIN), push("dyn min"));
    let zero = Extremes::connect(push("dyn 0"));
    let log = Mutex::new(Vec::new());
    Extremes { log: &log }.send().unwrap();
    assert_eq!(
        *log.lock().unwrap(),
        ["static min", "dyn min", "dyn 0", "static max", "dyn max"]
    );
    let orders: Vec<i32> = Extremes::receivers().iter().map(|r| r.order()).collect();
    assert_eq!(orders, [i32::MIN, i32::MIN, 0, i32::MAX, i32::MAX]);
    drop((max, min, zero));
}

/// Enough run-time receivers that their list is many nodes deep: the order
/// rule holds across them, and after dropping some, the rest keep their
/// places.
#[signal]
pub struct Crowded<'a> {
    pub log: &'a Mutex<Vec<String>>,
}

#[receiver(signal = Crowded, order = -1)]
fn crowded_minus_one(signal: &Crowded) {
    signal.log.lock().unwrap().push("static -1".into());
}

#[receiver(signal = Crowded, order = 1)]
fn crowded_one(signal: &Crowded) {
    signal.log.lock().unwrap().push("static 1".into());
}

#[receiver(signal = Crowded)]
fn crowded_zero(signal: &Crowded) {
    signal.log.lock().unwrap().push("static 0".into());
}

#[test]
fn thousands_of_run_time_receivers_keep_the_order_rule() {
    // (order, name) of every receiver, sorted as the rule says: by order,
    // statics before run-time ones, run-time ones in connect order.
    let mut model: Vec<(i32, usize, String)> = vec![
        (-1, 0, "static -1".into()),
        (0, 0, "static 0".into()),
        (1, 0, "static 1".into()),
    ];
    let mut connections = Vec::new();
    for i in 0..3_000usize {
        let order = (i * 7 % 5) as i32 - 2;
        let name = format!("dyn {i} at {order}");
        let pushed = name.clone();
        let options = ConnectOptions::new().order(order).name(name.clone());
        connections.push(Some(Crowded::connect_with(options, move |s: &Crowded| {
            s.log.lock().unwrap().push(pushed.clone())
        })));
        model.push((order, i + 1, name));
    }
    let check = |model: &mut Vec<(i32, usize, String)>| {
        model.sort_by_key(|(order, seq, _)| (*order, *seq));
        let expected: Vec<&str> = model.iter().map(|(_, _, name)| name.as_str()).collect();
        let log = Mutex::new(Vec::new());
        Crowded { log: &log }.send().unwrap();
        assert_eq!(*log.lock().unwrap(), expected);
        let listed: Vec<String> = Crowded::receivers()
            .iter()
            .map(|r| r.name().replace("order::crowded_minus_one", "static -1"))
            .map(|n| n.replace("order::crowded_zero", "static 0"))
            .map(|n| n.replace("order::crowded_one", "static 1"))
            .collect();
        assert_eq!(listed, expected);
    };
    check(&mut model);
    // Drop every third, and a run in the middle, in another order than
    // they were connected.
    for i in (0..3_000)
        .rev()
        .filter(|i| i % 3 == 0 || (1_200..1_900).contains(i))
    {
        connections[i] = None;
        let name_start = format!("dyn {i} at ");
        model.retain(|(_, _, name)| !name.starts_with(&name_start));
    }
    check(&mut model);
    drop(connections);
    assert_eq!(Crowded::receivers().len(), 3);
}
