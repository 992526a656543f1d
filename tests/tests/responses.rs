//! Typed responses (`#[signal(response = T)]`, Django's `send` returning
//! `[(receiver, response)]`): every receiver (static, connected, weak, keyed,
//! filtered, async) answers `T` or `Result<T, E>`; `send` returns
//! `Responses<T>` in call order with each receiver's name, and stops at the first `Err`;
//! `send_robust` returns a `Report<T>` whose `responses()` are the answers of
//! the receivers that succeeded, while failures and panics are reported as
//! for any signal; `send_async` and the robust async forms return the same
//! types. Signals without `response` keep `Result<(), SendError>` and
//! `Report` (a compile-time check below).

use signals_core::{receiver, signal, ConnectOptions, Report, Responses, SendError, Signal};
use std::sync::atomic::{AtomicBool, Ordering};

/// Asks each part of the program for menu items.
#[signal(response = Vec<String>)]
pub struct BuildMenu<'a> {
    pub user: &'a str,
    /// Makes `fails` return `Err`.
    pub fail: bool,
    /// Makes `panics` panic.
    pub panic: bool,
}

#[receiver(signal = BuildMenu, order = -10, name = "home")]
fn home(_: &BuildMenu) -> Vec<String> {
    vec!["home".to_string()]
}

#[receiver(signal = BuildMenu, order = 10, name = "admin")]
fn admin(menu: &BuildMenu<'_>) -> Result<Vec<String>, std::io::Error> {
    Ok(if menu.user == "root" {
        vec!["users".to_string(), "logs".to_string()]
    } else {
        Vec::new()
    })
}

#[receiver(signal = BuildMenu, order = 20, name = "fails")]
fn fails(menu: &BuildMenu) -> Result<Vec<String>, String> {
    if menu.fail {
        Err("no menu today".to_string())
    } else {
        Ok(vec!["help".to_string()])
    }
}

#[receiver(signal = BuildMenu, order = 30, name = "panics")]
fn panics(menu: &BuildMenu) -> Vec<String> {
    assert!(!menu.panic, "menu receiver panicked");
    vec!["about".to_string()]
}

fn is_root(menu: &BuildMenu) -> bool {
    menu.user == "root"
}

#[receiver(signal = BuildMenu, order = 40, name = "root only", filter = is_root)]
fn root_only(_: &BuildMenu) -> Vec<String> {
    vec!["shell".to_string()]
}

