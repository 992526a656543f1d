//! `send_robust` (Django's `send_robust`): it calls every receiver even when
//! one returns `Err` and another panics, and its `Report` names each failure
//! in call order, tells errors from panics, carries the error or the panic
//! message, and counts the receivers called.

use signals_core::{receiver, signal, ConnectOptions, Failure, Signal};
use std::error::Error;
use std::fmt;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

#[derive(Debug, PartialEq)]
struct Rejected(&'static str);

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rejected: {}", self.0)
    }
}

impl Error for Rejected {}

/// With `trouble` set, some receivers fail and some panic.
#[signal]
pub struct Batch<'a> {
    pub trouble: bool,
    pub log: &'a Mutex<Vec<&'static str>>,
}

impl Batch<'_> {
    fn visit(&self, name: &'static str) {
        self.log.lock().unwrap().push(name);
    }
}

#[receiver(signal = Batch, order = 0, name = "ok first")]
fn ok_first(signal: &Batch) {
    signal.visit("ok first");
}

#[receiver(signal = Batch, order = 1, name = "errs")]
fn errs(signal: &Batch) -> Result<(), Rejected> {
    signal.visit("errs");
    if signal.trouble {
        Err(Rejected("static"))
    } else {
        Ok(())
    }
}

#[receiver(signal = Batch, order = 2, name = "panics with str")]
fn panics_with_str(signal: &Batch) {
    signal.visit("panics with str");
    if signal.trouble {
        panic!("a static message");
    }
}

#[receiver(signal = Batch, order = 3, name = "ok middle")]
fn ok_middle(signal: &Batch) {
    signal.visit("ok middle");
}

#[receiver(signal = Batch, order = 5, name = "panics with String")]
fn panics_with_string(signal: &Batch) {
    signal.visit("panics with String");
    if signal.trouble {
        panic!("a formatted message: {}", 42);
    }
}

#[test]
fn send_robust_calls_every_receiver_and_reports_each_failure() {
    // Run-time receivers may fail and panic too.
    let dyn_errs = Batch::connect_with(
        ConnectOptions::new().order(4).name("dyn errs"),
        |signal: &Batch| {
            signal.visit("dyn errs");
            if signal.trouble {
                Err(Rejected("dynamic"))
            } else {
                Ok(())
            }
        },
    );
    let dyn_panics = Batch::connect_with(
        ConnectOptions::new()
            .order(6)
            .name(String::from("dyn panics")),
        |signal: &Batch| {
            signal.visit("dyn panics");
            if signal.trouble {
                std::panic::panic_any(17_u32);
            }
        },
    );
    let dyn_last = Batch::connect_with(
        ConnectOptions::new().order(7).name("dyn last"),
        |signal: &Batch| signal.visit("dyn last"),
    );
    let all = [
        "ok first",
        "errs",
        "panics with str",
        "ok middle",
        "dyn errs",
        "panics with String",
        "dyn panics",
        "dyn last",
    ];
    assert_eq!(
        Batch::receivers()
            .iter()
            .map(|r| r.name())
            .collect::<Vec<_>>(),
        all
    );

    let log = Mutex::new(Vec::new());
    let report = Batch {
        trouble: true,
        log: &log,
    }
    .send_robust();
    assert_eq!(*log.lock().unwrap(), all, "every receiver was called");
    assert!(!report.is_ok());
    assert_eq!(report.len(), all.len());
    assert!(!report.is_empty());
    assert_eq!(report.signal_name(), <Batch as Signal>::NAME);
    assert_eq!(report.signal_name(), "send_robust::Batch");

    let failures: Vec<&Failure> = report.failures().collect();
    let summary: Vec<(&str, bool, usize)> = failures
        .iter()
        .map(|f| (f.receiver_name(), f.is_panic(), f.position()))
        .collect();
    assert_eq!(
        summary,
        [
            ("errs", false, 1),
            ("panics with str", true, 2),
            ("dyn errs", false, 4),
            ("panics with String", true, 5),
            ("dyn panics", true, 6),
        ]
    );

    // Errors carry the receiver's error, panics their message.
    let error = |i: usize| failures[i].as_error().unwrap().downcast_ref::<Rejected>();
    assert_eq!(error(0), Some(&Rejected("static")));
    assert_eq!(error(2), Some(&Rejected("dynamic")));
    assert_eq!(failures[0].panic_message(), None);
    assert!(failures[1].as_error().is_none());
    assert_eq!(failures[1].panic_message(), Some("a static message"));
    assert_eq!(failures[3].panic_message(), Some("a formatted message: 42"));
    // A payload that is not a string has no message, but is still a panic.
    assert_eq!(failures[4].panic_message(), None);
    assert!(failures[4].as_error().is_none());

    assert_eq!(
        failures[0].to_string(),
        "receiver `errs` failed: rejected: static"
    );
    assert_eq!(
        failures[1].to_string(),
        "receiver `panics with str` panicked: a static message"
    );
    assert_eq!(failures[4].to_string(), "receiver `dyn panics` panicked");
    let text = report.to_string();
    for name in [
        "send_robust::Batch",
        "errs",
        "panics with String",
        "dyn panics",
    ] {
        assert!(text.contains(name), "{text:?} lacks {name:?}");
    }

    // The panic payload can be resumed, as if the receiver had panicked here.
    let mut owned = report.into_failures();
    assert_eq!(owned.len(), 5);
    let payload = owned.remove(4).into_panic().unwrap();
    assert_eq!(payload.downcast_ref::<u32>(), Some(&17));
    let resumed = catch_unwind(AssertUnwindSafe(|| resume_unwind(payload))).unwrap_err();
    assert_eq!(resumed.downcast_ref::<u32>(), Some(&17));
    assert!(owned.remove(0).into_panic().is_none());

    // Without trouble, the same receivers all succeed.
    log.lock().unwrap().clear();
    let report = Batch {
        trouble: false,
        log: &log,
    }
    .send_robust();
    assert!(report.is_ok(), "{report}");
    assert_eq!(report.len(), all.len());
    assert_eq!(report.failures().count(), 0);
    assert_eq!(*log.lock().unwrap(), all);

    drop((dyn_errs, dyn_panics, dyn_last));
}

