//! Typed, link-time registered signals, in the spirit of Django's
//! `django.dispatch`: tell everyone who cares that something happened,
//! without a central registry, without stringly typed events, and at the cost
//! of a function call.
//!
//! - [`#[signal]`](macro@signal) on a braced struct defines a signal.
//! - [`#[receiver(signal = Path)]`](macro@receiver) on a free function
//!   registers a receiver at link time, from any module or crate: no wiring
//!   in `main`.
//! - `send` calls the receivers in order and stops at the first error;
//!   `send_robust` calls them all and reports every error and panic.
//! - `connect` adds a receiver at run time; dropping the returned
//!   [`Connection`] removes it.
//!
//! # Define, receive, send
//!
//! ```
//! use signals_core::{receiver, signal};
//! use std::sync::atomic::{AtomicUsize, Ordering};
//!
//! /// Sent when a user logs in.
//! #[signal]
//! pub struct LoggedIn<'a> {
//!     pub user: &'a str,
//! }
//!
//! static LOGINS: AtomicUsize = AtomicUsize::new(0);
//!
//! #[receiver(signal = LoggedIn)]
//! fn count_login(event: &LoggedIn) {
//!     LOGINS.fetch_add(1, Ordering::Relaxed);
//! }
//!
//! #[derive(Debug)]
//! struct Banned;
//! impl std::fmt::Display for Banned {
//!     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
//!         f.write_str("user is banned")
//!     }
//! }
//! impl std::error::Error for Banned {}
//!
//! // Lower orders run first; a receiver may fail.
//! #[receiver(signal = LoggedIn, order = -10, name = "ban check")]
//! fn ban_check(event: &LoggedIn) -> Result<(), Banned> {
//!     if event.user == "mallory" { Err(Banned) } else { Ok(()) }
//! }
//!
//! LoggedIn { user: "alice" }.send().unwrap();
//! assert_eq!(LOGINS.load(Ordering::Relaxed), 1);
//!
//! // `send` stops at the first error and names the receiver.
//! let error = LoggedIn { user: "mallory" }.send().unwrap_err();
//! assert_eq!(error.receiver_name(), "ban check");
//! assert_eq!(LOGINS.load(Ordering::Relaxed), 1);
//!
//! // `send_robust` calls every receiver and reports each failure.
//! let report = LoggedIn { user: "mallory" }.send_robust();
//! assert_eq!(report.len(), 2);
//! assert_eq!(report.failures().count(), 1);
//! assert_eq!(LOGINS.load(Ordering::Relaxed), 2);
//! ```
//!
//! # Connect at run time
//!
//! ```
//! use signals_core::{signal, ConnectOptions};
//! use std::sync::{Arc, Mutex};
//!
//! #[signal(name = "app.tick")]
//! pub struct Tick { pub value: u64 }
//!
//! let seen = Arc::new(Mutex::new(Vec::new()));
//! let sink = Arc::clone(&seen);
//! let connection = Tick::connect(move |tick: &Tick| sink.lock().unwrap().push(tick.value));
//! assert!(Tick::has_receivers());
//!
//! Tick { value: 1 }.send().unwrap();
//! connection.disconnect(); // or drop it
//! Tick { value: 2 }.send().unwrap();
//! assert_eq!(*seen.lock().unwrap(), [1]);
//!
//! // Order and name are options; the closure may return a `Result`.
//! let named = Tick::connect_with(ConnectOptions::new().order(5).name("limit"), |tick: &Tick| {
//!     if tick.value > 10 { Err("too large") } else { Ok(()) }
//! });
//! assert_eq!(Tick::receivers()[0].name(), "limit");
//! assert!(Tick { value: 11 }.send().is_err());
//! drop(named);
//! ```
//!
//! [`ConnectOptions`] combine an order, a name, a key (Django's
//! `dispatch_uid`: connected once while connected) and a filter (Django's
//! `sender=`), with every connect form: `connect_with`, `connect_async_with`,
//! `connect_weak_with`.
//!
//! ```
//! use signals_core::{signal, ConnectOptions};
//! use std::sync::{Arc, Mutex};
//!
//! #[signal]
//! pub struct Saved<'a> { pub table: &'a str, pub id: u64 }
//!
//! /// Something that lives as long as the program wants it, not the signal.
//! #[derive(Default)]
//! struct SearchIndex { ids: Mutex<Vec<u64>> }
//!
//! let index = Arc::new(SearchIndex::default());
//! let options = || ConnectOptions::new()
//!     .key("search")
//!     .order(10)
//!     .filter(|saved: &Saved| saved.table == "post");
//! // Weak: holds `index` weakly; gone once the last `Arc` of it is.
//! let added = Saved::connect_weak_with(options(), &index, |index: &SearchIndex, saved: &Saved| {
//!     index.ids.lock().unwrap().push(saved.id);
//! });
//! assert!(added);
//! // Setup run twice connects once.
//! assert!(!Saved::connect_weak_with(options(), &index, |_: &SearchIndex, _: &Saved| {}));
//!
//! Saved { table: "post", id: 1 }.send().unwrap();
//! Saved { table: "user", id: 2 }.send().unwrap();
//! assert_eq!(*index.ids.lock().unwrap(), [1]);
//!
//! drop(index);
//! Saved { table: "post", id: 3 }.send().unwrap(); // not called, and removed
//! assert!(!Saved::has_receivers());
//! ```
//!
//! Async signals take async closures, whose future may borrow the signal,
//! when the signal has no lifetimes and the closure captures nothing; a
//! receiver with state copies what it needs, then returns `async move`:
//!
//! ```
//! use signals_core::{signal, ConnectOptions};
//! use std::sync::{Arc, Mutex};
//!
//! #[signal(async)]
//! pub struct Fetched { pub url: String }
//!
//! let stateless = Fetched::connect_async(async |fetched: &Fetched| {
//!     println!("fetched {}", fetched.url);
//! });
//! let log = Arc::new(Mutex::new(Vec::new()));
//! let sink = Arc::clone(&log);
//! let with_state = Fetched::connect_async_with(
//!     ConnectOptions::new().name("log").filter(|f: &Fetched| f.url.starts_with("https")),
//!     move |fetched: &Fetched| {
//!         let (url, sink) = (fetched.url.clone(), Arc::clone(&sink));
//!         async move { sink.lock().unwrap().push(url) }
//!     },
//! );
//! Fetched { url: "https://a".into() }.send_blocking().unwrap();
//! Fetched { url: "http://b".into() }.send_blocking().unwrap();
//! assert_eq!(*log.lock().unwrap(), ["https://a"]);
//! # drop((stateless, with_state));
//! ```
//!
//! # Order
//!
//! Receivers run in ascending `order` (default 0). Among equal orders, static
//! receivers run first, sorted by name (by default the module path and the
//! function name), then run-time receivers in connect order. The order is the
//! same on every build, platform and backend; it is computed once per signal,
//! on its first send.
//!
//! # Receivers in crates nobody calls
//!
//! A crate the final binary never references is not linked, and its
//! receivers silently vanish: this is the classic pitfall of link-time
//! registration. A crate that holds only receivers should be named once from
//! the binary, with one line in `main.rs` (or `lib.rs`):
//!
//! ```ignore
//! signals_core::link!(my_receivers_crate);
//! ```
//!
//! [`link!`] refers to the crate, which makes the linker keep it and every
//! receiver in it.
//!
//! Each integration test (`tests/*.rs`) is a binary of its own: a test that
//! relies on a receivers-only crate needs its own `link!`, even when the
//! package's library already has one.
//!
//! Two ways to make a forgotten `link!` fail instead of passing silently:
//!
//! - At build time, in a binary: `#![deny(unused_crate_dependencies)]` in
//!   `main.rs` rejects any dependency the binary never names, and a
//!   receivers-only crate without `link!` is exactly that. (Integration
//!   tests see every dependency of their package, so there the lint fires
//!   for unrelated crates too.)
//! - In a test suite, one call: a [`Wiring`] check states which signals
//!   must have receivers from which crates, and fails with what is missing
//!   and the `link!` line to add.
//!
//! ```
//! # use signals_core::{receiver, signal};
//! # /// Sent when an order ships.
//! # #[signal] pub struct OrderShipped { pub order: u64 }
//! # #[receiver(signal = OrderShipped)] fn notify(_: &OrderShipped) {}
//! // In a test (tests/wiring.rs, with its own `signals_core::link!(...)`):
//! signals_core::Wiring::new()
//!     .receivers_from::<OrderShipped>(["rust_out"]) // the crates you rely on
//!     .assert();
//! ```
//!
//! # See the wiring
//!
//! [`catalog()`] lists every signal linked into the binary with its
//! receivers: print it as a table, draw it with
//! [`Catalog::to_mermaid`] or [`Catalog::to_dot`], or (feature `serde`)
//! serialize it for other tools.
//!
//! # Cost
//!
//! After a signal's first send, `send` and `send_robust` take no lock and
//! allocate nothing on the heap unless a receiver fails; they are safe to call
//! from any number of threads. (One exception, per thread rather than per
//! send: the first time a thread reads a signal's run-time receivers, the
//! lock-free snapshot may allocate that thread's slot once; it is reused
//! after the thread ends.) A dispatch calls the receivers connected when it
//! starts; a receiver may send signals, connect and disconnect during a
//! dispatch.
//!
//! Connecting or disconnecting a run-time receiver costs O(log n) in the
//! number n of receivers of that signal (the list a dispatch walks is a
//! persistent tree, copied along one path), so a program may hold a hundred
//! thousand connections to one signal.
//!
//! # Limits
//!
//! - `send_blocking` without the `tokio` feature hangs where the calling
//!   thread is the only one that could make a receiver progress (inside a
//!   current-thread tokio runtime, or on the only worker of a multi-thread
//!   one); see [`AsyncSignal::send_blocking`].
//! - Under `panic = "abort"` no panic can be caught: `send_robust` cannot
//!   report a panicking receiver, the process aborts.
//! - Each level of a receiver that sends its own signal takes stack: in a
//!   debug build the stack overflows at about 8,000 levels of `send` (5,900
//!   of `send_robust`) on an 8 MiB main thread and 2,000 (1,400) on a 2 MiB
//!   spawned thread; in release, about four to seven times deeper. Nothing
//!   counts levels for you.
//! - The panic hook runs where a panic happens, before `send_robust` catches
//!   it, so caught panics are printed. signals-core installs no hook; to keep
//!   the panics of chosen sends quiet, install one that asks a flag of yours:
//!
//! ```
//! use std::cell::Cell;
//!
//! thread_local! {
//!     static QUIET: Cell<bool> = const { Cell::new(false) };
//! }
//!
//! /// Runs `send` with the panic hook silenced on this thread.
//! fn quietly<T>(send: impl FnOnce() -> T) -> T {
//!     QUIET.set(true);
//!     let result = send();
//!     QUIET.set(false);
//!     result
//! }
//!
//! let default = std::panic::take_hook();
//! std::panic::set_hook(Box::new(move |info| {
//!     if !QUIET.get() {
//!         default(info)
//!     }
//! }));
//!
//! #[signals_core::signal]
//! pub struct Risky { pub fine: bool }
//! let _c = Risky::connect(|r: &Risky| assert!(r.fine, "caught, and not printed"));
//! let report = quietly(|| Risky { fine: false }.send_robust());
//! assert_eq!(report.failures().count(), 1);
//! # let _ = std::panic::take_hook();
//! ```
//!
//! # Backends
//!
//! Static receivers are collected with `linkme` link sections. On targets
//! linkme does not support (such as wasm), enable the `inventory` feature:
//! the contract and the order are the same.

