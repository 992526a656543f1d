//! Run-time receivers and their `Connection` guard: `disconnect()` and drop
//! remove the receiver at once (also from another thread, and in any order),
//! `forget()` keeps it for good; a connected closure that returns `Result`
//! has its errors reported by `send` and `send_robust` under its name; and
//! `ConnectOptions` order and name are honoured.

use signals_core::{receiver, signal, ConnectOptions, Connection, ReceiverKind};
use std::error::Error;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// A counter a connected closure bumps.
fn counter() -> (Arc<AtomicUsize>, impl Fn() -> usize) {
    let count = Arc::new(AtomicUsize::new(0));
    let read = Arc::clone(&count);
    (count, move || read.load(Ordering::SeqCst))
}

#[signal]
pub struct Dropped {}

#[test]
fn dropping_the_connection_disconnects() {
    let (count, calls) = counter();
    let connection = Dropped::connect(move |_: &Dropped| {
        count.fetch_add(1, Ordering::SeqCst);
    });
    assert!(Dropped::has_receivers());
    assert_eq!(Dropped::receivers().len(), 1);
    assert!(format!("{connection:?}").contains("connected: true"));
    Dropped {}.send().unwrap();
    assert_eq!(calls(), 1);

    drop(connection);
    assert!(!Dropped::has_receivers());
    assert!(Dropped::receivers().is_empty());
    Dropped {}.send().unwrap();
    assert_eq!(Dropped {}.send_robust().len(), 0);
    assert_eq!(calls(), 1);
}

#[signal]
pub struct Discarded {}

#[test]
fn a_connection_bound_to_underscore_disconnects_at_once() {
    let (count, calls) = counter();
    // `let _ =` drops the guard on the spot (hence `#[must_use]`).
    let _ = Discarded::connect(move |_: &Discarded| {
        count.fetch_add(1, Ordering::SeqCst);
    });
    assert!(!Discarded::has_receivers());
    Discarded {}.send().unwrap();
    assert_eq!(calls(), 0);
}

#[signal]
pub struct Explicit {}

#[test]
fn disconnect_removes_the_receiver_even_from_another_thread() {
    let (count, calls) = counter();
    let first = Explicit::connect(move |_: &Explicit| {
        count.fetch_add(1, Ordering::SeqCst);
    });
    Explicit {}.send().unwrap();
    first.disconnect();
    assert!(!Explicit::has_receivers());
    Explicit {}.send().unwrap();
    assert_eq!(calls(), 1);

    // A `Connection` is `Send`: it may be disconnected elsewhere.
    let (count, calls) = counter();
    let second = Explicit::connect(move |_: &Explicit| {
        count.fetch_add(1, Ordering::SeqCst);
    });
    Explicit {}.send().unwrap();
    std::thread::spawn(move || second.disconnect())
        .join()
        .unwrap();
    Explicit {}.send().unwrap();
    assert_eq!(calls(), 1);
    assert!(!Explicit::has_receivers());
}

#[signal]
pub struct Forgotten {}

#[test]
fn forget_keeps_the_receiver_for_good() {
    let (count, calls) = counter();
    let connection = Forgotten::connect_with(
        ConnectOptions::new().name("forgotten"),
        move |_: &Forgotten| {
            count.fetch_add(1, Ordering::SeqCst);
        },
    );
    connection.forget();
    for _ in 0..3 {
        Forgotten {}.send().unwrap();
    }
    assert_eq!(calls(), 3);
    assert_eq!(Forgotten::receivers()[0].name(), "forgotten");
    // Connecting and disconnecting others leaves it in place.
    drop(Forgotten::connect(|_: &Forgotten| {}));
    Forgotten {}.send().unwrap();
    assert_eq!(calls(), 4);
    assert_eq!(Forgotten::receivers().len(), 1);
}

#[signal]
pub struct Many<'a> {
    pub log: &'a std::sync::Mutex<Vec<usize>>,
}

#[test]
fn connections_dropped_in_any_order_remove_exactly_their_receivers() {
    let mut connections: Vec<Option<Connection>> = (0..10)
        .map(|i| {
            Some(Many::connect(move |signal: &Many| {
                signal.log.lock().unwrap().push(i)
            }))
        })
        .collect();
    let log = std::sync::Mutex::new(Vec::new());
    let mut alive: Vec<usize> = (0..10).collect();
    // A fixed shuffle of 0..10.
    for i in [3, 7, 0, 9, 4, 1, 8, 5, 2, 6] {
        connections[i].take().unwrap().disconnect();
        alive.retain(|&a| a != i);
        Many { log: &log }.send().unwrap();
        assert_eq!(std::mem::take(&mut *log.lock().unwrap()), alive);
        assert_eq!(Many::receivers().len(), alive.len());
    }
    assert!(!Many::has_receivers());
}

