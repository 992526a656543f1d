//! The dispatch loops: `send` and `send_robust`. One place calls receivers.

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::handler::Call;
use crate::observe;
use crate::outcome::{BoxError, Collect, Erased, Failure, Report, SendError};
use crate::receiver::{Meta, ReceiverName, StaticReceiver};
use crate::registry::{CallOrder, Callee, Named, StaticCursor, Walk};
use crate::signal::Signal;
use crate::step::{Resolved, Step};

/// Calls one receiver.
#[inline(always)]
pub(crate) fn call<'b, S: Signal>(
    callee: Callee<'_, S::__Handler, S::__Dyn>,
    signal: &'b S,
) -> Step<'b> {
    match callee {
        Callee::Static(record) => S::__call(record.handler, signal),
        Callee::Dynamic(e) => e.handler.call(signal),
    }
}

/// An async receiver reached by a synchronous dispatch. The macros make this
/// a compile error for static receivers, and only async signals can connect
/// async closures, so it signals a bug; it is reported, never dropped.
fn async_in_sync() -> BoxError {
    "an async receiver was reached by a synchronous send; send this signal with `send_async`".into()
}

/// Runs the test hooks (feature `testing`); true if the send is muted.
#[inline(always)]
pub(crate) fn muted<S: Signal>(signal: &S) -> bool {
    #[cfg(feature = "testing")]
    {
        crate::testing::intercept(signal)
    }
    #[cfg(not(feature = "testing"))]
    {
        let _ = signal;
        false
    }
}

/// Inlined where the signal is sent, loop included, as a loop over a raw
/// slice of function pointers would be: a signal nobody listens to costs a
/// few loads and branches there. The merge with run-time receivers and every
/// failure are out of line.
#[inline]
pub(crate) fn send<S: Signal>(signal: &S) -> Result<S::Output, SendError> {
    if muted(signal) {
        return Ok(S::Output::empty());
    }
    // A constant: for every signal that is not durable, the branch is gone.
    if S::IS_DURABLE {
        return crate::durable::send(signal);
    }
    send_unmuted(signal)
}

/// `send` after the test hooks: the inline receivers only.
///
/// While no receiver is connected at run time, the static receivers are
/// called in place, from the records the backend holds, by a loop that is
/// the same for every signal ([`send_static`]): what each signal compiles
/// of it is one call of one receiver ([`Records::call`]). Optimized, the
/// loop is inlined here and the call with it, so that the send is the loop
/// over function pointers that a hand-written linkme slice would be.
/// Always inlined into [`send`], its one caller: one function less for an
/// unoptimized build to compile per signal.
#[inline(always)]
pub(crate) fn send_unmuted<S: Signal>(signal: &S) -> Result<S::Output, SendError> {
    let records = S::__records();
    let Some(order) = S::__registry().static_order(records) else {
        return S::__registry().sends::<S::__Sends>().send(signal);
    };
    // With `tracing`, even a send nobody listens to gets its span. A
    // comparison rather than `is_empty`: one generic call less per signal
    // in an unoptimized build.
    #[allow(clippy::len_zero)]
    if records.len() == 0 && !cfg!(feature = "tracing") {
        return Ok(S::Output::empty());
    }
    let span = observe::send_span(S::NAME, records.len(), "send");
    #[cfg(feature = "tracing")]
    let _entered = span.enter();
    let _ = &span;
    let mut output = S::Output::empty();
    let receivers = Records { records, signal };
    // A `match`, not `map` and a closure: one function less for each
    // signal to compile.
    match send_static(S::NAME, order, records.len(), &receivers, &mut output) {
        Ok(()) => Ok(output),
        Err(error) => Err(error),
    }
}

/// The static receivers of one send, called one by one by [`send_static`]:
/// a trait of one method rather than a `dyn FnMut`, whose vtable would
/// hold `call_once` too. Its implementation ([`Records`]) is all that
/// each signal compiles of the loop.
trait CallStatic<'b> {
    /// Calls the receiver at `at`, in link order: what it did, and who it is.
    fn call(&self, at: usize) -> (Step<'b>, &'static Meta);
}

/// The static receivers of signal `S` and the signal sent to them.
struct Records<'b, S: Signal> {
    records: &'static [StaticReceiver<S::__Handler>],
    signal: &'b S,
}

impl<'b, S: Signal> CallStatic<'b> for Records<'b, S> {
    #[inline]
    fn call(&self, at: usize) -> (Step<'b>, &'static Meta) {
        let record = &self.records[at];
        (S::__call(record.handler, self.signal), &record.meta)
    }
}

