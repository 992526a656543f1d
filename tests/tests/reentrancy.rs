//! What receivers may do during a dispatch: a dispatch calls the receivers
//! connected when it starts, so one connected during it runs from the next
//! send on, and one disconnected during it still runs in this one but not in
//! the next. A receiver may disconnect itself, a closure whose drop
//! disconnects or connects receivers may be dropped at any time, and a
//! receiver may send other signals and (boundedly) its own: none of this
//! deadlocks. Every test runs under a watchdog that fails it after 30 s.

use signals_core::{receiver, signal, ConnectOptions, Connection};
use signals_tests::within_deadline;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

type Log = Mutex<Vec<String>>;

fn push(log: &Log, entry: impl Into<String>) {
    log.lock().unwrap().push(entry.into());
}

fn take(log: &Log) -> Vec<String> {
    std::mem::take(&mut *log.lock().unwrap())
}

// ---------------------------------------------------------------------------
// Connecting during a dispatch.

/// With `grow` set, the static receiver connects two more receivers.
#[signal]
pub struct Grow<'a> {
    pub grow: bool,
    pub log: &'a Log,
}

static GROWN: Mutex<Vec<Connection>> = Mutex::new(Vec::new());

#[receiver(signal = Grow)]
fn grower(signal: &Grow) {
    push(signal.log, "grower");
    if signal.grow {
        // One before this receiver, one after it: the cursor of the running
        // dispatch has yet to reach order 10, and still must not call it.
        for order in [-10, 10] {
            let connection = Grow::connect_with(
                ConnectOptions::new()
                    .order(order)
                    .name(format!("late {order}")),
                move |signal: &Grow| push(signal.log, format!("late {order}")),
            );
            GROWN.lock().unwrap().push(connection);
        }
    }
}

#[test]
fn a_receiver_connected_during_a_dispatch_runs_from_the_next_one() {
    within_deadline(|| {
        let existing = Grow::connect_with(ConnectOptions::new().order(20), |signal: &Grow| {
            push(signal.log, "existing")
        });
        let log = Log::default();
        Grow {
            grow: true,
            log: &log,
        }
        .send()
        .unwrap();
        assert_eq!(take(&log), ["grower", "existing"]);
        assert_eq!(Grow::receivers().len(), 4);

        Grow {
            grow: false,
            log: &log,
        }
        .send()
        .unwrap();
        assert_eq!(take(&log), ["late -10", "grower", "late 10", "existing"]);

        GROWN.lock().unwrap().clear();
        drop(existing);
        let report = Grow {
            grow: false,
            log: &log,
        }
        .send_robust();
        assert_eq!(report.len(), 1);
        assert_eq!(take(&log), ["grower"]);
    });
}

// ---------------------------------------------------------------------------
// Disconnecting during a dispatch.

#[signal]
pub struct Once<'a> {
    pub log: &'a Log,
}

/// A connection its own receiver can reach.
type Slot = Arc<Mutex<Option<Connection>>>;

/// Connects a receiver that disconnects itself the first time it runs:
/// through `disconnect()` or by dropping its `Connection`.
fn connect_once(name: &'static str, order: i32, by_drop: bool) -> Slot {
    let slot: Slot = Arc::default();
    let own = Arc::clone(&slot);
    let connection = Once::connect_with(
        ConnectOptions::new().order(order).name(name),
        move |signal: &Once| {
            push(signal.log, name);
            // The slot's lock is released before disconnecting.
            let connection = own.lock().unwrap().take();
            let connection = connection.expect("called after it disconnected itself");
            if by_drop {
                drop(connection);
            } else {
                connection.disconnect();
            }
        },
    );
    *slot.lock().unwrap() = Some(connection);
    slot
}

#[test]
fn a_receiver_that_disconnects_itself_is_not_called_again() {
    within_deadline(|| {
        let before = Once::connect_with(ConnectOptions::new().order(-1), |signal: &Once| {
            push(signal.log, "before")
        });
        let after = Once::connect_with(ConnectOptions::new().order(1), |signal: &Once| {
            push(signal.log, "after")
        });
        let by_disconnect = connect_once("by disconnect", 0, false);
        let by_drop = connect_once("by drop", 0, true);
        assert_eq!(Once::receivers().len(), 4);

        let log = Log::default();
        Once { log: &log }.send().unwrap();
        // Both ran once, and the dispatch went on to the receivers after them.
        assert_eq!(take(&log), ["before", "by disconnect", "by drop", "after"]);
        assert!(by_disconnect.lock().unwrap().is_none());
        assert!(by_drop.lock().unwrap().is_none());
        assert_eq!(Once::receivers().len(), 2);

        for _ in 0..3 {
            Once { log: &log }.send().unwrap();
            assert_eq!(take(&log), ["before", "after"]);
        }

        // The same through `send_robust`, which would report the `expect`
        // in the receiver if it were called a second time.
        let _slot = connect_once("robust", 0, false);
        for expected in [3, 2, 2] {
            let report = Once { log: &log }.send_robust();
            assert!(report.is_ok(), "{report}");
            assert_eq!(report.len(), expected);
        }
        drop((before, after));
        assert!(!Once::has_receivers());
    });
}