#[derive(Debug)]
struct Full {
    capacity: usize,
}

impl fmt::Display for Full {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "full at {}", self.capacity)
    }
}

impl Error for Full {}

#[signal]
pub struct Store {
    pub size: usize,
}

#[receiver(signal = Store, order = 10)]
fn stored(_: &Store) {}

#[test]
fn errors_of_connected_closures_are_reported() {
    let limit = Store::connect_with(
        ConnectOptions::new().name("limit"),
        |store: &Store| -> Result<(), Full> {
            if store.size > 3 {
                Err(Full { capacity: 3 })
            } else {
                Ok(())
            }
        },
    );
    // Any error that converts into a boxed error will do.
    let text = Store::connect_with(
        ConnectOptions::new().order(20).name("text"),
        |store: &Store| {
            if store.size > 5 {
                Err(format!("{} is too many", store.size))
            } else {
                Ok(())
            }
        },
    );

    assert!(Store { size: 1 }.send().is_ok());
    let error = Store { size: 4 }.send().unwrap_err();
    assert_eq!(error.receiver_name(), "limit");
    assert_eq!(
        error
            .source()
            .unwrap()
            .downcast_ref::<Full>()
            .unwrap()
            .capacity,
        3
    );
    assert!(error.to_string().contains("full at 3"));

    let report = Store { size: 6 }.send_robust();
    assert_eq!(report.len(), 3);
    let failures: Vec<_> = report
        .failures()
        .map(|f| (f.receiver_name(), f.as_error().unwrap().to_string()))
        .collect();
    assert_eq!(
        failures,
        [
            ("limit", "full at 3".to_string()),
            ("text", "6 is too many".to_string())
        ]
    );
    drop((limit, text));
}

#[signal]
pub struct Configured<'a> {
    pub log: &'a std::sync::Mutex<Vec<String>>,
}

#[receiver(signal = Configured, order = 0, name = "static zero")]
fn static_zero(signal: &Configured) {
    signal.log.lock().unwrap().push("static zero".into());
}

#[test]
fn connect_options_set_the_order_and_the_name() {
    let options = ConnectOptions::new().order(-3).name("early");
    // What was set shows in `Debug`; the defaults are order 0 and no name.
    let shown = format!("{options:?}");
    assert!(
        shown.contains("order: -3") && shown.contains("\"early\""),
        "{shown}"
    );
    assert_eq!(
        format!("{:?}", ConnectOptions::new()),
        format!("{:?}", ConnectOptions::default())
    );
    assert!(format!("{:?}", ConnectOptions::new()).contains("order: 0, name: None"));

    let push = |entry: &'static str| {
        move |signal: &Configured| signal.log.lock().unwrap().push(entry.to_string())
    };
    // The same options may serve twice; the last `order` or `name` wins.
    let early = Configured::connect_with(options.clone(), push("early 1"));
    let early_again = Configured::connect_with(options, push("early 2"));
    let late = Configured::connect_with(
        ConnectOptions::new()
            .order(1)
            .order(7)
            .name("first name")
            .name(String::from("late")),
        push("late"),
    );
    let unnamed = Configured::connect(push("unnamed"));

    let log = std::sync::Mutex::new(Vec::new());
    Configured { log: &log }.send().unwrap();
    assert_eq!(
        *log.lock().unwrap(),
        ["early 1", "early 2", "static zero", "unnamed", "late"]
    );

    let receivers = Configured::receivers();
    let seen: Vec<(&str, i32, ReceiverKind)> = receivers
        .iter()
        .map(|r| (r.name(), r.order(), r.kind()))
        .collect();
    assert_eq!(
        seen[..3],
        [
            ("early", -3, ReceiverKind::Dynamic),
            ("early", -3, ReceiverKind::Dynamic),
            ("static zero", 0, ReceiverKind::Static),
        ]
    );
    assert_eq!(seen[4], ("late", 7, ReceiverKind::Dynamic));
    // Without a name, a run-time receiver still has one, at order 0.
    let (name, order, kind) = seen[3];
    assert!(!name.is_empty());
    assert_eq!((order, kind), (0, ReceiverKind::Dynamic));

    drop((early, early_again, late, unnamed));
    assert_eq!(Configured::receivers().len(), 1);
}