/// The loop of `send` over the static receivers, in call order: the same
/// for every signal, so that an unoptimized build compiles it once, not
/// once per signal. One loop, with the test of `in_place` inside
/// ([`CallOrder::position`]): the optimizer takes it out. An index loop
/// rather than iterators: less for an unoptimized build to compile.
#[inline]
fn send_static<'b>(
    signal: &'static str,
    order: CallOrder,
    len: usize,
    receivers: &dyn CallStatic<'b>,
    output: &mut dyn Answers,
) -> Result<(), SendError> {
    let mut i = 0;
    while i < len {
        let (step, meta) = receivers.call(order.position(i));
        // The fast path: one test of one register per receiver.
        if !step.is_done() {
            collect(step, signal, Named::Static(meta), output)?;
        }
        i += 1;
    }
    Ok(())
}

/// The synchronous sends of a signal with receivers connected at run time,
/// [`send_merged`] and [`send_robust_merged`], behind function pointers:
/// what `#[signal]` spells as `Signal::__Sends` (`()` for an async signal,
/// which has no synchronous send). The first run-time connect stores them
/// in the registry and `send` calls them from there, so that the walk of
/// the run-time list (its cursor, its descent from leaf to leaf) is
/// compiled only for the signals that connect a receiver at run time: it
/// was half of what every signal compiled. Not public API.
#[doc(hidden)]
pub trait Sends<S: Signal>: Copy + Send + Sync + 'static {
    /// [`send_merged`].
    fn send(self, signal: &S) -> Result<S::Output, SendError>;
    /// [`send_robust_merged`].
    fn send_robust(self, signal: &S) -> Report<S::Response>;
}

impl<S, A, B> Sends<S> for (A, B)
where
    S: Signal,
    A: Fn(&S) -> Result<S::Output, SendError> + Copy + Send + Sync + 'static,
    B: Fn(&S) -> Report<S::Response> + Copy + Send + Sync + 'static,
{
    #[inline(always)]
    fn send(self, signal: &S) -> Result<S::Output, SendError> {
        (self.0)(signal)
    }

    #[inline(always)]
    fn send_robust(self, signal: &S) -> Report<S::Response> {
        (self.1)(signal)
    }
}

/// An async signal's: it has no synchronous send, which the trait
/// `SyncSignal` it does not implement enforces.
impl<S: Signal> Sends<S> for () {
    fn send(self, _: &S) -> Result<S::Output, SendError> {
        unreachable!("an async signal has no synchronous send")
    }

    fn send_robust(self, _: &S) -> Report<S::Response> {
        unreachable!("an async signal has no synchronous send")
    }
}

/// `send` when run-time receivers are connected: the loop over the run-time
/// list, which holds the static receivers too. Reached through
/// [`Sends`].
#[doc(hidden)]
#[inline(never)]
#[allow(clippy::while_let_on_iterator, clippy::question_mark)] // see the loop
pub fn send_merged<S: Signal>(signal: &S) -> Result<S::Output, SendError> {
    let merging = S::__registry().merging::<S::__Handler, S::__Dyn>();
    let mut cursor = merging.cursor();
    let span = observe::send_span(S::NAME, cursor.receivers(), "send");
    #[cfg(feature = "tracing")]
    let _entered = span.enter();
    let _ = &span;
    let mut output = S::Output::empty();
    // `while let` and `if let` rather than `for` and `?`: the same code once
    // optimized, and fewer generic helpers for an unoptimized build to
    // compile once per signal.
    while let Some(callee) = cursor.next() {
        let step = call(callee, signal);
        // The fast path: one test of one register per receiver.
        if !step.is_done() {
            if let Err(error) = collect(step, S::NAME, callee.named(), &mut output) {
                return Err(error);
            }
        }
    }
    Ok(output)
}

/// What `send` does with a step that is not plain success: collects an
/// answer, or fails with an error. Cold and out of line, so that the loop of
/// a signal without response stays the loop over function pointers it was;
/// a signal with a response comes here for every receiver. Not generic:
/// compiled once, not once per signal.
#[cold]
#[inline(never)]
fn collect(
    step: Step<'_>,
    signal: &'static str,
    callee: Named<'_>,
    output: &mut dyn Answers,
) -> Result<(), SendError> {
    match settle(step) {
        Settled::Failed(error) => Err(send_error(signal, error, callee.name())),
        Settled::Answered(answer) => {
            output.add(callee.name(), answer);
            Ok(())
        }
        Settled::Skipped => Ok(()),
    }
}

