//! The `Signal` trait: what generic code needs to know about a signal.

use std::future::Future;

use crate::dispatch::Sends;
use crate::handler::Call;
use crate::outcome::{BoxError, Collect, Report, SendError};
use crate::receiver::{ReceiverInfo, StaticReceiver};
use crate::registry::Registry;
use crate::step::Step;

/// A signal: a struct that `#[signal]` turned into something receivers can
/// listen to.
///
/// Everything here is also an inherent item of each signal, so calling
/// `Ping::receivers()` or `ping.send()` needs no import; the trait is for code
/// that is generic over signals.
///
/// ```
/// use signals_core::{signal, Signal};
///
/// /// A value changed.
/// #[signal(name = "docs.changed")]
/// pub struct Changed { pub value: u64 }
///
/// fn describe<S: Signal>() -> String {
///     format!("{} ({} receivers)", S::NAME, S::receivers().len())
/// }
/// assert_eq!(describe::<Changed>(), "docs.changed (0 receivers)");
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a signal",
    label = "not a signal",
    note = "declare it with `#[signal]` on a braced struct"
)]
pub trait Signal: Sized {
    /// The signal's name: its module path and type name unless
    /// `#[signal(name = "...")]` sets one. Unique in a binary.
    const NAME: &'static str;

    /// Whether the signal was declared `#[signal(async)]`.
    const IS_ASYNC: bool;

    /// Whether the signal was declared `#[signal(durable)]`: its sends also
    /// write one job per durable receiver (see [`durable`](crate::durable)).
    const IS_DURABLE: bool = false;

    /// What each receiver answers: `()`, unless the signal is declared
    /// `#[signal(response = T)]`.
    type Response: Send + 'static;

    /// What a successful send returns: `()`, or
    /// [`Responses<T>`](crate::Responses) for `#[signal(response = T)]`.
    type Output: Collect<Response = Self::Response>;

    /// The static handler type: `for<'b> fn(&'b Self) -> Step<'b>`.
    #[doc(hidden)]
    type __Handler: Copy + Send + Sync + 'static;
    /// The run-time handler type: `dyn Call<Self>`, higher-ranked over the
    /// signal's lifetimes.
    #[doc(hidden)]
    type __Dyn: ?Sized + Call<Self> + Send + Sync + 'static;
    /// The inventory backend's element type.
    #[doc(hidden)]
    type __Entry: 'static;
    /// An empty element, which a receiver fills in with `.new(record)`: a
    /// method call, not `<Self::__Entry>::new`, so that for a path that is
    /// not a signal rustc reports only that, not a follow-on error about a
    /// type it cannot name.
    #[doc(hidden)]
    const __ENTRY: Self::__Entry;

    /// The synchronous sends that walk the run-time list, as function
    /// pointers: `(send, send_robust)`, or `()` for an async signal. The
    /// first run-time connect stores them ([`__sends`](Self::__sends)), and
    /// `send` reaches them only through the registry, so that a signal never
    /// connected at run time compiles none of that code.
    #[doc(hidden)]
    type __Sends: Sends<Self>;
    /// `__Sends`, filled in: compiled by the first run-time connect only.
    #[doc(hidden)]
    fn __sends() -> Self::__Sends;

    #[doc(hidden)]
    fn __registry() -> &'static Registry;
    /// The static receivers' records, as the backend holds them: linkme's
    /// slice itself, or what inventory gathered once.
    #[doc(hidden)]
    fn __records() -> &'static [StaticReceiver<Self::__Handler>];
    #[doc(hidden)]
    fn __call<'b>(handler: Self::__Handler, signal: &'b Self) -> Step<'b>;

    /// The signal as a job's payload (JSON); only durable signals have one.
    #[doc(hidden)]
    fn __encode(&self) -> Result<Vec<u8>, BoxError> {
        Err(format!("signal `{}` is not durable", Self::NAME).into())
    }

    /// True if at least one receiver (static or connected) would be called.
    fn has_receivers() -> bool {
        Self::__registry().has_receivers(Self::__records().len())
    }

    /// Every receiver, in the order a send calls them; a durable signal's
    /// durable receivers come last, since a send enqueues their jobs after
    /// the inline receivers ran ([`ReceiverInfo::is_durable`]).
    fn receivers() -> Vec<ReceiverInfo> {
        let mut infos = Self::__registry().infos(Self::__records());
        if Self::IS_DURABLE {
            crate::durable::extend_infos(Self::NAME, &mut infos);
        }
        infos
    }
}

/// A signal sent synchronously: every `#[signal]` without `async`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is an async signal: it has no synchronous `send`",
    label = "declared with `#[signal(async)]`",
    note = "use `.send_async().await` or `.send_robust_async().await`; from synchronous code, `.send_blocking()`"
)]
pub trait SyncSignal: Signal {
    /// Calls the receivers in order and stops at the first `Err`, which it
    /// returns; a panicking receiver's panic propagates (Django's `send`).
    ///
    /// A receiver disconnected during the send still runs in it; if the send
    /// held the last reference to its closure, the closure is dropped when
    /// the send ends, and a panic in that drop propagates from `send` after
    /// every receiver ran, like a receiver's panic. (While `send` is already
    /// unwinding from a receiver's panic, that panic goes on and the drop's
    /// is contained, rather than abort the process.)
    fn send(&self) -> Result<Self::Output, SendError> {
        crate::dispatch::send(self)
    }

