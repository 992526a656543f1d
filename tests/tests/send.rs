//! `send` (Django's `send`): it calls the receivers in order and stops at the
//! first one that returns `Err`, whose name, signal and error the `SendError`
//! carries (`source()` is the receiver's own error); later receivers are not
//! called. A panicking receiver's panic propagates out of `send`, and the
//! signal keeps working afterwards.

use signals_core::{receiver, signal, ConnectOptions, SendError, Signal};
use std::error::Error;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Mutex;

#[derive(Debug, PartialEq)]
struct Refused {
    code: u32,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "refused with code {}", self.code)
    }
}

impl Error for Refused {}

/// `fail` names the receiver that returns `Err` this time, if any.
#[signal]
pub struct Checked<'a> {
    pub fail: Option<&'a str>,
    pub log: &'a Mutex<Vec<&'static str>>,
}

impl Checked<'_> {
    fn visit(&self, name: &'static str) -> Result<(), Refused> {
        self.log.lock().unwrap().push(name);
        if self.fail == Some(name) {
            Err(Refused { code: 7 })
        } else {
            Ok(())
        }
    }
}

#[receiver(signal = Checked, order = 1, name = "first")]
fn first(signal: &Checked) -> Result<(), Refused> {
    signal.visit("first")
}

#[receiver(signal = Checked, order = 2, name = "second")]
fn second(signal: &Checked) -> Result<(), Refused> {
    signal.visit("second")
}

#[receiver(signal = Checked, order = 4)]
fn last(signal: &Checked) {
    signal.visit("last").unwrap();
}

#[test]
fn send_stops_at_the_first_error_and_names_the_receiver() {
    // A run-time receiver between the two static ones may fail too.
    let third = Checked::connect_with(
        ConnectOptions::new().order(3).name("third"),
        |signal: &Checked| signal.visit("third"),
    );
    let log = Mutex::new(Vec::new());
    let all = ["first", "second", "third", "last"];

    Checked {
        fail: None,
        log: &log,
    }
    .send()
    .unwrap();
    assert_eq!(*log.lock().unwrap(), all);

    for (at, failing) in all[..3].iter().enumerate() {
        log.lock().unwrap().clear();
        let error: SendError = Checked {
            fail: Some(failing),
            log: &log,
        }
        .send()
        .unwrap_err();

        // Receivers after the failing one are not called.
        assert_eq!(*log.lock().unwrap(), all[..=at]);

        assert_eq!(error.receiver_name(), *failing);
        assert_eq!(error.signal_name(), "send::Checked");
        assert_eq!(error.signal_name(), <Checked as Signal>::NAME);
        let source = error.source().expect("the receiver's error is the source");
        assert_eq!(source.downcast_ref::<Refused>(), Some(&Refused { code: 7 }));
        assert_eq!(
            error.error().downcast_ref::<Refused>(),
            Some(&Refused { code: 7 })
        );
        let message = error.to_string();
        for part in [*failing, "send::Checked", "refused with code 7"] {
            assert!(message.contains(part), "{message:?} lacks {part:?}");
        }
        assert!(format!("{error:?}").contains(failing));
        let owned = error.into_error();
        assert_eq!(owned.downcast_ref::<Refused>(), Some(&Refused { code: 7 }));
    }
    drop(third);
}

/// A receiver whose error is a plain string still fails `send`.
#[signal(name = "tests.send.strings")]
pub struct Strings {
    pub fail: bool,
}

#[receiver(signal = Strings)]
fn fails_with_a_str(signal: &Strings) -> Result<(), &'static str> {
    if signal.fail {
        Err("a str error")
    } else {
        Ok(())
    }
}

#[test]
fn string_errors_are_reported_with_the_default_receiver_name() {
    assert!(Strings { fail: false }.send().is_ok());
    let error = Strings { fail: true }.send().unwrap_err();
    assert_eq!(error.receiver_name(), "send::fails_with_a_str");
    assert_eq!(error.signal_name(), "tests.send.strings");
    assert_eq!(error.source().unwrap().to_string(), "a str error");
}

/// `panic_in` names the receiver that panics this time, if any.
#[signal]
pub struct Fragile<'a> {
    pub panic_in: Option<&'a str>,
    pub log: &'a Mutex<Vec<&'static str>>,
}

impl Fragile<'_> {
    fn visit(&self, name: &'static str) {
        self.log.lock().unwrap().push(name);
        if self.panic_in == Some(name) {
            panic!("{name} gave up");
        }
    }
}

#[receiver(signal = Fragile, order = -1)]
fn before(signal: &Fragile) {
    signal.visit("before");
}

#[receiver(signal = Fragile)]
fn middle(signal: &Fragile) {
    signal.visit("middle");
}

#[receiver(signal = Fragile, order = 2)]
fn after(signal: &Fragile) {
    signal.visit("after");
}

#[test]
fn a_panic_in_a_receiver_propagates_out_of_send_and_the_signal_still_works() {
    let dynamic = Fragile::connect_with(
        ConnectOptions::new().order(1).name("dynamic"),
        |signal: &Fragile| signal.visit("dynamic"),
    );
    let log = Mutex::new(Vec::new());
    let all = ["before", "middle", "dynamic", "after"];

    for (at, panicking) in all.iter().enumerate() {
        log.lock().unwrap().clear();
        let payload = catch_unwind(AssertUnwindSafe(|| {
            Fragile {
                panic_in: Some(panicking),
                log: &log,
            }
            .send()
        }))
        .expect_err("the panic propagates");
        let message = payload
            .downcast_ref::<String>()
            .expect("a formatted panic message");
        assert_eq!(*message, format!("{panicking} gave up"));
        assert_eq!(*log.lock().unwrap(), all[..=at]);

        // The signal is not poisoned: sending, connecting and disconnecting
        // still work.
        log.lock().unwrap().clear();
        Fragile {
            panic_in: None,
            log: &log,
        }
        .send()
        .unwrap();
        assert_eq!(*log.lock().unwrap(), all);
        let extra = Fragile::connect(|_: &Fragile| {});
        assert_eq!(Fragile::receivers().len(), 5);
        drop(extra);
        assert_eq!(Fragile::receivers().len(), 4);
    }
    drop(dynamic);
    assert_eq!(Fragile::receivers().len(), 3);
}

/// A receiver may have any name, including the one the shim once had: the
/// shim calls the receiver, not itself.
mod shim_name {
    use signals_core::{receiver, signal};
    use std::sync::atomic::{AtomicUsize, Ordering};

    pub(super) static CALLS: AtomicUsize = AtomicUsize::new(0);

    #[signal]
    pub struct Named {}

    #[receiver(signal = Named)]
    fn __signals_shim(_: &Named) {
        CALLS.fetch_add(1, Ordering::SeqCst);
    }

    #[receiver(signal = Named)]
    #[allow(non_snake_case)]
    fn __SIGNALS_RECEIVER___signals_shim(_: &Named) {
        CALLS.fetch_add(10, Ordering::SeqCst);
    }
}

#[test]
fn a_receiver_named_like_generated_code_is_called_once() {
    shim_name::Named {}.send().unwrap();
    assert_eq!(
        shim_name::CALLS.load(std::sync::atomic::Ordering::SeqCst),
        11
    );
}