/// [`Collect::push`] behind a `dyn`, so that [`collect`] is not generic.
pub(crate) trait Answers {
    /// Adds one receiver's answer.
    fn add(&mut self, receiver: ReceiverName, answer: Erased);
}

impl<C: Collect> Answers for C {
    fn add(&mut self, receiver: ReceiverName, answer: Erased) {
        self.push(receiver, answer);
    }
}

/// A step that is not plain success, resolved.
pub(crate) enum Settled {
    /// The receiver answered (signals with a response).
    Answered(Erased),
    /// It failed.
    Failed(BoxError),
    /// Its filter declined, or it ran and has nothing to say.
    Skipped,
}

/// [`settle`] under `catch_unwind`: settling drops what the step held (an
/// async receiver's future, never started by a synchronous send), and that
/// drop runs the receiver's code. Not generic: compiled once.
#[inline(never)]
fn settle_caught(step: Step<'_>) -> std::thread::Result<Settled> {
    catch_unwind(AssertUnwindSafe(|| settle(step)))
}

/// What a step that is not plain success stands for. Out of line, so that
/// the loops stay small; a signal without a response comes here only when a
/// receiver fails or is filtered out.
#[inline(never)]
pub(crate) fn settle(step: Step<'_>) -> Settled {
    match step.resolve() {
        Resolved::Done(Ok(Some(answer))) => Settled::Answered(answer),
        Resolved::Done(Ok(None)) | Resolved::Skipped => Settled::Skipped,
        Resolved::Done(Err(error)) => Settled::Failed(error),
        Resolved::Pending(_) => Settled::Failed(async_in_sync()),
    }
}

/// What `send` returns when a receiver of `signal` fails.
#[cold]
#[inline(never)]
pub(crate) fn send_error(
    signal: &'static str,
    error: BoxError,
    receiver: ReceiverName,
) -> SendError {
    let error = SendError::new(signal, receiver, error);
    observe::receiver_failed(signal, error.receiver_name(), error.error());
    error
}

/// Inlined where the signal is sent, as `send` is.
#[inline]
pub(crate) fn send_robust<S: Signal>(signal: &S) -> Report<S::Response> {
    if muted(signal) {
        return Report::new(S::NAME);
    }
    if S::IS_DURABLE {
        return crate::durable::send_robust(signal);
    }
    send_robust_unmuted(signal)
}

/// `send_robust` after the test hooks: the inline receivers only.
///
/// While no receiver is connected at run time, the first stretch (see
/// [`send_robust_in`]) is written out here as `send`'s loop is: an index
/// loop over the records, with no cursor behind a `&mut` for the closure
/// to load and store per receiver (how far it got is a local, read only
/// when a receiver stops the stretch or panics). Only a stretch that
/// stopped builds a [`StaticCursor`], to go on from. Always inlined into
/// [`send_robust`], its one caller, as [`send_unmuted`] is.
#[inline(always)]
pub(crate) fn send_robust_unmuted<S: Signal>(signal: &S) -> Report<S::Response> {
    let records = S::__records();
    let Some(order) = S::__registry().static_order(records) else {
        return S::__registry().sends::<S::__Sends>().send_robust(signal);
    };
    #[allow(clippy::len_zero)] // as in `send_unmuted`
    if records.len() == 0 && !cfg!(feature = "tracing") {
        return Report::new(S::NAME);
    }
    let span = observe::send_span(S::NAME, records.len(), "send_robust");
    #[cfg(feature = "tracing")]
    let _entered = span.enter();
    let _ = &span;
    // How many receivers the stretch reached: written before each call.
    let mut reached = 0;
    let first = catch_unwind(AssertUnwindSafe(|| {
        let mut i = 0;
        while i < records.len() {
            let record = &records[order.position(i)];
            reached = i + 1;
            let step = S::__call(record.handler, signal);
            if !step.is_done() {
                return Some((Callee::Static(record), step));
            }
            i += 1;
        }
        None
    }));
    match first {
        Ok(None) => Report::with_called(S::NAME, records.len()),
        stopped => {
            let mut cursor = StaticCursor::resumed(records, order, reached);
            send_robust_rest(signal, &mut cursor, stopped)
        }
    }
}

