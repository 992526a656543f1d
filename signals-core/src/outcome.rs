//! What a receiver returns, and the errors and reports a send gives back.

use std::any::Any;
use std::error::Error;
use std::fmt;

use crate::receiver::ReceiverName;
use crate::step::{Outcome, Step};

/// The error type a failing receiver's error is boxed into.
pub type BoxError = Box<dyn Error + Send + Sync + 'static>;

/// What a receiver may return: its signal's response type `T` (`()` for a
/// signal declared without `response`) or `Result<T, E>`, where `E`
/// converts into a boxed error (every
/// `E: std::error::Error + Send + Sync + 'static`, and also `String`,
/// `&'static str` and `Box<dyn Error + Send + Sync>`).
#[diagnostic::on_unimplemented(
    message = "a receiver must return `{T}` or `Result<{T}, E>`, not `{Self}`",
    label = "expected `{T}` or `Result<{T}, E>` here",
    note = "`E` must implement `std::error::Error + Send + Sync + 'static` (or convert into `Box<dyn Error + Send + Sync>`)"
)]
pub trait IntoOutcome<T = ()> {
    #[doc(hidden)]
    fn into_outcome(self) -> Result<T, BoxError>;
}

impl<T> IntoOutcome<T> for T {
    #[inline]
    fn into_outcome(self) -> Result<T, BoxError> {
        Ok(self)
    }
}

impl<T, E: Into<BoxError>> IntoOutcome<T> for Result<T, E> {
    #[inline]
    fn into_outcome(self) -> Result<T, BoxError> {
        self.map_err(Into::into)
    }
}

/// What one receiver of a `#[signal(response = T)]` answered, with its name.
///
/// ```
/// use signals_core::{receiver, signal};
///
/// /// Asks every receiver for a greeting.
/// #[signal(response = String)]
/// pub struct Greet<'a> { pub name: &'a str }
///
/// #[receiver(signal = Greet, name = "hello")]
/// fn hello(greet: &Greet) -> String {
///     format!("hello, {}", greet.name)
/// }
///
/// let responses = Greet { name: "ada" }.send().unwrap();
/// let first = responses.iter().next().unwrap();
/// assert_eq!(first.receiver_name(), "hello");
/// assert_eq!(first.value(), "hello, ada");
/// ```
#[derive(Debug)]
pub struct Response<T> {
    receiver: ReceiverName,
    value: T,
}

impl<T> Response<T> {
    /// The name of the receiver that answered.
    pub fn receiver_name(&self) -> &str {
        self.receiver.as_str()
    }

    /// Its answer.
    pub fn value(&self) -> &T {
        &self.value
    }

    /// Its answer, owned.
    pub fn into_value(self) -> T {
        self.value
    }
}

/// What `send` returns for a `#[signal(response = T)]`: every receiver's
/// answer, in call order (Django's `[(receiver, response)]`).
///
/// ```
/// use signals_core::{receiver, signal};
///
/// /// Collects menu entries from every part of the program.
/// #[signal(response = Vec<&'static str>)]
/// pub struct BuildMenu { pub admin: bool }
///
/// #[receiver(signal = BuildMenu, order = -1)]
/// fn home(_: &BuildMenu) -> Vec<&'static str> {
///     vec!["home"]
/// }
///
/// #[receiver(signal = BuildMenu)]
/// fn admin(menu: &BuildMenu) -> Result<Vec<&'static str>, std::io::Error> {
///     Ok(if menu.admin { vec!["users", "logs"] } else { vec![] })
/// }
///
/// let responses = BuildMenu { admin: true }.send()?;
/// assert_eq!(responses.len(), 2);
/// let items: Vec<&str> = responses.into_iter().flat_map(|r| r.into_value()).collect();
/// assert_eq!(items, ["home", "users", "logs"]);
/// # Ok::<(), signals_core::SendError>(())
/// ```
#[derive(Debug)]
#[must_use = "a send's responses are what its receivers answered"]
pub struct Responses<T> {
    responses: Vec<Response<T>>,
}

impl<T> Responses<T> {
    /// How many receivers answered.
    pub fn len(&self) -> usize {
        self.responses.len()
    }

    /// True when no receiver answered.
    pub fn is_empty(&self) -> bool {
        self.responses.is_empty()
    }

    /// The answers, in call order.
    pub fn iter(&self) -> std::slice::Iter<'_, Response<T>> {
        self.responses.iter()
    }
}