#![warn(missing_docs)]

mod catalog;
mod connection;
mod dispatch;
mod dispatch_async;
pub mod durable;
mod handler;
mod map;
mod observe;
mod outcome;
mod receiver;
mod registry;
#[cfg(feature = "serde")]
mod serialize;
mod signal;
mod step;
#[cfg(feature = "testing")]
pub mod testing;
mod wiring;

/// Not public API: what generated code calls. The name carries the version
/// (rename it with the workspace version: `signals-macros` names it after
/// its own), so that a macro crate and a runtime of different versions fail
/// to compile with "could not find `__private_X_Y_Z`" rather than
/// misbehave, as thiserror, linkme and serde do.
#[doc(hidden)]
#[path = "private.rs"]
pub mod __private_0_1_0;

pub use catalog::{catalog, Catalog, CatalogEntry};
pub use connection::{ConnectOptions, Connection};
pub use durable::{DurablePayload, DurableSignal};
pub use handler::{AsyncReceiver, Filter, NoFilter};
pub use outcome::{BoxError, Failure, IntoOutcome, Report, Response, Responses, SendError};
pub use receiver::{Location, ReceiverInfo, ReceiverKind};
pub use signal::{AsyncSignal, Signal, SyncSend, SyncSignal};
pub use wiring::{Wiring, WiringError};

