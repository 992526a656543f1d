//! The async dispatch loops: `send_async`, `send_robust_async`, the
//! concurrent robust mode, and the blocking bridge for synchronous callers.
//!
//! No async runtime is needed: futures are polled by whoever awaits the send.
//! Synchronous receivers of an async signal run inline; each async receiver
//! costs one boxed future.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::Thread;

use crate::dispatch::{call, muted, report_dropped, send_error};
use crate::observe::{send_span, Span};
use crate::outcome::{Collect, Erased, Failure, FailureCause, Report, SendError};
use crate::receiver::ReceiverName;
use crate::registry::OwnedSnapshot;
use crate::signal::Signal;
use crate::step::{Resolved, StepFuture};

/// Runs `future` inside the send's span (feature `tracing`).
#[cfg(feature = "tracing")]
fn in_span<F: Future>(span: Span, future: F) -> impl Future<Output = F::Output> {
    tracing::Instrument::instrument(future, span)
}

/// Without `tracing`, the future itself: no layer of state machine to move.
#[cfg(not(feature = "tracing"))]
#[inline(always)]
fn in_span<F: Future>(_span: Span, future: F) -> F {
    future
}

pub(crate) async fn send_async<S: Signal>(signal: &S) -> Result<S::Output, SendError> {
    if muted(signal) {
        return Ok(S::Output::empty());
    }
    if S::IS_DURABLE {
        // Boxed, so that the futures of other signals do not carry its state.
        return Box::pin(crate::durable::send_async(signal)).await;
    }
    send_async_unmuted(signal).await
}

/// `send_async` after the test hooks: the inline receivers only.
pub(crate) async fn send_async_unmuted<S: Signal>(signal: &S) -> Result<S::Output, SendError> {
    let snapshot = S::__registry().snapshot_owned::<S::__Handler, S::__Dyn>(S::__records());
    let span = send_span(S::NAME, snapshot.len(), "send_async");
    in_span(span, send_async_in(signal, &snapshot)).await
}

async fn send_async_in<S: Signal>(
    signal: &S,
    snapshot: &OwnedSnapshot<'_, S::__Handler, S::__Dyn>,
) -> Result<S::Output, SendError> {
    let mut output = S::Output::empty();
    for callee in snapshot.cursor() {
        let step = call(callee, signal);
        if step.is_done() {
            continue;
        }
        let outcome = match step.resolve() {
            Resolved::Skipped => continue,
            Resolved::Done(outcome) => outcome,
            Resolved::Pending(future) => future.await,
        };
        match outcome {
            Ok(None) => {}
            Ok(Some(answer)) => output.push(callee.name(), answer),
            Err(error) => return Err(send_error(S::NAME, error, callee.name())),
        }
    }
    Ok(output)
}

/// Polls a receiver's future, turning a panic into a [`FailureCause`]. The future is
/// dropped as soon as it is done, under the same `catch_unwind`: its drop
/// runs the receiver's code too (what it captured, the locals it held).
pub(crate) struct CatchUnwind<'b>(Option<StepFuture<'b>>);

impl<'b> CatchUnwind<'b> {
    pub(crate) fn new(future: StepFuture<'b>) -> Self {
        CatchUnwind(Some(future))
    }
}

impl Future for CatchUnwind<'_> {
    type Output = Result<Option<Erased>, FailureCause>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let slot = &mut self.0;
        let polled = catch_unwind(AssertUnwindSafe(|| {
            let future = slot.as_mut()?;
            let outcome = match future.as_mut().poll(cx) {
                Poll::Pending => return Some(Poll::Pending),
                Poll::Ready(outcome) => outcome,
            };
            *slot = None;
            Some(Poll::Ready(outcome))
        }));
        match polled {
            Ok(Some(Poll::Pending)) => Poll::Pending,
            Ok(Some(Poll::Ready(outcome))) => Poll::Ready(outcome.map_err(FailureCause::Error)),
            Ok(None) => Poll::Ready(Ok(None)),
            Err(payload) => {
                // A future that panicked is dropped too; its drop may panic
                // again, which is contained here rather than thrown later.
                let _ = catch_unwind(AssertUnwindSafe(|| self.0 = None));
                Poll::Ready(Err(FailureCause::Panic(payload)))
            }
        }
    }
}

pub(crate) async fn send_robust_async<S: Signal>(signal: &S) -> Report<S::Response> {
    if muted(signal) {
        return Report::new(S::NAME);
    }
    if S::IS_DURABLE {
        // Boxed, so that the futures of other signals do not carry its state.
        return Box::pin(crate::durable::send_robust_async(
            signal,
            send_robust_async_unmuted(signal),
        ))
        .await;
    }
    send_robust_async_unmuted(signal).await
}

/// `send_robust_async` after the test hooks: the inline receivers only.
pub(crate) async fn send_robust_async_unmuted<S: Signal>(signal: &S) -> Report<S::Response> {
    let snapshot = S::__registry().snapshot_owned::<S::__Handler, S::__Dyn>(S::__records());
    let span = send_span(S::NAME, snapshot.len(), "send_robust_async");
    let mut report = in_span(span, send_robust_async_in(signal, &snapshot)).await;
    if let Err(payload) = snapshot.release() {
        report_dropped(&mut report, payload);
    }
    report
}

