//! One function for several signals (`#[receiver(signals = [A, B, ...])]`
//! on a function generic over its signal, Django's `@receiver([a, b])`): it
//! is registered once per listed signal, each registration with the
//! receiver's order, name and filter; each send calls it with its own
//! signal's type; it works for async signals, for signals with lifetimes and
//! for signals with a response.

use signals_core::{receiver, signal, Signal};
use std::fmt::Debug;
use std::sync::Mutex;

static AUDIT: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Someone logged in.
#[signal]
#[derive(Debug)]
pub struct LoggedIn<'a> {
    pub user: &'a str,
}

/// Someone logged out.
#[signal]
#[derive(Debug)]
pub struct LoggedOut {
    pub user: String,
}

/// A password changed: an async signal.
#[signal(async)]
#[derive(Debug)]
pub struct PasswordChanged {
    pub user: String,
}

fn not_root<S: Debug>(event: &S) -> bool {
    !format!("{event:?}").contains("root")
}

#[receiver(
    signals = [LoggedIn, LoggedOut, PasswordChanged],
    order = -10,
    name = "audit",
    filter = not_root
)]
fn audit<S: Signal + Debug>(event: &S) {
    AUDIT
        .lock()
        .unwrap()
        .push(format!("{}: {event:?}", S::NAME));
}

#[receiver(signal = LoggedIn)]
fn greet(_: &LoggedIn) {}

fn take() -> Vec<String> {
    std::mem::take(&mut *AUDIT.lock().unwrap())
}

#[test]
fn registered_once_per_signal_with_its_order_name_and_filter() {
    for receivers in [
        LoggedIn::receivers(),
        LoggedOut::receivers(),
        PasswordChanged::receivers(),
    ] {
        let first = &receivers[0];
        assert_eq!(
            (first.name(), first.order(), first.is_filtered()),
            ("audit", -10, true)
        );
        assert_eq!(receivers.iter().filter(|r| r.name() == "audit").count(), 1);
    }
    assert_eq!(LoggedIn::receivers().len(), 2);
    assert_eq!(LoggedOut::receivers().len(), 1);
}

#[test]
fn each_send_calls_it_with_its_own_signal() {
    let _guard = SERIAL.lock().unwrap();
    take();
    LoggedIn { user: "ada" }.send().unwrap();
    LoggedOut {
        user: "ada".to_string(),
    }
    .send()
    .unwrap();
    PasswordChanged {
        user: "ada".to_string(),
    }
    .send_blocking()
    .unwrap();
    assert_eq!(
        take(),
        [
            format!("{}: LoggedIn {{ user: \"ada\" }}", LoggedIn::NAME),
            format!("{}: LoggedOut {{ user: \"ada\" }}", LoggedOut::NAME),
            format!(
                "{}: PasswordChanged {{ user: \"ada\" }}",
                PasswordChanged::NAME
            ),
        ]
    );
}

#[test]
fn the_filter_applies_to_every_signal() {
    let _guard = SERIAL.lock().unwrap();
    take();
    LoggedIn { user: "root" }.send().unwrap();
    let report = LoggedOut {
        user: "root".to_string(),
    }
    .send_robust();
    assert_eq!(report.len(), 0);
    assert!(take().is_empty());
}

static SERIAL: Mutex<()> = Mutex::new(());

/// A question with an answer.
#[signal(response = String)]
#[derive(Debug)]
pub struct Describe {
    pub id: u32,
}

/// Another question with the same kind of answer.
#[signal(response = String)]
#[derive(Debug)]
pub struct Explain {
    pub topic: &'static str,
}

#[receiver(signals = [Describe, Explain], name = "debug")]
fn describe<S: Signal<Response = String> + Debug>(event: &S) -> String {
    format!("{event:?}")
}

#[test]
fn a_generic_receiver_answers_signals_with_a_response() {
    let responses = Describe { id: 7 }.send().unwrap();
    let answers: Vec<(&str, &str)> = responses
        .iter()
        .map(|r| (r.receiver_name(), r.value().as_str()))
        .collect();
    assert_eq!(answers, [("debug", "Describe { id: 7 }")]);
    let explained = Explain { topic: "signals" }.send().unwrap();
    assert_eq!(
        explained.into_iter().next().unwrap().into_value(),
        "Explain { topic: \"signals\" }"
    );
}