/// Defines a signal: a braced struct whose fields are what receivers get.
///
/// ```
/// use signals_core::signal;
///
/// /// Sent when something pings.
/// #[signal]                          // lifetime parameters are allowed
/// pub struct Ping<'a> { pub label: &'a str }
///
/// /// A clock tick.
/// #[signal(name = "app.tick")]       // an explicit `Signal::NAME`
/// pub struct Tick { pub value: u64 }
///
/// /// A user signed up.
/// #[signal(async)]                   // receivers may be `async fn`
/// pub struct SignedUp { pub user: u64 }
///
/// assert_eq!(<Tick as signals_core::Signal>::NAME, "app.tick");
/// Ping { label: "hi" }.send().unwrap();
/// ```
///
/// # Arguments
///
/// - `name = "..."`: the signal's name (default: module path and type
///   name). It must be unique in the binary.
/// - `async`: an async signal. Its receivers may be `async fn`; it is sent
///   with `send_async().await`, `send_robust_async().await`,
///   `send_robust_concurrent().await` or, from synchronous code,
///   `send_blocking()`, and has no synchronous `send`.
/// - `response = T`: receivers answer with a `T` (`T: Send + 'static`): each
///   returns `T` or `Result<T, E>`, `send` returns the answers as
///   [`Responses<T>`] and `send_robust` a [`Report<T>`] whose
///   [`responses()`](Report::responses) are those of the receivers that
///   succeeded (Django's `[(receiver, response)]`).
/// - `crate = path`: where `signals_core` is, for crates that re-export it.
///
/// # What it generates
///
/// The struct unchanged; an implementation of [`Signal`] (and of
/// [`SyncSignal`] or [`AsyncSignal`]); inherent methods, so that nothing
/// needs importing: `send` and `send_robust` (or the async family),
/// `has_receivers`, `receivers`, `connect`, `connect_with`,
/// `connect_filtered`, `connect_weak`, `connect_weak_with` (and
/// `connect_async`, `connect_async_with` on async signals); with the `testing` feature, `record`, `record_all_threads`,
/// `mute`, `mute_all_threads`. It also registers the signal in
/// [`catalog()`], with the first line of its docs and its fields.
///
/// The receivers' registry is reachable from the signal's own path, so
/// `#[receiver(signal = some::path::Ping)]` works from any module or crate.
/// Two signals with the same type name in two crates, or two modules, do not
/// collide.
///
/// # Rules
///
/// Only braced structs; no type or const parameters (each signal is one
/// concrete type). A signal stands at module level: one inside a function
/// body (or a `const` block) is a compile error at its name, "cannot find
/// type `Name` in module `self`", since its default name (module path and
/// type name) could be another signal's, two functions each defining one of
/// the same name. The one exception is a doctest, whose code rustdoc wraps
/// in `fn main`: there signals are accepted. A module that
/// defines a signal should not also glob-import (`use super::*`) another
/// signal of the same name: the two names would be ambiguous for receivers.
///
/// The registry reachable from the signal's path takes the signal's name in
/// its module's values and macros too (linkme finds a slice through one
/// path, as a value and as a macro). So a signal cannot share its name with
/// a function, constant, static or macro of its module: rustc reports "the
/// name `Ping` is defined multiple times" at the signal's name, pointing at
/// the other item, and suggests `Ping as OtherPing`, which does not apply
/// here: rename the signal or the other item. (The `inventory` backend
/// takes no value or macro name, but a crate that compiles only with it
/// breaks under the default backend.) Nor can a signal be named after a
/// value or macro of the prelude (`Some`, `None`, `Ok`, `Err`, `println`,
/// `vec`, ...), which it would hide in its module: those names are a
/// compile error that says so. `CamelCase` signal names, the convention for
/// types, never meet this.
#[doc(inline)]
pub use signals_macros::signal;

