//! Run-time receivers as the registry keeps them: a closure wrapped in a
//! type of this crate that implements [`Call`] for the signal.
//!
//! The generated `connect*` methods are one line each: they wrap the user's
//! closure in one of these types and let the compiler coerce it to the
//! signal's `dyn Call`. Had each method wrapped the closure in a closure of
//! its own, every signal would type-check and borrow-check those closures
//! again, in the user's crate; these impls are checked once, here.

use std::future::Future;

use crate::outcome::IntoOutcome;
use crate::step::Step;

/// A run-time receiver of signal `S`. The run-time handler type of a signal
/// is `dyn for<'l> Call<Sig<'l>> + Send + Sync`. Not public API.
#[doc(hidden)]
pub trait Call<S: ?Sized>: Send + Sync {
    /// Runs the receiver for one send.
    fn call<'b>(&self, signal: &'b S) -> Step<'b>;

    /// Whether it runs only for the sends a filter accepts; introspection
    /// shows it.
    fn is_filtered(&self) -> bool {
        false
    }
}

/// A closure returning `()` or `Result<(), E>`: `S::connect`,
/// `S::connect_with`.
#[doc(hidden)]
pub struct Plain<F> {
    receiver: F,
}

impl<F> Plain<F> {
    #[inline]
    pub fn new(receiver: F) -> Self {
        Plain { receiver }
    }
}

impl<S: ?Sized, F, R> Call<S> for Plain<F>
where
    F: Fn(&S) -> R + Send + Sync,
    R: IntoOutcome,
{
    #[inline]
    fn call<'b>(&self, signal: &'b S) -> Step<'b> {
        Step::done((self.receiver)(signal).into_outcome())
    }
}

/// A closure that runs only for the sends `filter` accepts:
/// `S::connect_filtered`.
#[doc(hidden)]
pub struct Filtered<P, F> {
    filter: P,
    receiver: Plain<F>,
}

impl<P, F> Filtered<P, F> {
    #[inline]
    pub fn new(filter: P, receiver: F) -> Self {
        Filtered {
            filter,
            receiver: Plain::new(receiver),
        }
    }
}

impl<S: ?Sized, P, F, R> Call<S> for Filtered<P, F>
where
    P: Fn(&S) -> bool + Send + Sync,
    F: Fn(&S) -> R + Send + Sync,
    R: IntoOutcome,
{
    #[inline]
    fn call<'b>(&self, signal: &'b S) -> Step<'b> {
        if (self.filter)(signal) {
            self.receiver.call(signal)
        } else {
            Step::skipped()
        }
    }

    fn is_filtered(&self) -> bool {
        true
    }
}

/// A closure returning a `Send + 'static` future: `S::connect_async`,
/// `S::connect_async_with`.
#[doc(hidden)]
pub struct Async<F> {
    receiver: F,
}

impl<F> Async<F> {
    #[inline]
    pub fn new(receiver: F) -> Self {
        Async { receiver }
    }
}

impl<S: ?Sized, F, Fut> Call<S> for Async<F>
where
    F: Fn(&S) -> Fut + Send + Sync,
    Fut: Future + Send + 'static,
    Fut::Output: IntoOutcome,
{
    fn call<'b>(&self, signal: &'b S) -> Step<'b> {
        let future = (self.receiver)(signal);
        Step::pending(async move { future.await.into_outcome() })
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
