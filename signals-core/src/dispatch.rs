//! The dispatch loops: `send` and `send_robust`. One place calls receivers.

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::handler::Call;
use crate::observe;
use crate::outcome::{BoxError, Failure, Report, SendError};
use crate::receiver::ReceiverName;
use crate::registry::{Callee, Statics, Walk};
use crate::signal::Signal;
use crate::step::{Resolved, Step};

/// Calls one receiver.
#[inline(always)]
pub(crate) fn call<'b, S: Signal>(
    callee: Callee<'_, S::__Handler, S::__Dyn>,
    signal: &'b S,
) -> Step<'b> {
    match callee {
        Callee::Static(handler) => S::__call(*handler, signal),
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
pub(crate) fn send<S: Signal>(signal: &S) -> Result<(), SendError> {
    if muted(signal) {
        return Ok(());
    }
    // A constant: for every signal that is not durable, the branch is gone.
    if S::IS_DURABLE {
        return crate::durable::send(signal);
    }
    send_unmuted(signal)
}

/// `send` after the test hooks: the inline receivers only.
#[inline]
pub(crate) fn send_unmuted<S: Signal>(signal: &S) -> Result<(), SendError> {
    match S::__registry().statics_only() {
        // With `tracing`, even a send nobody listens to gets its span.
        Some(statics) if statics.is_empty() && !cfg!(feature = "tracing") => Ok(()),
        Some(statics) => send_in(signal, statics, statics.len(), statics.cursor()),
        None => send_merged(signal),
    }
}

/// `send` when run-time receivers are connected.
#[inline(never)]
fn send_merged<S: Signal>(signal: &S) -> Result<(), SendError> {
    let snapshot = S::__registry().snapshot();
    // One loop over either cursor: a second, specialised loop measured no
    // faster, and would be compiled once more per signal.
    let cursor = snapshot.cursor();
    send_in(signal, snapshot.statics(), cursor.receivers(), cursor)
}

/// The loop of `send`.
#[inline(always)]
fn send_in<'r, S: Signal>(
    signal: &S,
    statics: &Statics<S::__Handler>,
    receivers: usize,
    cursor: impl Walk<'r, S::__Handler, S::__Dyn>,
) -> Result<(), SendError> {
    let span = observe::send_span(S::NAME, receivers, "send");
    #[cfg(feature = "tracing")]
    let _entered = span.enter();
    let _ = &span;
    for callee in cursor {
        let step = call(callee, signal);
        // The fast path: one test of one register per receiver.
        if !step.is_done() {
            if let Some(error) = error_of(step) {
                return Err(send_error::<S>(error, callee.name(statics)));
            }
        }
    }
    Ok(())
}

/// The error a step that is not plain success stands for; `None` for a skip.
/// Out of line, so that the loops stay small.
#[cold]
#[inline(never)]
fn error_of(step: Step<'_>) -> Option<BoxError> {
    match step.resolve() {
        Resolved::Done(outcome) => outcome.err(),
        Resolved::Skipped => None,
        Resolved::Pending(_) => Some(async_in_sync()),
    }
}

/// What `send` returns when a receiver fails.
#[cold]
#[inline(never)]
fn send_error<S: Signal>(error: BoxError, receiver: ReceiverName) -> SendError {
    let error = SendError::new(S::NAME, receiver, error);
    observe::receiver_failed(S::NAME, error.receiver_name(), error.error());
    error
}

/// Inlined where the signal is sent, as `send` is.
#[inline]
pub(crate) fn send_robust<S: Signal>(signal: &S) -> Report {
    if muted(signal) {
        return Report::new(S::NAME);
    }
    if S::IS_DURABLE {
        return crate::durable::send_robust(signal);
    }
    send_robust_unmuted(signal)
}

/// `send_robust` after the test hooks: the inline receivers only.
#[inline]
pub(crate) fn send_robust_unmuted<S: Signal>(signal: &S) -> Report {
    match S::__registry().statics_only() {
        Some(statics) if statics.is_empty() && !cfg!(feature = "tracing") => Report::new(S::NAME),
        Some(statics) => send_robust_in(signal, statics, statics.len(), statics.cursor()),
        None => send_robust_merged(signal),
    }
}

/// `send_robust` when run-time receivers are connected.
#[inline(never)]
fn send_robust_merged<S: Signal>(signal: &S) -> Report {
    let snapshot = S::__registry().snapshot();
    let cursor = snapshot.cursor();
    let mut report = send_robust_in(signal, snapshot.statics(), cursor.receivers(), cursor);
    release(snapshot, &mut report);
    report
}

/// Drops what a robust dispatch held: a receiver disconnected during the
/// dispatch is dropped here if the dispatch held the last reference to it,
/// and a panic in that drop goes into the report, not to the caller.
#[inline]
pub(crate) fn release<T>(held: T, report: &mut Report) {
    if let Err(payload) = catch_unwind(AssertUnwindSafe(move || drop(held))) {
        report_dropped(report, payload);
    }
}

/// Records the closures whose drop panicked at the end of a robust send, at
/// the position after the last receiver called.
#[cold]
#[inline(never)]
fn report_dropped(report: &mut Report, payload: Box<dyn std::any::Any + Send + 'static>) {
    let position = report.len();
    for dropped in crate::registry::dropped::take(payload) {
        report.fail(Failure::panic(dropped.receiver, position, dropped.payload));
    }
}

/// The loop of `send_robust`.
#[inline(always)]
fn send_robust_in<'r, S: Signal>(
    signal: &S,
    statics: &Statics<S::__Handler>,
    receivers: usize,
    mut cursor: impl Walk<'r, S::__Handler, S::__Dyn>,
) -> Report {
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
        stopped => send_robust_rest(signal, statics, cursor, stopped),
    }
}

/// The rest of a robust send after a stretch stopped: records why, and runs
/// the next stretch from the cursor, which already points past the receiver
/// that stopped it.
#[cold]
#[inline(never)]
fn send_robust_rest<'r, 'b, S: Signal>(
    signal: &'b S,
    statics: &Statics<S::__Handler>,
    mut cursor: impl Walk<'r, S::__Handler, S::__Dyn>,
    mut stopped: std::thread::Result<Option<Stop<'r, 'b, S>>>,
) -> Report {
    let mut report = Report::new(S::NAME);
    // Receivers whose filter declined: reached, but not called.
    let mut declined = 0;
    loop {
        match stopped {
            Ok(None) => break,
            Ok(Some((callee, step))) => match error_of(step) {
                Some(error) => {
                    let position = cursor.reached() - declined - 1;
                    report.fail(Failure::error(callee.name(statics), position, error));
                }
                None => declined += 1,
            },
            Err(payload) => match cursor.current() {
                Some(callee) => {
                    let position = cursor.reached() - declined - 1;
                    report.fail(Failure::panic(callee.name(statics), position, payload));
                }
                // Nothing but receivers runs inside the loop; a panic with no
                // receiver running is not ours to swallow.
                None => std::panic::resume_unwind(payload),
            },
        }
        stopped = catch_unwind(AssertUnwindSafe(|| run_until_fault(&mut cursor, signal)));
    }
    report.set_called(cursor.reached() - declined);
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
    cursor: &mut impl Walk<'r, S::__Handler, S::__Dyn>,
    signal: &'b S,
) -> Option<Stop<'r, 'b, S>> {
    for callee in cursor {
        let step = call(callee, signal);
        if !step.is_done() {
            return Some((callee, step));
        }
    }
    None
}
