//! The dispatch loops: `send` and `send_robust`. One place calls receivers.

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::observe;
use crate::outcome::{BoxError, Failure, Report, SendError};
use crate::registry::Callee;
use crate::signal::{Signal, Step};

/// Calls one receiver.
#[inline(always)]
pub(crate) fn call<'b, S: Signal>(
    callee: Callee<'_, S::__Handler, S::__Dyn>,
    signal: &'b S,
) -> Step<'b> {
    match callee {
        Callee::Static(r) => S::__call(r.handler, signal),
        Callee::Dynamic(e) => S::__call_dyn(&e.handler, signal),
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

pub(crate) fn send<S: Signal>(signal: &S) -> Result<(), SendError> {
    if muted(signal) {
        return Ok(());
    }
    let snapshot = S::__registry().snapshot();
    let span = observe::send_span(S::NAME, snapshot.len(), "send");
    #[cfg(feature = "tracing")]
    let _entered = span.enter();
    let _ = &span;
    for callee in snapshot.cursor() {
        let error = match call(callee, signal) {
            Step::Done(Ok(())) | Step::Skipped => continue,
            Step::Done(Err(error)) => error,
            Step::Pending(_) => async_in_sync(),
        };
        let error = SendError::new(S::NAME, callee.name(), error);
        observe::receiver_failed(S::NAME, error.receiver_name(), error.error());
        return Err(error);
    }
    Ok(())
}

pub(crate) fn send_robust<S: Signal>(signal: &S) -> Report {
    let mut report = Report::new(S::NAME);
    if muted(signal) {
        return report;
    }
    let snapshot = S::__registry().snapshot();
    let span = observe::send_span(S::NAME, snapshot.len(), "send_robust");
    #[cfg(feature = "tracing")]
    let _entered = span.enter();
    let _ = &span;
    let mut cursor = snapshot.cursor();
    // One `catch_unwind` around the whole loop rather than one per receiver:
    // after a panic the loop resumes from the cursor, which already points
    // past the receiver that panicked.
    loop {
        let mut current = None;
        let finished = catch_unwind(AssertUnwindSafe(|| {
            for callee in cursor.by_ref() {
                current = Some(callee);
                match call(callee, signal) {
                    Step::Skipped => {}
                    Step::Done(Ok(())) => report.called(),
                    Step::Done(Err(error)) => {
                        report.called();
                        report.fail(Failure::error(callee.name(), report.len() - 1, error));
                    }
                    Step::Pending(_) => {
                        report.called();
                        report.fail(Failure::error(
                            callee.name(),
                            report.len() - 1,
                            async_in_sync(),
                        ));
                    }
                }
            }
        }));
        match finished {
            Ok(()) => return report,
            Err(payload) => match current {
                Some(callee) => {
                    report.called();
                    report.fail(Failure::panic(callee.name(), report.len() - 1, payload));
                }
                // Nothing but receivers runs inside the loop; a panic with no
                // receiver running is not ours to swallow.
                None => std::panic::resume_unwind(payload),
            },
        }
    }
}
