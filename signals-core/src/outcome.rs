//! What a receiver returns, and the errors and reports a send gives back.

use std::any::Any;
use std::error::Error;
use std::fmt;

use crate::receiver::ReceiverName;

/// The error type a failing receiver's error is boxed into.
pub type BoxError = Box<dyn Error + Send + Sync + 'static>;

/// What a receiver may return: `()` or `Result<(), E>` where `E` converts
/// into a boxed error (every `E: std::error::Error + Send + Sync + 'static`,
/// and also `String`, `&'static str` and `Box<dyn Error + Send + Sync>`).
#[diagnostic::on_unimplemented(
    message = "a receiver must return `()` or `Result<(), E>`, not `{Self}`",
    label = "this return type is not allowed for a receiver",
    note = "`E` must implement `std::error::Error + Send + Sync + 'static` (or convert into `Box<dyn Error + Send + Sync>`)"
)]
pub trait IntoOutcome {
    #[doc(hidden)]
    fn into_outcome(self) -> Result<(), BoxError>;
}

impl IntoOutcome for () {
    #[inline(always)]
    fn into_outcome(self) -> Result<(), BoxError> {
        Ok(())
    }
}

impl<E: Into<BoxError>> IntoOutcome for Result<(), E> {
    #[inline(always)]
    fn into_outcome(self) -> Result<(), BoxError> {
        self.map_err(Into::into)
    }
}

/// The error [`send`](crate::Signal) returns: the first receiver that
/// returned `Err`, with that error as [`source()`](Error::source).
pub struct SendError {
    signal: &'static str,
    receiver: ReceiverName,
    error: BoxError,
}

impl SendError {
    pub(crate) fn new(signal: &'static str, receiver: ReceiverName, error: BoxError) -> Self {
        SendError {
            signal,
            receiver,
            error,
        }
    }

    /// The name of the receiver that failed.
    pub fn receiver_name(&self) -> &str {
        self.receiver.as_str()
    }

    /// The name of the signal that was sent (`Signal::NAME`).
    pub fn signal_name(&self) -> &'static str {
        self.signal
    }

    /// The receiver's own error.
    pub fn error(&self) -> &(dyn Error + Send + Sync + 'static) {
        &*self.error
    }

    /// The receiver's own error, owned.
    pub fn into_error(self) -> BoxError {
        self.error
    }
}

impl fmt::Debug for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendError")
            .field("signal", &self.signal)
            .field("receiver", &self.receiver.as_str())
            .field("error", &self.error)
            .finish()
    }
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "receiver `{}` of signal `{}` failed: {}",
            self.receiver.as_str(),
            self.signal,
            self.error
        )
    }
}

impl Error for SendError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&*self.error)
    }
}

/// Why a receiver failed during [`send_robust`](crate::Signal).
#[derive(Debug)]
enum Cause {
    Error(BoxError),
    Panic(Box<dyn Any + Send + 'static>),
}

/// One receiver that failed during a robust send.
#[derive(Debug)]
pub struct Failure {
    receiver: ReceiverName,
    position: usize,
    cause: Cause,
}

impl Failure {
    pub(crate) fn error(receiver: ReceiverName, position: usize, error: BoxError) -> Self {
        Failure {
            receiver,
            position,
            cause: Cause::Error(error),
        }
    }

    pub(crate) fn panic(
        receiver: ReceiverName,
        position: usize,
        payload: Box<dyn Any + Send + 'static>,
    ) -> Self {
        Failure {
            receiver,
            position,
            cause: Cause::Panic(payload),
        }
    }

    /// The name of the receiver that failed.
    pub fn receiver_name(&self) -> &str {
        self.receiver.as_str()
    }

    /// Its place in the call order of that send, starting at 0. A closure
    /// whose drop panicked at the end of the send (a receiver disconnected
    /// during it) is placed after the last receiver called.
    pub fn position(&self) -> usize {
        self.position
    }