/// Registers a function as a receiver of a signal, at link time.
///
/// ```
/// use signals_core::{receiver, signal};
///
/// /// Sent when something pings.
/// #[signal]
/// pub struct Ping<'a> { pub label: &'a str }
///
/// #[receiver(signal = Ping)]                          // returns ()
/// fn log_ping(ping: &Ping) {
///     println!("ping {}", ping.label);
/// }
///
/// #[receiver(signal = crate::Ping, order = -5, name = "early")]
/// fn early(ping: &Ping<'_>) -> Result<(), String> {   // or Result<(), E>
///     if ping.label.is_empty() { Err("empty label".into()) } else { Ok(()) }
/// }
///
/// fn is_loud(ping: &Ping) -> bool { ping.label.ends_with('!') }
///
/// #[receiver(signal = Ping, filter = is_loud)]        // runs only when is_loud
/// fn on_loud(ping: &Ping) {}
///
/// fn main() {
///     let names: Vec<String> = Ping::receivers().iter().map(|r| r.name().to_owned()).collect();
///     assert_eq!(names, ["early", "rust_out::log_ping", "rust_out::on_loud"]);
///     assert!(Ping { label: "" }.send().is_err());
/// }
/// ```
///
/// # Arguments
///
/// - `signal = Path` (required, or `signals`): the signal, by any path or
///   `use` alias, without generic arguments.
/// - `signals = [A, B, ...]`: on a function generic over exactly one type
///   parameter (`fn audit<S: Signal + Debug>(event: &S)`), registers it once
///   per listed signal, each with the same order, name and filter
///   (Django's `@receiver([a, b])`). A listed signal that does not meet the
///   function's bounds is a compile error at its path.
///
///   ```
///   use signals_core::{receiver, signal, Signal};
///
///   /// Sent when a user logs in.
///   #[signal]
///   pub struct LoggedIn { pub user: u64 }
///
///   /// Sent when a user logs out.
///   #[signal]
///   pub struct LoggedOut { pub user: u64 }
///
///   #[receiver(signals = [LoggedIn, LoggedOut], order = -100)]
///   fn audit<S: Signal>(_event: &S) {
///       println!("{}", S::NAME);
///   }
///
///   assert_eq!(LoggedIn::receivers().len(), 1);
///   assert_eq!(LoggedOut::receivers()[0].order(), -100);
///   ```
/// - `order = N`: an `i32`; lower runs first (default 0). Among equal orders,
///   static receivers run sorted by name.
/// - `name = "..."`: the name reports, errors and introspection show
///   (default: module path and function name).
/// - `filter = path`: a `fn(&Signal) -> bool`; the receiver runs only for the
///   sends it accepts, and is not counted as called otherwise.
/// - `crate = path`: where `signals_core` is, for crates that re-export it.
///
/// # Rules
///
/// A free function (not a method, not `unsafe`, generic only with
/// `signals = [...]`) with exactly one parameter, `&Signal`, returning `()`
/// or `Result<(), E>` where `E` converts into `Box<dyn Error + Send + Sync>`
/// (for a signal declared with `response = T`: `T` or `Result<T, E>`). It may be `async fn` only
/// for a `#[signal(async)]` signal. Each mistake is a compile error at the
/// offending token.
///
/// A crate that only holds receivers must be named by the binary with
/// [`link!`], or the linker drops it with its receivers.
///
/// linkme places each record with `#[link_section]`, which rustc counts as
/// unsafe code written in your crate: the generated items allow it locally,
/// so `#![deny(unsafe_code)]` works, but `#![forbid(unsafe_code)]` cannot
/// be overridden and rejects receivers under the linkme backend.
#[doc(inline)]
pub use signals_macros::receiver;

