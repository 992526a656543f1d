//! Run-time receivers as the registry keeps them: a closure wrapped in a
//! type of this crate that implements [`Call`] for the signal.
//!
//! The generated `connect*` methods are one line each: they wrap the user's
//! closure in one of these types and let the compiler coerce it to the
//! signal's `dyn Call`. Had each method wrapped the closure in a closure of
//! its own, every signal would type-check and borrow-check those closures
//! again, in the user's crate; these impls are checked once, here.

use std::future::Future;
use std::marker::PhantomData;
use std::sync::{Arc, OnceLock, Weak};

use crate::connection::Registration;
use crate::outcome::{outcome_of, step_of, Collect, IntoOutcome};
use crate::step::Step;

/// A run-time receiver of signal `S`. The run-time handler type of a signal
/// is `dyn for<'l> Call<Sig<'l>> + Send + Sync`. Not public API.
#[doc(hidden)]
pub trait Call<S: ?Sized>: Liveness + Send + Sync {
    /// Runs the receiver for one send.
    fn call<'b>(&self, signal: &'b S) -> Step<'b>;

    /// Whether it runs only for the sends a filter accepts; introspection
    /// shows it.
    fn is_filtered(&self) -> bool {
        false
    }
}

/// What a receiver that can go away on its own (a weak one) needs: whether
/// it is still alive, and where it is registered, so that it can disconnect
/// itself. The same for every signal. Not public API.
#[doc(hidden)]
pub trait Liveness {
    /// False once the receiver can no longer run (its weak target is gone).
    #[inline(always)]
    fn is_live(&self) -> bool {
        true
    }

    /// Told once, before it is published, where the receiver is registered.
    #[inline(always)]
    fn bind(&self, _registration: Registration) {}
}

/// A filter of run-time receivers of `S`: a closure `Fn(&S) -> bool`, or
/// [`NoFilter`]. Set with [`ConnectOptions::filter`](crate::ConnectOptions::filter).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a filter of `{S}`",
    label = "expected a closure `|event: &{S}| -> bool`",
    note = "a filter takes a reference to the signal and returns `bool`; write the parameter's type: `.filter(|event: &MySignal| ...)`"
)]
pub trait Filter<S: ?Sized>: Send + Sync {
    /// Whether the receiver runs for this send.
    fn accepts(&self, signal: &S) -> bool;

    /// False for [`NoFilter`]: introspection shows filtered receivers.
    #[doc(hidden)]
    const FILTERS: bool = true;
}

/// The filter of options that set none: every send is accepted.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoFilter;

impl<S: ?Sized> Filter<S> for NoFilter {
    #[inline(always)]
    fn accepts(&self, _signal: &S) -> bool {
        true
    }

    const FILTERS: bool = false;
}

impl<S: ?Sized, P: Fn(&S) -> bool + Send + Sync> Filter<S> for P {
    #[inline(always)]
    fn accepts(&self, signal: &S) -> bool {
        self(signal)
    }
}

/// A closure returning the signal's response (`()` for a signal without one)
/// or a `Result` of it: `S::connect`, `S::connect_with`.
///
/// `O` here and in the other receiver types is the signal's
/// `Signal::Output`, named as a parameter rather than reached through the
/// signal, whose `Signal` impl may hold for fewer lifetimes than `dyn Call`
/// ranges over.
#[doc(hidden)]
pub struct Plain<F, O = ()> {
    receiver: F,
    output: PhantomData<fn() -> O>,
}

impl<F, O> Plain<F, O> {
    #[inline]
    pub fn new(receiver: F) -> Self {
        Plain {
            receiver,
            output: PhantomData,
        }
    }
}

impl<F, O> Liveness for Plain<F, O> {}