impl<T> IntoIterator for Responses<T> {
    type Item = Response<T>;
    type IntoIter = std::vec::IntoIter<Response<T>>;

    fn into_iter(self) -> Self::IntoIter {
        self.responses.into_iter()
    }
}

impl<'r, T> IntoIterator for &'r Responses<T> {
    type Item = &'r Response<T>;
    type IntoIter = std::slice::Iter<'r, Response<T>>;

    fn into_iter(self) -> Self::IntoIter {
        self.responses.iter()
    }
}

/// An answer on its way from a receiver to the send that collects it: the
/// receiver's value, boxed once and typed again by [`Collect::push`].
pub(crate) type Erased = Box<dyn Any + Send>;

/// The box an answer travels in.
pub(crate) struct Answer<T>(pub(crate) T);

/// What a successful send of a signal collects: nothing (`()`) for a signal
/// without `response`, so that its sends stay allocation-free, and
/// [`Responses<T>`] for one with. Not public API.
#[doc(hidden)]
pub trait Collect: Sized {
    /// What each receiver answers.
    type Response: Send + 'static;

    /// Whether receivers answer: `false` makes their shims return the
    /// allocation-free "done" of a signal without `response`.
    const ANSWERS: bool;

    /// Nothing collected yet.
    fn empty() -> Self;

    /// Adds one receiver's answer.
    fn push(&mut self, receiver: ReceiverName, answer: Erased);

    /// The answers, for a `Report`.
    fn into_responses(self) -> Vec<Response<Self::Response>>;

    /// The step of a synchronous receiver that returned `outcome`: the
    /// allocation-free "done" unless receivers answer. The code `#[receiver]`
    /// generates reaches it as `<<S as Signal>::Output as Collect>::step`,
    /// a projection rather than a bound on `S`, so that no error names it.
    /// `#[inline]`, not `#[inline(always)]`, as the conversions it calls:
    /// an unoptimized build then compiles it once per response type, not
    /// once per receiver, in every receiver's shim.
    #[inline]
    fn step<'b>(outcome: Result<Self::Response, BoxError>) -> Step<'b> {
        step_of::<Self, _>(outcome)
    }

    /// What the future of an async receiver that returned `outcome`
    /// resolves to.
    #[inline(always)]
    fn output(outcome: Result<Self::Response, BoxError>) -> Outcome {
        outcome_of::<Self, _>(outcome)
    }
}

impl Collect for () {
    type Response = ();
    const ANSWERS: bool = false;

    #[inline(always)]
    fn empty() -> Self {}

    #[inline(always)]
    fn push(&mut self, _: ReceiverName, _: Erased) {}

    #[inline(always)]
    fn into_responses(self) -> Vec<Response<()>> {
        Vec::new()
    }
}

impl<T: Send + 'static> Collect for Responses<T> {
    type Response = T;
    const ANSWERS: bool = true;

    fn empty() -> Self {
        Responses {
            responses: Vec::new(),
        }
    }

    fn push(&mut self, receiver: ReceiverName, answer: Erased) {
        // The shims box exactly `Answer<S::Response>`: the signal's own
        // `Collect` is the only reader.
        let Answer(value) = *answer
            .downcast::<Answer<T>>()
            .expect("a receiver's answer has its signal's response type");
        self.responses.push(Response { receiver, value });
    }

    fn into_responses(self) -> Vec<Response<T>> {
        self.responses
    }
}

/// Turns what a synchronous receiver returned into its step: the
/// allocation-free "done" unless receivers answer.
#[inline]
pub(crate) fn step_of<'b, O: Collect, R: IntoOutcome<O::Response>>(value: R) -> Step<'b> {
    let outcome = value.into_outcome();
    if O::ANSWERS {
        Step::answered(outcome)
    } else {
        Step::done(outcome.map(drop))
    }
}