/// The registry backend compiled in: `"linkme"`, or `"inventory"` with the
/// `inventory` feature.
pub const BACKEND: &str = if cfg!(feature = "inventory") {
    "inventory"
} else {
    "linkme"
};

/// Makes sure a crate that only holds receivers is linked into the binary.
///
/// The linker drops a crate the program never refers to, and with it the
/// receivers it registers. One line in the binary keeps it:
///
/// ```ignore
/// signals_core::link!(my_receivers_crate);
/// ```
///
/// Several crates may be named at once: `link!(audit, mailer);`. It may stand
/// at module level or inside a function.
///
/// An integration test (`tests/*.rs`) is a binary of its own and needs its
/// own `link!`. A [`Wiring`] check in the test suite fails, naming this
/// line, when one is missing; in a binary, `#![deny(unused_crate_dependencies)]`
/// makes it a compile error.
#[macro_export]
macro_rules! link {
    ($($krate:ident),+ $(,)?) => {
        $(
            const _: () = {
                // `extern crate` (rather than a `use`) makes the crate a link
                // dependency of this one even if nothing else names it.
                #[allow(unused_extern_crates)]
                extern crate $krate as _;
            };
        )+
    };
}

/// Keeps items only on the targets linkme supports (`supported:`) or only on
/// the others (`unsupported:`), when the `inventory` feature is off. The
/// target list lives here alone.
macro_rules! linkme_targets {
    (supported: $($item:item)*) => { $crate::linkme_targets!(@cfg any $($item)*); };
    (unsupported: $($item:item)*) => { $crate::linkme_targets!(@cfg not $($item)*); };
    (@cfg $op:ident $($item:item)*) => {
        $(
            #[cfg(all(
                not(feature = "inventory"),
                $op(any(
                    target_os = "none",
                    target_os = "linux",
                    target_os = "macos",
                    target_os = "ios",
                    target_os = "tvos",
                    target_os = "windows",
                    target_os = "uefi",
                    target_os = "android",
                    target_os = "fuchsia",
                    target_os = "illumos",
                    target_os = "freebsd",
                    target_os = "openbsd",
                    target_os = "psp",
                ))
            ))]
            $item
        )*
    };
}
pub(crate) use linkme_targets;

linkme_targets! {
    unsupported:
    compile_error!(
        "signals-core: linkme link sections are not supported on this target; \
         enable the `inventory` feature of signals-core (`features = [\"inventory\"]`)"
    );
}
