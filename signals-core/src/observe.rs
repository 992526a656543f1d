//! `tracing` integration (feature `tracing`): a span per send, an ERROR event
//! per failing receiver. Without the feature every function here is empty
//! and inlined away.

#[cfg(feature = "tracing")]
pub(crate) type Span = tracing::Span;

/// A unit stand-in, so callers need no `cfg` of their own.
#[cfg(not(feature = "tracing"))]
#[derive(Clone)]
pub(crate) struct Span;

#[inline(always)]
pub(crate) fn send_span(signal: &'static str, receivers: usize, kind: &'static str) -> Span {
    #[cfg(feature = "tracing")]
    {
        tracing::debug_span!("signal.send", signal, receivers, kind)
    }
    #[cfg(not(feature = "tracing"))]
    {
        let _ = (signal, receivers, kind);
        Span
    }
}

#[inline(always)]
pub(crate) fn receiver_failed(
    signal: &'static str,
    receiver: &str,
    error: &(dyn std::error::Error + 'static),
) {
    #[cfg(feature = "tracing")]
    tracing::error!(signal, receiver, error = %error, "signal receiver returned an error");
    #[cfg(not(feature = "tracing"))]
    let _ = (signal, receiver, error);
}

#[inline(always)]
pub(crate) fn receiver_panicked(signal: &'static str, receiver: &str, message: Option<&str>) {
    #[cfg(feature = "tracing")]
    tracing::error!(
        signal,
        receiver,
        panic = message.unwrap_or("(not a string)"),
        "signal receiver panicked"
    );
    #[cfg(not(feature = "tracing"))]
    let _ = (signal, receiver, message);
}