async fn send_robust_async_in<S: Signal>(
    signal: &S,
    snapshot: &OwnedSnapshot<'_, S::__Handler, S::__Dyn>,
) -> Report<S::Response> {
    let mut report = Report::new(S::NAME);
    let mut output = S::Output::empty();
    for callee in snapshot.cursor() {
        let outcome = match catch_unwind(AssertUnwindSafe(|| call(callee, signal).resolve())) {
            Err(payload) => Err(FailureCause::Panic(payload)),
            Ok(Resolved::Skipped) => continue,
            Ok(Resolved::Done(outcome)) => outcome.map_err(FailureCause::Error),
            Ok(Resolved::Pending(future)) => CatchUnwind::new(future).await,
        };
        report.count_call();
        match outcome {
            Ok(None) => {}
            Ok(Some(answer)) => output.push(callee.name(), answer),
            Err(cause) => {
                let position = report.len() - 1;
                report.fail(Failure::new(callee.name(), position, cause));
            }
        }
    }
    report.set_responses(output.into_responses());
    report
}

/// One receiver of a concurrent robust send.
struct Slot<'b> {
    name: ReceiverName,
    state: SlotState<'b>,
}

enum SlotState<'b> {
    Running(CatchUnwind<'b>),
    Finished(Result<Option<Erased>, FailureCause>),
}

pub(crate) async fn send_robust_concurrent<S: Signal>(signal: &S) -> Report<S::Response> {
    if muted(signal) {
        return Report::new(S::NAME);
    }
    if S::IS_DURABLE {
        // Boxed, so that the futures of other signals do not carry its state.
        return Box::pin(crate::durable::send_robust_async(
            signal,
            send_robust_concurrent_unmuted(signal),
        ))
        .await;
    }
    send_robust_concurrent_unmuted(signal).await
}

/// `send_robust_concurrent` after the test hooks: the inline receivers only.
pub(crate) async fn send_robust_concurrent_unmuted<S: Signal>(signal: &S) -> Report<S::Response> {
    let snapshot = S::__registry().snapshot_owned::<S::__Handler, S::__Dyn>(S::__records());
    let span = send_span(S::NAME, snapshot.len(), "send_robust_concurrent");
    let mut report = in_span(span, send_robust_concurrent_in(signal, &snapshot)).await;
    if let Err(payload) = snapshot.release() {
        report_dropped(&mut report, payload);
    }
    report
}

async fn send_robust_concurrent_in<S: Signal>(
    signal: &S,
    snapshot: &OwnedSnapshot<'_, S::__Handler, S::__Dyn>,
) -> Report<S::Response> {
    let mut report = Report::new(S::NAME);
    // Receivers are started in call order (synchronous ones run to completion
    // right here); the async ones are then polled together.
    let mut slots: Vec<Slot<'_>> = Vec::new();
    for callee in snapshot.cursor() {
        let state = match catch_unwind(AssertUnwindSafe(|| call(callee, signal).resolve())) {
            Err(payload) => SlotState::Finished(Err(FailureCause::Panic(payload))),
            Ok(Resolved::Skipped) => continue,
            Ok(Resolved::Done(outcome)) => {
                SlotState::Finished(outcome.map_err(FailureCause::Error))
            }
            Ok(Resolved::Pending(future)) => SlotState::Running(CatchUnwind::new(future)),
        };
        slots.push(Slot {
            name: callee.name(),
            state,
        });
    }
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for slot in &mut slots {
            if let SlotState::Running(future) = &mut slot.state {
                match Pin::new(future).poll(cx) {
                    Poll::Pending => pending = true,
                    Poll::Ready(outcome) => slot.state = SlotState::Finished(outcome),
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    let mut output = S::Output::empty();
    for (position, slot) in slots.into_iter().enumerate() {
        report.count_call();
        match slot.state {
            SlotState::Finished(Err(cause)) => {
                report.fail(Failure::new(slot.name, position, cause))
            }
            SlotState::Finished(Ok(Some(answer))) => output.push(slot.name, answer),
            _ => {}
        }
    }
    report.set_responses(output.into_responses());
    report
}

/// Wakes the thread that blocks on a future.
struct ThreadWaker(Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// What `send_blocking` says when called where it would hang.
#[cfg(feature = "tokio")]
const CURRENT_THREAD: &str = "`send_blocking` / `send_robust_blocking` was called inside a \
    current-thread tokio runtime: blocking its only thread would hang every receiver that awaits \
    the runtime (a timer, a socket, another task). Use `.send_async().await` \
    (or `.send_robust_async().await`) there, or a multi-thread runtime";

/// Polls a future to completion for a synchronous caller.
///
/// With the `tokio` feature, inside a tokio runtime: on a multi-thread
/// runtime, through `block_in_place` and the runtime's own `block_on`, so
/// that the receivers' timers, sockets and tasks keep running (the worker's
/// other tasks move to another thread); on a current-thread runtime, a panic
/// that says what to use instead, where parking the thread would hang.
/// Otherwise on the current thread, parking it between polls.
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    #[cfg(feature = "tokio")]
    if let Ok(handle) = tokio::runtime::Handle::try_current() {
        if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::CurrentThread {
            panic!("{CURRENT_THREAD}");
        }
        return tokio::task::block_in_place(|| handle.block_on(future));
    }
    park_on(future)
}

/// Polls a future to completion on the current thread, parking between
/// polls.
fn park_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        std::thread::park();
    }
}
