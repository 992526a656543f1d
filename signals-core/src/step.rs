//! What calling one receiver produced, in a shape the dispatch loop can test
//! with one instruction.
//!
//! A receiver's shim returns a [`Step`]: two words, returned in registers.
//! The common case, a receiver that ran and succeeded, is a null pointer, so
//! the loop compares one register with zero and moves on, as a hand-written
//! loop over `fn(&T)` would. Everything else (a filter that declined, an
//! error, an async receiver's future) is a boxed [`Unresolved`], resolved out
//! of line. A skip costs no allocation: its box is zero-sized. A receiver of a
//! `#[signal(response = T)]` answers with a box holding its value, resolved
//! out of line too: only signals that declare a response pay for it.

use std::future::Future;
use std::pin::Pin;

use crate::outcome::{Answer, BoxError, Erased};

/// What a receiver produced once it finished: its answer, if its signal
/// declares a response, or its error.
pub(crate) type Outcome = Result<Option<Erased>, BoxError>;

/// A boxed `Send` future that succeeds or fails (a durable receiver's job).
/// Not public API.
#[doc(hidden)]
pub type BoxFuture<'b> = Pin<Box<dyn Future<Output = Result<(), BoxError>> + Send + 'b>>;

/// The future of an async receiver: its answer or its error.
pub(crate) type StepFuture<'b> = Pin<Box<dyn Future<Output = Outcome> + Send + 'b>>;

/// What calling one receiver produced. Not public API: the code the macros
/// generate builds it with [`DONE`](Step::DONE), [`done`](Step::done),
/// [`skipped`](Step::skipped) and [`pending`](Step::pending).
#[doc(hidden)]
#[must_use]
pub struct Step<'b>(Option<Box<dyn Unresolved<'b>>>);

impl<'b> Step<'b> {
    /// A synchronous receiver that returns `()` ran.
    pub const DONE: Self = Step(None);

    /// A synchronous receiver ran; `outcome` is what it returned.
    #[inline]
    pub fn done(outcome: Result<(), BoxError>) -> Self {
        match outcome {
            Ok(()) => Step(None),
            Err(error) => Step::failed(error),
        }
    }

    /// A synchronous receiver of a signal with a response ran; `outcome` is
    /// its answer or its error.
    #[inline]
    pub fn answered<T: Send + 'static>(outcome: Result<T, BoxError>) -> Self {
        match outcome {
            Ok(value) => Step(Some(Box::new(Answer(value)))),
            Err(error) => Step::failed(error),
        }
    }

    /// The receiver's filter declined this send.
    #[inline(always)]
    pub fn skipped() -> Self {
        Step(Some(Box::new(Skipped)))
    }

    /// An async receiver returned its future (boxed once, here).
    #[inline(always)]
    pub fn pending<F>(future: F) -> Self
    where
        F: Future<Output = Outcome> + Send + 'b,
    {
        Step(Some(Box::new(future)))
    }

    #[cold]
    #[inline(never)]
    fn failed(error: BoxError) -> Self {
        Step(Some(Box::new(Failed(error))))
    }

    /// True when the receiver ran and succeeded: the only test the send loops
    /// make on their fast path.
    #[inline(always)]
    pub(crate) fn is_done(&self) -> bool {
        self.0.is_none()
    }

    /// What happened, in full.
    #[inline]
    pub(crate) fn resolve(self) -> Resolved<'b> {
        match self.0 {
            None => Resolved::Done(Ok(None)),
            Some(unresolved) => unresolved.resolve(),
        }
    }
}

/// A [`Step`], resolved.
pub(crate) enum Resolved<'b> {
    /// A synchronous receiver ran.
    Done(Outcome),
    /// The receiver's filter declined this send.
    Skipped,
    /// An async receiver returned its future.
    Pending(StepFuture<'b>),
}

/// What a [`Step`] boxes: anything but a receiver that ran and succeeded,
/// resolved out of line into a [`Resolved`].
trait Unresolved<'b>: Send + 'b {
    fn resolve(self: Box<Self>) -> Resolved<'b>;
}

struct Skipped;

impl<'b> Unresolved<'b> for Skipped {
    fn resolve(self: Box<Self>) -> Resolved<'b> {
        Resolved::Skipped
    }
}

struct Failed(BoxError);

impl<'b> Unresolved<'b> for Failed {
    fn resolve(self: Box<Self>) -> Resolved<'b> {
        Resolved::Done(Err(self.0))
    }
}

impl<'b, T: Send + 'static> Unresolved<'b> for Answer<T> {
    fn resolve(self: Box<Self>) -> Resolved<'b> {
        Resolved::Done(Ok(Some(self)))
    }
}

// A future is its own `Unresolved`, so that its one box becomes the `StepFuture`
// without being moved into another.
impl<'b, F> Unresolved<'b> for F
where
    F: Future<Output = Outcome> + Send + 'b,
{
    fn resolve(self: Box<Self>) -> Resolved<'b> {
        Resolved::Pending(Box::into_pin(self))
    }
}