    /// Calls every receiver, catching errors and panics (Django's
    /// `send_robust`).
    ///
    /// It never unwinds: a panic in a receiver, in a filter of
    /// `connect_filtered`, or in the drop of a closure that a receiver
    /// disconnected during this send (dropped at its end when the send held
    /// the last reference) is a [`Failure`](crate::Failure) in the report,
    /// named after its receiver. For a durable signal, so is a panic while
    /// encoding it or storing its jobs (the installed queue, the futures it
    /// makes, started or not): a failure of each durable receiver.
    ///
    /// Two limits of Rust's panics apply. Under `panic = "abort"` no panic
    /// can be caught: a panicking receiver aborts the process. And the panic
    /// hook runs where the panic happens, before it is caught, so a caught
    /// panic is still printed by the default hook (the crate docs show a hook
    /// that keeps chosen sends quiet).
    fn send_robust(&self) -> Report<Self::Response> {
        crate::dispatch::send_robust(self)
    }
}

/// A signal declared `#[signal(async)]`: its receivers may be `async fn`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an async signal, so its receivers cannot be `async`",
    label = "an async receiver needs an async signal",
    note = "declare the signal with `#[signal(async)]` to give it async receivers, or make the receiver a plain `fn`"
)]
pub trait AsyncSignal: Signal {
    /// Calls the receivers in order, awaiting async ones, and stops at the
    /// first `Err`, which it returns; a panic propagates.
    ///
    /// The future is `Send` when the signal is `Sync`. Dropping it part way
    /// leaves nothing behind: later sends work as usual.
    fn send_async(&self) -> impl Future<Output = Result<Self::Output, SendError>> {
        crate::dispatch_async::send_async(self)
    }

    /// Calls every receiver in order, awaiting async ones one at a time,
    /// catching errors and panics: in a receiver, a filter, a receiver's
    /// future (polled or dropped), a closure dropped at the end of the
    /// send, and a durable signal's encoding and storing of its jobs, as
    /// [`send_robust`](SyncSignal::send_robust) does. It never
    /// unwinds (unless `panic = "abort"`, where nothing can be caught).
    fn send_robust_async(&self) -> impl Future<Output = Report<Self::Response>> {
        crate::dispatch_async::send_robust_async(self)
    }

    /// Like [`send_robust_async`](AsyncSignal::send_robust_async), but polls
    /// all async receivers together: synchronous receivers run first, in
    /// order, as each async receiver's future is created; then the futures
    /// make progress concurrently. Failures are still reported in receiver
    /// order.
    fn send_robust_concurrent(&self) -> impl Future<Output = Report<Self::Response>> {
        crate::dispatch_async::send_robust_concurrent(self)
    }

    /// Sends from synchronous code: polls [`send_async`](AsyncSignal::send_async)
    /// to completion, blocking the calling thread.
    ///
    /// Without the `tokio` feature it polls on the calling thread and parks
    /// it while a receiver waits. That **hangs** when the calling thread is
    /// the only one that could make the receiver progress: inside a
    /// current-thread tokio runtime, or on the only worker of a multi-thread
    /// runtime, a receiver that awaits a tokio timer, a socket or another task
    /// of that runtime never completes, and neither does the send. Outside
    /// any runtime, such a receiver panics (tokio has no reactor there).
    /// Inside async code use `.send_async().await`.
    ///
    /// With the `tokio` feature, inside a tokio runtime: on a multi-thread
    /// runtime it runs the send on the runtime through
    /// `tokio::task::block_in_place` (the worker's other tasks move to
    /// another thread, so it works even with one worker); on a
    /// current-thread runtime it panics with a message that says to use
    /// `.send_async().await`, rather than hang.
    fn send_blocking(&self) -> Result<Self::Output, SendError> {
        crate::dispatch_async::block_on(self.send_async())
    }

    /// [`send_robust_async`](AsyncSignal::send_robust_async) from synchronous
    /// code, with the caveats of [`send_blocking`](AsyncSignal::send_blocking).
    fn send_robust_blocking(&self) -> Report<Self::Response> {
        crate::dispatch_async::block_on(self.send_robust_async())
    }
}

/// Implemented by references to synchronous signals: the bound of the
/// generated `send` and `send_robust`, so that calling them on a
/// `#[signal(async)]` signal fails to compile at the call, with a message
/// that names the async sends instead. There is nothing to implement by hand.
///
/// ```compile_fail
/// use signals_core::signal;
///
/// /// Sent when a file is fetched.
/// #[signal(async)]
/// pub struct Fetched {}
///
/// // error: `&Fetched` is a reference to an async signal: it has no synchronous `send`
/// let _ = Fetched {}.send();
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is a reference to an async signal: it has no synchronous `send`",
    label = "this signal is declared with `#[signal(async)]`",
    note = "use `.send_async().await` (or `.send_robust_async().await`); from synchronous code, `.send_blocking()`"
)]
pub trait SyncSend {}

// Not recommended in errors: rustc would otherwise point at this impl and
// at `SyncSignal`, burying the message above.
#[diagnostic::do_not_recommend]
impl<S: SyncSignal> SyncSend for &S {}