#[signal]
pub struct Cut<'a> {
    pub log: &'a Log,
}

#[test]
fn a_receiver_disconnected_during_a_dispatch_still_runs_in_it_but_not_in_the_next() {
    within_deadline(|| {
        let victim_slot: Slot = Arc::default();
        let slot = Arc::clone(&victim_slot);
        let cutter =
            Cut::connect_with(ConnectOptions::new().name("cutter"), move |signal: &Cut| {
                push(signal.log, "cutter");
                let victim = slot.lock().unwrap().take();
                drop(victim);
            });
        let victim = Cut::connect_with(ConnectOptions::new().order(5), |signal: &Cut| {
            push(signal.log, "victim")
        });
        *victim_slot.lock().unwrap() = Some(victim);

        let log = Log::default();
        Cut { log: &log }.send().unwrap();
        assert_eq!(take(&log), ["cutter", "victim"]);
        Cut { log: &log }.send().unwrap();
        assert_eq!(take(&log), ["cutter"]);
        drop(cutter);
    });
}

// ---------------------------------------------------------------------------
// Closures whose drop disconnects or connects.

#[signal]
pub struct Chained {}

#[signal]
pub struct Other {}

/// Connects a receiver when dropped.
struct ConnectsOnDrop(Arc<Mutex<Option<Connection>>>);

impl Drop for ConnectsOnDrop {
    fn drop(&mut self) {
        let connection =
            Chained::connect_with(ConnectOptions::new().name("from drop"), |_: &Chained| {});
        *self.0.lock().unwrap() = Some(connection);
    }
}

#[test]
fn dropping_a_closure_that_disconnects_or_connects_does_not_deadlock() {
    within_deadline(|| {
        let names = || -> Vec<String> {
            Chained::receivers()
                .iter()
                .map(|r| r.name().to_string())
                .collect()
        };

        // Disconnecting `outer` drops its closure, which owns the connection
        // of `inner` on the same signal: dropping that disconnects `inner`.
        let inner = Chained::connect_with(ConnectOptions::new().name("inner"), |_: &Chained| {});
        let outer =
            Chained::connect_with(ConnectOptions::new().name("outer"), move |_: &Chained| {
                let _owned = &inner;
            });
        assert_eq!(names(), ["inner", "outer"]);
        outer.disconnect();
        assert!(names().is_empty());

        // The same through a chain of three, disconnected by drop.
        let c = Chained::connect_with(ConnectOptions::new().name("c"), |_: &Chained| {});
        let b = Chained::connect_with(ConnectOptions::new().name("b"), move |_: &Chained| {
            let _owned = &c;
        });
        let a = Chained::connect_with(ConnectOptions::new().name("a"), move |_: &Chained| {
            let _owned = &b;
        });
        assert_eq!(names(), ["c", "b", "a"]);
        drop(a);
        assert!(names().is_empty());

        // A closure whose drop connects a receiver.
        let made: Slot = Arc::default();
        let on_drop = ConnectsOnDrop(Arc::clone(&made));
        let connects = Chained::connect(move |_: &Chained| {
            let _owned = &on_drop;
        });
        drop(connects);
        assert_eq!(names(), ["from drop"]);
        made.lock().unwrap().take();
        assert!(names().is_empty());

        // Across signals: an `Other` receiver owns a `Chained` connection.
        let chained = Chained::connect(|_: &Chained| {});
        let other = Other::connect(move |_: &Other| {
            let _owned = &chained;
        });
        assert!(Chained::has_receivers());
        drop(other);
        assert!(!Chained::has_receivers());
        assert!(!Other::has_receivers());
    });
}

#[signal]
pub struct Farewell {}

#[test]
fn a_self_disconnecting_receiver_whose_closure_owns_another_connection_does_not_deadlock() {
    within_deadline(|| {
        // `leaver` disconnects itself during a dispatch; its closure, which
        // owns `kept`'s connection, is dropped when that dispatch lets go of
        // it, and dropping it disconnects `kept`.
        static KEPT_CALLS: AtomicUsize = AtomicUsize::new(0);
        let kept = Farewell::connect_with(ConnectOptions::new().order(1), |_: &Farewell| {
            KEPT_CALLS.fetch_add(1, Ordering::SeqCst);
        });
        let slot: Slot = Arc::default();
        let own = Arc::clone(&slot);
        let leaver = Farewell::connect(move |_: &Farewell| {
            let _owned = &kept;
            let connection = own.lock().unwrap().take();
            drop(connection);
        });
        *slot.lock().unwrap() = Some(leaver);

        Farewell {}.send().unwrap();
        // `kept` was in this dispatch's snapshot.
        assert_eq!(KEPT_CALLS.load(Ordering::SeqCst), 1);
        assert!(!Farewell::has_receivers());
        Farewell {}.send().unwrap();
        assert_eq!(KEPT_CALLS.load(Ordering::SeqCst), 1);
    });
}