/// `send_robust` when run-time receivers are connected: the loop over the
/// run-time list, which holds the static receivers too. Reached through
/// [`Sends`].
#[doc(hidden)]
#[inline(never)]
pub fn send_robust_merged<S: Signal>(signal: &S) -> Report<S::Response> {
    let merging = S::__registry().merging::<S::__Handler, S::__Dyn>();
    let cursor = merging.cursor();
    let mut report = send_robust_in(signal, cursor.receivers(), cursor);
    // A receiver disconnected during the dispatch is dropped here if the
    // dispatch held the last reference to it; a panic in that drop goes
    // into the report, not to the caller.
    if let Err(payload) = merging.release() {
        report_dropped(&mut report, payload);
    }
    report
}

/// Records the closures whose drop panicked at the end of a robust send, at
/// the position after the last receiver called.
#[cold]
#[inline(never)]
pub(crate) fn report_dropped<T>(
    report: &mut Report<T>,
    payload: Box<dyn std::any::Any + Send + 'static>,
) {
    let position = report.len();
    for dropped in crate::registry::dropped::take(payload) {
        report.fail(Failure::panic(dropped.receiver, position, dropped.payload));
    }
}

/// The loop of `send_robust`.
#[inline(always)]
fn send_robust_in<'r, S: Signal>(
    signal: &S,
    receivers: usize,
    mut cursor: impl Walk<'r, S::__Handler, S::__Dyn>,
) -> Report<S::Response> {
    let span = observe::send_span(S::NAME, receivers, "send_robust");
    #[cfg(feature = "tracing")]
    let _entered = span.enter();
    let _ = &span;
    // The receivers run in stretches, each until one does anything but
    // succeed, or panics: the loop of `send` under one `catch_unwind`, rather
    // than one per receiver. The common case is one stretch in which every
    // receiver succeeds; anything else goes on out of line.
    let first = catch_unwind(AssertUnwindSafe(|| run_until_fault(&mut cursor, signal)));
    match first {
        Ok(None) => Report::with_called(S::NAME, receivers),
        stopped => send_robust_rest(signal, &mut cursor, stopped),
    }
}

/// The rest of a robust send after a stretch stopped: records why, and runs
/// the next stretch from the cursor, which already points past the receiver
/// that stopped it.
#[cold]
#[inline(never)]
fn send_robust_rest<'r, 'b, S: Signal>(
    signal: &'b S,
    cursor: &mut dyn Walk<'r, S::__Handler, S::__Dyn>,
    mut stopped: std::thread::Result<Option<Stop<'r, 'b, S>>>,
) -> Report<S::Response> {
    let mut report = Report::new(S::NAME);
    let mut output = S::Output::empty();
    // Receivers whose filter declined: reached, but not called.
    let mut declined = 0;
    loop {
        match stopped {
            Ok(None) => break,
            // Settled under `catch_unwind` (`settle_caught`).
            Ok(Some((callee, step))) => match settle_caught(step) {
                Ok(Settled::Failed(error)) => {
                    let position = cursor.reached() - declined - 1;
                    report.fail(Failure::error(callee.name(), position, error));
                }
                Ok(Settled::Answered(answer)) => output.push(callee.name(), answer),
                Ok(Settled::Skipped) => declined += 1,
                Err(payload) => {
                    let position = cursor.reached() - declined - 1;
                    report.fail(Failure::panic(callee.name(), position, payload));
                }
            },
            Err(payload) => match cursor.current() {
                Some(callee) => {
                    let position = cursor.reached() - declined - 1;
                    report.fail(Failure::panic(callee.name(), position, payload));
                }
                // Nothing but receivers runs inside the loop; a panic with no
                // receiver running is not ours to swallow.
                None => std::panic::resume_unwind(payload),
            },
        }
        stopped = catch_unwind(AssertUnwindSafe(|| run_until_fault(cursor, signal)));
    }
    report.set_called(cursor.reached() - declined);
    report.set_responses(output.into_responses());
    report
}

/// Where a stretch of `send_robust` stopped: the receiver, and what it did.
type Stop<'r, 'b, S> = (
    Callee<'r, <S as Signal>::__Handler, <S as Signal>::__Dyn>,
    Step<'b>,
);

/// Calls receivers until one does anything but succeed, and returns it with
/// what it did; `None` when all have run.
#[inline(always)]
fn run_until_fault<'r, 'b, S: Signal>(
    cursor: &mut (impl Walk<'r, S::__Handler, S::__Dyn> + ?Sized),
    signal: &'b S,
) -> Option<Stop<'r, 'b, S>> {
    for callee in &mut *cursor {
        let step = call(callee, signal);
        if !step.is_done() {
            return Some((callee, step));
        }
    }
    None
}