impl<S: ?Sized, F, R, O> Call<S> for Plain<F, O>
where
    F: Fn(&S) -> R + Send + Sync,
    R: IntoOutcome<O::Response>,
    O: Collect,
{
    #[inline]
    fn call<'b>(&self, signal: &'b S) -> Step<'b> {
        step_of::<O, R>((self.receiver)(signal))
    }
}

/// A receiver `C` that runs only for the sends `filter` accepts (with
/// [`NoFilter`], for every send, at no cost): every `connect*` form.
#[doc(hidden)]
pub struct Filtered<P, C> {
    filter: P,
    receiver: C,
}

impl<P, C> Filtered<P, C> {
    #[inline]
    pub fn new(filter: P, receiver: C) -> Self {
        Filtered { filter, receiver }
    }
}

impl<P, C: Liveness> Liveness for Filtered<P, C> {
    #[inline(always)]
    fn is_live(&self) -> bool {
        self.receiver.is_live()
    }

    fn bind(&self, registration: Registration) {
        self.receiver.bind(registration);
    }
}

impl<S: ?Sized, P, C> Call<S> for Filtered<P, C>
where
    P: Filter<S>,
    C: Call<S>,
{
    #[inline]
    fn call<'b>(&self, signal: &'b S) -> Step<'b> {
        // A receiver that is gone runs anyway: it disconnects itself.
        if self.filter.accepts(signal) || !self.receiver.is_live() {
            self.receiver.call(signal)
        } else {
            Step::skipped()
        }
    }

    fn is_filtered(&self) -> bool {
        P::FILTERS
    }
}

/// An async receiver: a closure returning a `Send` future, which may borrow
/// the signal (an `async |event: &Sig| ...` closure does). Named in the
/// bounds of `S::connect_async`.
///
/// Implemented for every `Fn(&S) -> Fut` whose future is `Send`, lives as
/// long as the borrow of the signal, and resolves to the signal's response
/// `T` (`()` for a signal without one) or `Result<T, E>`.
#[diagnostic::on_unimplemented(
    message = "this closure is not an async receiver of `{S}`",
    label = "its future must be `Send` and resolve to `{T}` or `Result<{T}, E>`",
    note = "if the future holds something that is not `Send` (an `Rc`, a `RefCell` borrow, a signal with such fields), copy what you need from the signal first, then return `async move {{ ... }}`: `|event: &MySignal| {{ let id = event.id; async move {{ use_it(id).await }} }}`"
)]
pub trait AsyncReceiver<'b, S: ?Sized + 'b, T = ()>:
    Fn(&'b S) -> <Self as AsyncReceiver<'b, S, T>>::Future
{
    /// The receiver's future.
    type Future: Future<Output: IntoOutcome<T>> + Send + 'b;
}

impl<'b, S: ?Sized + 'b, T, F, Fut> AsyncReceiver<'b, S, T> for F
where
    F: Fn(&'b S) -> Fut,
    Fut: Future<Output: IntoOutcome<T>> + Send + 'b,
{
    type Future = Fut;
}

/// A closure returning a `Send` future, which may borrow the signal:
/// `S::connect_async` of a signal without lifetimes.
#[doc(hidden)]
pub struct Async<F, O = ()> {
    receiver: F,
    output: PhantomData<fn() -> O>,
}

impl<F, O> Async<F, O> {
    #[inline]
    pub fn new(receiver: F) -> Self {
        Async {
            receiver,
            output: PhantomData,
        }
    }
}

impl<F, O> Liveness for Async<F, O> {}

impl<S: ?Sized, F, O> Call<S> for Async<F, O>
where
    F: for<'b> AsyncReceiver<'b, S, O::Response> + Send + Sync,
    O: Collect,
{
    fn call<'b>(&self, signal: &'b S) -> Step<'b> {
        let future = (self.receiver)(signal);
        Step::pending(async move { outcome_of::<O, _>(future.await) })
    }
}

/// A closure returning a `Send + 'static` future: `S::connect_async` of a
/// signal with lifetimes.
#[doc(hidden)]
pub struct AsyncStatic<F, O = ()> {
    receiver: F,
    output: PhantomData<fn() -> O>,
}