// ---------------------------------------------------------------------------
// Sending during a dispatch.

/// Counts down to zero, sending itself again until it gets there.
#[signal]
pub struct Countdown<'a> {
    pub n: u32,
    pub log: &'a Log,
}

/// Sent by `Countdown`'s receiver at zero.
#[signal]
pub struct Liftoff<'a> {
    pub log: &'a Log,
}

#[receiver(signal = Countdown)]
fn count(signal: &Countdown) {
    push(signal.log, format!("static {}", signal.n));
    if signal.n > 0 {
        Countdown {
            n: signal.n - 1,
            log: signal.log,
        }
        .send()
        .unwrap();
    } else {
        Liftoff { log: signal.log }.send().unwrap();
    }
}

#[receiver(signal = Liftoff)]
fn liftoff(signal: &Liftoff) {
    push(signal.log, "liftoff");
}

#[test]
fn a_receiver_may_send_another_signal_and_its_own_during_a_dispatch() {
    within_deadline(|| {
        let dynamic =
            Countdown::connect_with(ConnectOptions::new().order(1), |signal: &Countdown| {
                push(signal.log, format!("dynamic {}", signal.n))
            });
        let log = Log::default();
        Countdown { n: 2, log: &log }.send().unwrap();
        assert_eq!(
            take(&log),
            [
                "static 2",
                "static 1",
                "static 0",
                "liftoff",
                "dynamic 0",
                "dynamic 1",
                "dynamic 2"
            ]
        );

        // Deep enough that every level holds its own view of the run-time
        // receivers at once.
        let report = Countdown { n: 100, log: &log }.send_robust();
        assert!(report.is_ok(), "{report}");
        assert_eq!(report.len(), 2);
        let entries = take(&log);
        assert_eq!(entries.len(), 2 * 101 + 1);
        assert_eq!(entries[100], "static 0");
        assert_eq!(entries[101], "liftoff");
        assert_eq!(entries[102], "dynamic 0");
        assert_eq!(entries[202], "dynamic 100");
        drop(dynamic);
    });
}

/// A receiver connects another and then sends the signal again.
#[signal]
pub struct Nested<'a> {
    pub depth: u32,
    pub log: &'a Log,
}

static NESTED_CONNECTIONS: Mutex<Vec<Connection>> = Mutex::new(Vec::new());

#[receiver(signal = Nested)]
fn nest(signal: &Nested) {
    push(signal.log, format!("static {}", signal.depth));
    if signal.depth == 0 {
        let connection = Nested::connect(|signal: &Nested| {
            push(signal.log, format!("late {}", signal.depth));
        });
        NESTED_CONNECTIONS.lock().unwrap().push(connection);
        Nested {
            depth: 1,
            log: signal.log,
        }
        .send()
        .unwrap();
    }
}

#[test]
fn a_send_inside_a_dispatch_sees_receivers_connected_before_it_started() {
    within_deadline(|| {
        let log = Log::default();
        Nested {
            depth: 0,
            log: &log,
        }
        .send()
        .unwrap();
        // The inner send started after the connect; the outer one before.
        assert_eq!(take(&log), ["static 0", "static 1", "late 1"]);
        NESTED_CONNECTIONS.lock().unwrap().clear();
    });
}

/// A receiver that fails the inner send of a nested robust send.
#[signal]
pub struct Relay<'a> {
    pub inner: bool,
    pub log: &'a Log,
}

#[receiver(signal = Relay)]
fn relay(signal: &Relay) -> Result<(), String> {
    if signal.inner {
        push(signal.log, "inner");
        return Err("inner failure".to_string());
    }
    push(signal.log, "outer");
    let report = Relay {
        inner: true,
        log: signal.log,
    }
    .send_robust();
    assert_eq!(report.failures().count(), 1);
    let inner = Relay {
        inner: true,
        log: signal.log,
    }
    .send();
    let error = inner.unwrap_err();
    assert_eq!(
        error.to_string(),
        "receiver `reentrancy::relay` of signal `reentrancy::Relay` failed: inner failure"
    );
    Ok(())
}

#[test]
fn failures_of_a_nested_send_stay_in_the_nested_report() {
    within_deadline(|| {
        let log = Log::default();
        let report = Relay {
            inner: false,
            log: &log,
        }
        .send_robust();
        assert!(report.is_ok(), "{report}");
        assert_eq!(report.len(), 1);
        assert_eq!(take(&log), ["outer", "inner", "inner"]);
    });
}