fn answers<T: Clone>(responses: &Responses<T>) -> Vec<(String, T)> {
    responses
        .iter()
        .map(|r| (r.receiver_name().to_string(), r.value().clone()))
        .collect()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn send_returns_every_answer_in_call_order_with_names() {
    let menu = BuildMenu {
        user: "root",
        fail: false,
        panic: false,
    };
    let responses = menu.send().unwrap();
    assert_eq!(responses.len(), 5);
    assert_eq!(
        answers(&responses),
        vec![
            ("home".to_string(), strings(&["home"])),
            ("admin".to_string(), strings(&["users", "logs"])),
            ("fails".to_string(), strings(&["help"])),
            ("panics".to_string(), strings(&["about"])),
            ("root only".to_string(), strings(&["shell"])),
        ]
    );
    let flat: Vec<String> = responses.into_iter().flat_map(|r| r.into_value()).collect();
    assert_eq!(
        flat,
        strings(&["home", "users", "logs", "help", "about", "shell"])
    );
}

#[test]
fn a_declining_filter_gives_no_answer() {
    let menu = BuildMenu {
        user: "guest",
        fail: false,
        panic: false,
    };
    let names: Vec<String> = menu
        .send()
        .unwrap()
        .iter()
        .map(|r| r.receiver_name().to_string())
        .collect();
    assert_eq!(names, ["home", "admin", "fails", "panics"]);
}

#[test]
fn send_stops_at_the_first_error() {
    let menu = BuildMenu {
        user: "root",
        fail: true,
        panic: true,
    };
    let error: SendError = menu.send().unwrap_err();
    assert_eq!(error.receiver_name(), "fails");
    assert_eq!(error.error().to_string(), "no menu today");
}

#[test]
fn send_robust_gives_the_answers_of_the_receivers_that_succeeded() {
    let menu = BuildMenu {
        user: "root",
        fail: true,
        panic: true,
    };
    let report: Report<Vec<String>> = menu.send_robust();
    assert_eq!(report.len(), 5);
    let failed: Vec<(&str, bool)> = report
        .failures()
        .map(|f| (f.receiver_name(), f.is_panic()))
        .collect();
    assert_eq!(failed, [("fails", false), ("panics", true)]);
    let answered: Vec<&str> = report.responses().map(|r| r.receiver_name()).collect();
    assert_eq!(answered, ["home", "admin", "root only"]);
    assert_eq!(
        report.responses().nth(1).unwrap().value(),
        &strings(&["users", "logs"])
    );
}

/// A send whose receivers are all connected at run time.
#[signal(response = u32)]
pub struct Quote {
    pub amount: u32,
}

#[test]
fn connected_receivers_answer_too_in_order() {
    let _late = Quote::connect_with(ConnectOptions::new().order(5).name("late"), |q: &Quote| {
        q.amount * 3
    });
    let _early = Quote::connect_with(
        ConnectOptions::new().order(-5).name("early"),
        |q: &Quote| -> Result<u32, std::io::Error> { Ok(q.amount + 1) },
    );
    let _filtered = Quote::connect_filtered(|q: &Quote| q.amount > 100, |_: &Quote| 0);
    let responses = Quote { amount: 10 }.send().unwrap();
    let got: Vec<(&str, u32)> = responses
        .iter()
        .map(|r| (r.receiver_name(), *r.value()))
        .collect();
    assert_eq!(got, [("early", 11), ("late", 30)]);
    let report = Quote { amount: 1000 }.send_robust();
    assert!(report.is_ok());
    let values: Vec<u32> = report.responses().map(|r| *r.value()).collect();
    // The filtered receiver has order 0: between `early` and `late`.
    assert_eq!(values, [1001, 0, 3000]);
}

/// Nobody listens to this one.
#[signal(response = String)]
pub struct Unheard {}

#[test]
fn no_receivers_no_answers() {
    assert!(Unheard {}.send().unwrap().is_empty());
    let report = Unheard {}.send_robust();
    assert!(report.is_ok() && report.responses().next().is_none());
}

/// An async signal whose receivers answer.
#[signal(async, response = String)]
pub struct Lookup {
    pub key: u32,
}

static LOOKUP_FAILS: AtomicBool = AtomicBool::new(false);

#[receiver(signal = Lookup, order = 1, name = "cache")]
async fn cache(lookup: &Lookup) -> Result<String, std::io::Error> {
    if LOOKUP_FAILS.load(Ordering::SeqCst) {
        return Err(std::io::Error::other("cache down"));
    }
    Ok(format!("cached {}", lookup.key))
}

#[receiver(signal = Lookup, order = 0, name = "static")]
fn in_memory(lookup: &Lookup) -> String {
    format!("memory {}", lookup.key)
}

#[test]
fn async_sends_return_the_same_types() {
    let key = 7;
    let _connected = Lookup::connect_async_with(
        ConnectOptions::new().order(2).name("remote"),
        move |_: &Lookup| async move { format!("remote {key}") },
    );
    let responses: Responses<String> = Lookup { key: 7 }.send_blocking().unwrap();
    let got: Vec<(&str, &str)> = responses
        .iter()
        .map(|r| (r.receiver_name(), r.value().as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("static", "memory 7"),
            ("cache", "cached 7"),
            ("remote", "remote 7")
        ]
    );
    let concurrent = signals_core_block_on(Lookup { key: 8 }.send_robust_concurrent());
    let values: Vec<&str> = concurrent.responses().map(|r| r.value().as_str()).collect();
    assert_eq!(values, ["memory 8", "cached 8", "remote 7"]);

    LOOKUP_FAILS.store(true, Ordering::SeqCst);
    let report: Report<String> = Lookup { key: 9 }.send_robust_blocking();
    LOOKUP_FAILS.store(false, Ordering::SeqCst);
    assert_eq!(report.failures().next().unwrap().receiver_name(), "cache");
    let answered: Vec<&str> = report.responses().map(|r| r.receiver_name()).collect();
    assert_eq!(answered, ["static", "remote"]);
}

/// Polls a future to completion with a waker that does nothing: every
/// future here is ready when first polled.
fn signals_core_block_on<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match future.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(output) => output,
        std::task::Poll::Pending => panic!("the send was expected to be ready"),
    }
}

/// A signal without `response`.
#[signal]
pub struct Plain {}

#[test]
fn signals_without_response_keep_their_types() {
    let sent: Result<(), SendError> = Plain {}.send();
    let report: Report = Plain {}.send_robust();
    assert!(sent.is_ok() && report.is_ok());
    assert!(report.responses().next().is_none());
    fn output_is_unit<S: Signal<Output = (), Response = ()>>() {}
    output_is_unit::<Plain>();
    output_is_unit::<signals_core_plain_async::Ping>();
}

mod signals_core_plain_async {
    /// An async signal without `response`.
    #[signals_core::signal(async)]
    pub struct Ping {}
}

/// A signal whose receivers are connected with options and weakly.
#[signal(response = u32)]
pub struct Offer {
    pub amount: u32,
}

#[test]
fn weak_keyed_and_filtered_connections_answer() {
    let margin = std::sync::Arc::new(5u32);
    Offer::connect_weak(&margin, |margin: &u32, offer: &Offer| offer.amount + margin);
    let keyed = Offer::connect_with(
        ConnectOptions::new().key("double").name("double").order(1),
        |offer: &Offer| offer.amount * 2,
    );
    let again = Offer::connect_with(ConnectOptions::new().key("double"), |_: &Offer| 0);
    assert!(keyed.is_connected() && !again.is_connected());
    let _big = Offer::connect_with(
        ConnectOptions::new()
            .filter(|offer: &Offer| offer.amount > 100)
            .order(2),
        |_: &Offer| 1,
    );
    let values = |amount| -> Vec<u32> {
        Offer { amount }
            .send()
            .unwrap()
            .into_iter()
            .map(|r| r.into_value())
            .collect()
    };
    assert_eq!(values(10), [15, 20]);
    assert_eq!(values(200), [205, 400, 1]);
    drop(margin);
    assert_eq!(values(10), [20]);
}