impl<F, O> AsyncStatic<F, O> {
    #[inline]
    pub fn new(receiver: F) -> Self {
        AsyncStatic {
            receiver,
            output: PhantomData,
        }
    }
}

impl<F, O> Liveness for AsyncStatic<F, O> {}

impl<S: ?Sized, F, Fut, O> Call<S> for AsyncStatic<F, O>
where
    F: Fn(&S) -> Fut + Send + Sync,
    Fut: Future + Send + 'static,
    Fut::Output: IntoOutcome<O::Response>,
    O: Collect,
{
    fn call<'b>(&self, signal: &'b S) -> Step<'b> {
        let future = (self.receiver)(signal);
        Step::pending(async move { outcome_of::<O, Fut::Output>(future.await) })
    }
}

/// A receiver that holds its target weakly: `S::connect_weak`. Once the
/// target's last `Arc` is dropped, the next send does not call it and it
/// disconnects itself.
#[doc(hidden)]
pub struct Weakly<T, F, O = ()> {
    target: Weak<T>,
    receiver: F,
    registration: OnceLock<Registration>,
    output: PhantomData<fn() -> O>,
}

impl<T, F, O> Weakly<T, F, O> {
    #[inline]
    pub fn new(target: &Arc<T>, receiver: F) -> Self {
        Weakly {
            target: Arc::downgrade(target),
            receiver,
            registration: OnceLock::new(),
            output: PhantomData,
        }
    }
}

impl<T, F, O> Liveness for Weakly<T, F, O> {
    #[inline]
    fn is_live(&self) -> bool {
        self.target.strong_count() != 0
    }

    fn bind(&self, registration: Registration) {
        // Bound once, by the registry, before any send can see it.
        let _ = self.registration.set(registration);
    }
}

impl<S: ?Sized, T, F, R, O> Call<S> for Weakly<T, F, O>
where
    T: Send + Sync,
    F: Fn(&T, &S) -> R + Send + Sync,
    R: IntoOutcome<O::Response>,
    O: Collect,
{
    #[inline]
    fn call<'b>(&self, signal: &'b S) -> Step<'b> {
        match self.target.upgrade() {
            Some(target) => step_of::<O, R>((self.receiver)(&target, signal)),
            None => {
                // Disconnecting takes the registry's writer lock, which no
                // dispatch holds; this dispatch's snapshot keeps the closure
                // alive until it ends (the registry's drop-after-unlock rule).
                if let Some(registration) = self.registration.get() {
                    registration.disconnect();
                }
                Step::skipped()
            }
        }
    }
}

/// A projection of each send pushed into a recording's sink (feature
/// `testing`): `S::record`. It never counts as a receiver.
#[cfg(feature = "testing")]
#[doc(hidden)]
pub struct Project<F, T> {
    projection: F,
    sink: std::sync::Arc<std::sync::Mutex<Vec<T>>>,
}

#[cfg(feature = "testing")]
impl<F, T> Project<F, T> {
    #[inline]
    pub fn new(projection: F) -> Self {
        Project {
            projection,
            sink: std::sync::Arc::default(),
        }
    }

    /// The values it pushes, shared with the recording.
    pub fn sink(&self) -> std::sync::Arc<std::sync::Mutex<Vec<T>>> {
        std::sync::Arc::clone(&self.sink)
    }
}

#[cfg(feature = "testing")]
impl<F, T> Liveness for Project<F, T> {}

#[cfg(feature = "testing")]
impl<S: ?Sized, F, T> Call<S> for Project<F, T>
where
    F: Fn(&S) -> T + Send + Sync,
    T: Send,
{
    fn call<'b>(&self, signal: &'b S) -> Step<'b> {
        let value = (self.projection)(signal);
        self.sink
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(value);
        Step::skipped()
    }
}