    /// Whether the receiver panicked (rather than returned `Err`).
    pub fn is_panic(&self) -> bool {
        matches!(self.cause, Cause::Panic(_))
    }

    /// The error the receiver returned; `None` if it panicked.
    pub fn as_error(&self) -> Option<&(dyn Error + Send + Sync + 'static)> {
        match &self.cause {
            Cause::Error(error) => Some(&**error),
            Cause::Panic(_) => None,
        }
    }

    /// The panic message, when the receiver panicked with a string.
    pub fn panic_message(&self) -> Option<&str> {
        match &self.cause {
            Cause::Panic(payload) => payload
                .downcast_ref::<&'static str>()
                .copied()
                .or_else(|| payload.downcast_ref::<String>().map(String::as_str)),
            Cause::Error(_) => None,
        }
    }

    /// The panic payload, to resume the panic with
    /// [`std::panic::resume_unwind`]; `None` if the receiver returned `Err`.
    pub fn into_panic(self) -> Option<Box<dyn Any + Send + 'static>> {
        match self.cause {
            Cause::Panic(payload) => Some(payload),
            Cause::Error(_) => None,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.cause {
            Cause::Error(error) => write!(f, "receiver `{}` failed: {error}", self.receiver_name()),
            Cause::Panic(_) => match self.panic_message() {
                Some(message) => {
                    write!(f, "receiver `{}` panicked: {message}", self.receiver_name())
                }
                None => write!(f, "receiver `{}` panicked", self.receiver_name()),
            },
        }
    }
}

/// What [`send_robust`](crate::Signal) returns: how many receivers ran and
/// which of them failed, in call order.
#[derive(Debug)]
#[must_use = "a Report holds the receivers' failures; check `is_ok()` or iterate `failures()`"]
pub struct Report {
    signal: &'static str,
    called: usize,
    failures: Vec<Failure>,
}

impl Report {
    pub(crate) fn new(signal: &'static str) -> Self {
        // `Vec::new` does not allocate: a send where nothing fails stays off
        // the heap.
        Report {
            signal,
            called: 0,
            failures: Vec::new(),
        }
    }

    pub(crate) fn called(&mut self) {
        self.called += 1;
    }

    /// The report of a send where `called` receivers ran and none failed.
    pub(crate) fn with_called(signal: &'static str, called: usize) -> Self {
        Report {
            signal,
            called,
            failures: Vec::new(),
        }
    }

    /// Sets how many receivers were called, at the end of a send that
    /// counted them itself.
    pub(crate) fn set_called(&mut self, called: usize) {
        self.called = called;
    }

    pub(crate) fn fail(&mut self, failure: Failure) {
        match &failure.cause {
            Cause::Error(error) => {
                crate::observe::receiver_failed(self.signal, failure.receiver_name(), &**error)
            }
            Cause::Panic(_) => crate::observe::receiver_panicked(
                self.signal,
                failure.receiver_name(),
                failure.panic_message(),
            ),
        }
        self.failures.push(failure);
    }

    /// True when no receiver failed.
    pub fn is_ok(&self) -> bool {
        self.failures.is_empty()
    }

    /// How many receivers were called (receivers a filter skipped are not
    /// counted).
    pub fn len(&self) -> usize {
        self.called
    }

    /// True when no receiver was called.
    pub fn is_empty(&self) -> bool {
        self.called == 0
    }

    /// The receivers that failed, in call order.
    pub fn failures(&self) -> std::slice::Iter<'_, Failure> {
        self.failures.iter()
    }

    /// The failures, owned.
    pub fn into_failures(self) -> Vec<Failure> {
        self.failures
    }

    /// The signal that was sent (`Signal::NAME`).
    pub fn signal_name(&self) -> &'static str {
        self.signal
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "signal `{}`: {} receiver(s) called, {} failed",
            self.signal,
            self.called,
            self.failures.len()
        )?;
        for failure in &self.failures {
            write!(f, "\n  - {failure}")?;
        }
        Ok(())
    }
}