/// Turns what an async receiver's future returned into its output.
#[inline(always)]
pub(crate) fn outcome_of<O: Collect, R: IntoOutcome<O::Response>>(value: R) -> Outcome {
    let outcome = value.into_outcome();
    if O::ANSWERS {
        outcome.map(|value| Some(Box::new(Answer(value)) as Erased))
    } else {
        outcome.map(|_| None)
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

/// Why a receiver failed during [`send_robust`](crate::Signal): the error
/// it returned, or the payload of its panic.
#[derive(Debug)]
pub(crate) enum FailureCause {
    Error(BoxError),
    Panic(Box<dyn Any + Send + 'static>),
}

/// One receiver that failed during a robust send.
#[derive(Debug)]
pub struct Failure {
    receiver: ReceiverName,
    position: usize,
    cause: FailureCause,
}

impl Failure {
    pub(crate) fn new(receiver: ReceiverName, position: usize, cause: FailureCause) -> Self {
        Failure {
            receiver,
            position,
            cause,
        }
    }

    pub(crate) fn error(receiver: ReceiverName, position: usize, error: BoxError) -> Self {
        Failure {
            receiver,
            position,
            cause: FailureCause::Error(error),
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
            cause: FailureCause::Panic(payload),
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
        matches!(self.cause, FailureCause::Panic(_))
    }

    /// The error the receiver returned; `None` if it panicked.
    pub fn as_error(&self) -> Option<&(dyn Error + Send + Sync + 'static)> {
        match &self.cause {
            FailureCause::Error(error) => Some(&**error),
            FailureCause::Panic(_) => None,
        }
    }

    /// The panic message, when the receiver panicked with a string.
    pub fn panic_message(&self) -> Option<&str> {
        match &self.cause {
            FailureCause::Panic(payload) => payload
                .downcast_ref::<&'static str>()
                .copied()
                .or_else(|| payload.downcast_ref::<String>().map(String::as_str)),
            FailureCause::Error(_) => None,
        }
    }

    /// The panic payload, to resume the panic with
    /// [`std::panic::resume_unwind`]; `None` if the receiver returned `Err`.
    pub fn into_panic(self) -> Option<Box<dyn Any + Send + 'static>> {
        match self.cause {
            FailureCause::Panic(payload) => Some(payload),
            FailureCause::Error(_) => None,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.cause {
            FailureCause::Error(error) => {
                write!(f, "receiver `{}` failed: {error}", self.receiver_name())
            }
            FailureCause::Panic(_) => match self.panic_message() {
                Some(message) => {
                    write!(f, "receiver `{}` panicked: {message}", self.receiver_name())
                }
                None => write!(f, "receiver `{}` panicked", self.receiver_name()),
            },
        }
    }
}

/// What [`send_robust`](crate::Signal) returns: how many receivers ran and
/// which of them failed, in call order; for a `#[signal(response = T)]`,
/// also what each receiver that succeeded answered
/// ([`responses()`](Report::responses)).
#[must_use = "a Report holds the receivers' failures; check `is_ok()` or iterate `failures()`"]
pub struct Report<T = ()> {
    signal: &'static str,
    called: usize,
    // Failures and answers behind one pointer: `send_robust` of a signal
    // without response, where nothing fails, returns a report of four words
    // with a null pointer, as cheap to build, return and drop as a report
    // can be (an empty `Vec` in the report measured about a nanosecond more
    // per send).
    tail: Option<Box<Tail<T>>>,
}

/// A report with no failure and no answer, what `send_robust` returns
/// when every receiver succeeds, drops where it is dropped (a test of one
/// pointer); the failures and answers are dropped out of line.
impl<T> Drop for Report<T> {
    #[inline]
    fn drop(&mut self) {
        if let Some(tail) = self.tail.take() {
            drop_tail(tail);
        }
    }
}

#[inline(never)]
fn drop_tail<T>(tail: Box<Tail<T>>) {
    drop(tail);
}

/// What a [`Report`] holds only when a receiver failed or answered.
struct Tail<T> {
    failures: Vec<Failure>,
    responses: Vec<Response<T>>,
}

impl<T: fmt::Debug> fmt::Debug for Report<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Report")
            .field("signal", &self.signal)
            .field("called", &self.called)
            .field("failures", &self.failures_slice())
            .field("responses", &self.responses_slice())
            .finish()
    }
}

impl<T> Report<T> {
    pub(crate) fn new(signal: &'static str) -> Self {
        Report::with_called(signal, 0)
    }

    /// Counts one more receiver called.
    pub(crate) fn count_call(&mut self) {
        self.called += 1;
    }

    /// The report of a send where `called` receivers ran and none failed.
    pub(crate) fn with_called(signal: &'static str, called: usize) -> Self {
        // `Vec::new` does not allocate: a send where nothing fails stays off
        // the heap.
        Report {
            signal,
            called,
            tail: None,
        }
    }

    fn tail(&mut self) -> &mut Tail<T> {
        self.tail.get_or_insert_with(|| {
            Box::new(Tail {
                failures: Vec::new(),
                responses: Vec::new(),
            })
        })
    }

    fn failures_slice(&self) -> &[Failure] {
        self.tail.as_deref().map_or(&[], |tail| &tail.failures)
    }

    fn responses_slice(&self) -> &[Response<T>] {
        self.tail.as_deref().map_or(&[], |tail| &tail.responses)
    }

    /// Sets how many receivers were called, at the end of a send that
    /// counted them itself.
    pub(crate) fn set_called(&mut self, called: usize) {
        self.called = called;
    }

    /// Sets the answers of the receivers that succeeded.
    pub(crate) fn set_responses(&mut self, responses: Vec<Response<T>>) {
        if !responses.is_empty() {
            self.tail().responses = responses;
        }
    }

    pub(crate) fn fail(&mut self, failure: Failure) {
        match &failure.cause {
            FailureCause::Error(error) => {
                crate::observe::receiver_failed(self.signal, failure.receiver_name(), &**error)
            }
            FailureCause::Panic(_) => crate::observe::receiver_panicked(
                self.signal,
                failure.receiver_name(),
                failure.panic_message(),
            ),
        }
        self.tail().failures.push(failure);
    }

    /// True when no receiver failed.
    pub fn is_ok(&self) -> bool {
        self.failures_slice().is_empty()
    }

    /// How many receivers the send called: those that succeeded, failed or
    /// panicked alike (so `len()` is at least `failures().count()`), plus one
    /// per durable receiver whose job the send wrote, or failed to write.
    /// Receivers whose filter declined the send were not called and are not
    /// counted.
    ///
    /// ```
    /// use signals_core::{receiver, signal, ConnectOptions};
    ///
    /// #[signal]
    /// pub struct Saved { pub table: &'static str }
    ///
    /// #[receiver(signal = Saved)]
    /// fn fails(_: &Saved) -> Result<(), std::fmt::Error> {
    ///     Err(std::fmt::Error)
    /// }
    ///
    /// #[receiver(signal = Saved)]
    /// fn succeeds(_: &Saved) {}
    ///
    /// let _skipped = Saved::connect_with(
    ///     ConnectOptions::new().filter(|saved: &Saved| saved.table == "user"),
    ///     |_: &Saved| {},
    /// );
    /// let report = Saved { table: "post" }.send_robust();
    /// assert_eq!(report.len(), 2); // `fails` and `succeeds`, not the filtered one
    /// assert_eq!(report.failures().count(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.called
    }

    /// True when no receiver was called.
    pub fn is_empty(&self) -> bool {
        self.called == 0
    }

    /// The receivers that failed, in call order.
    pub fn failures(&self) -> std::slice::Iter<'_, Failure> {
        self.failures_slice().iter()
    }

    /// The failures, owned.
    pub fn into_failures(mut self) -> Vec<Failure> {
        self.tail.take().map_or_else(Vec::new, |tail| tail.failures)
    }

    /// What the receivers that succeeded answered, in call order: empty for
    /// a signal declared without `response`, whose receivers answer nothing.
    ///
    /// ```
    /// use signals_core::{receiver, signal};
    ///
    /// /// Asks how many items each store holds.
    /// #[signal(response = u32)]
    /// pub struct Count {}
    ///
    /// #[receiver(signal = Count, name = "disk")]
    /// fn disk(_: &Count) -> Result<u32, std::io::Error> {
    ///     Err(std::io::Error::other("unreachable"))
    /// }
    ///
    /// #[receiver(signal = Count, name = "memory")]
    /// fn memory(_: &Count) -> u32 {
    ///     3
    /// }
    ///
    /// let report = Count {}.send_robust();
    /// assert_eq!(report.failures().next().unwrap().receiver_name(), "disk");
    /// let answers: Vec<(&str, u32)> =
    ///     report.responses().map(|r| (r.receiver_name(), *r.value())).collect();
    /// assert_eq!(answers, [("memory", 3)]);
    /// ```
    pub fn responses(&self) -> std::slice::Iter<'_, Response<T>> {
        self.responses_slice().iter()
    }

    /// The answers, owned.
    pub fn into_responses(mut self) -> Vec<Response<T>> {
        self.tail
            .take()
            .map_or_else(Vec::new, |tail| tail.responses)
    }

    /// The signal that was sent (`Signal::NAME`).
    pub fn signal_name(&self) -> &'static str {
        self.signal
    }
}

impl<T> fmt::Display for Report<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "signal `{}`: {} receiver(s) called, {} failed",
            self.signal,
            self.called,
            self.failures_slice().len()
        )?;
        for failure in self.failures_slice() {
            write!(f, "\n  - {failure}")?;
        }
        Ok(())
    }
}