/// Only a panicking receiver, as first and last receiver.
#[signal]
pub struct Edges {
    pub panic: bool,
}

static EDGE_CALLS: AtomicUsize = AtomicUsize::new(0);

#[receiver(signal = Edges, order = -1)]
fn first_edge(signal: &Edges) {
    EDGE_CALLS.fetch_add(1, Ordering::SeqCst);
    if signal.panic {
        panic!("first");
    }
}

#[receiver(signal = Edges, order = 1)]
fn last_edge(signal: &Edges) {
    EDGE_CALLS.fetch_add(1, Ordering::SeqCst);
    if signal.panic {
        panic!("last");
    }
}

#[test]
fn panics_in_the_first_and_last_receivers_are_both_reported() {
    let report = Edges { panic: true }.send_robust();
    assert_eq!(EDGE_CALLS.load(Ordering::SeqCst), 2);
    assert_eq!(report.len(), 2);
    let messages: Vec<_> = report
        .failures()
        .map(|f| (f.receiver_name(), f.panic_message()))
        .collect();
    assert_eq!(
        messages,
        [
            ("send_robust::first_edge", Some("first")),
            ("send_robust::last_edge", Some("last")),
        ]
    );
    // The signal works afterwards.
    assert!(Edges { panic: false }.send_robust().is_ok());
    assert!(Edges { panic: false }.send().is_ok());
    assert_eq!(EDGE_CALLS.load(Ordering::SeqCst), 6);
}

/// No receivers at all.
#[signal]
pub struct Unheard {}

#[test]
fn a_signal_without_receivers_reports_nothing_called() {
    assert!(!Unheard::has_receivers());
    let report = Unheard {}.send_robust();
    assert!(report.is_ok());
    assert!(report.is_empty());
    assert_eq!(report.len(), 0);
    assert!(Unheard {}.send().is_ok());
}

/// Static receivers alone (no receiver connected at run time), called in
/// an order other than their names': failures keep their positions in call
/// order, and every receiver after a failure or a panic is still called.
#[signal]
pub struct StaticOnly<'a> {
    pub log: &'a Mutex<Vec<&'static str>>,
}

#[receiver(signal = StaticOnly, order = 3, name = "a ok")]
fn static_a(signal: &StaticOnly) {
    signal.log.lock().unwrap().push("a ok");
}

#[receiver(signal = StaticOnly, order = 1, name = "b errs")]
fn static_b(signal: &StaticOnly) -> Result<(), Rejected> {
    signal.log.lock().unwrap().push("b errs");
    Err(Rejected("b"))
}

#[receiver(signal = StaticOnly, order = 0, name = "c panics")]
fn static_c(signal: &StaticOnly) {
    signal.log.lock().unwrap().push("c panics");
    panic!("c");
}

#[receiver(signal = StaticOnly, order = 2, name = "d errs")]
fn static_d(signal: &StaticOnly) -> Result<(), Rejected> {
    signal.log.lock().unwrap().push("d errs");
    Err(Rejected("d"))
}

#[test]
fn static_receivers_alone_report_each_failure_at_its_position() {
    let log = Mutex::new(Vec::new());
    let report = StaticOnly { log: &log }.send_robust();
    let order = ["c panics", "b errs", "d errs", "a ok"];
    assert_eq!(*log.lock().unwrap(), order);
    assert_eq!(report.len(), 4);
    let summary: Vec<(&str, bool, usize)> = report
        .failures()
        .map(|f| (f.receiver_name(), f.is_panic(), f.position()))
        .collect();
    assert_eq!(
        summary,
        [
            ("c panics", true, 0),
            ("b errs", false, 1),
            ("d errs", false, 2)
        ]
    );
    let failures: Vec<&Failure> = report.failures().collect();
    assert_eq!(failures[0].panic_message(), Some("c"));
    assert_eq!(
        failures[2].as_error().unwrap().downcast_ref::<Rejected>(),
        Some(&Rejected("d"))
    );
}
