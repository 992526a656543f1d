//! A signal visible only inside this crate: `tests/ui/fail` shows the error
//! another crate gets when it receives it.

/// Internal events.
pub mod events {
    use signals_core::signal;

    /// Sent and received only inside this crate.
    #[signal]
    pub(crate) struct Internal {}
}

/// Sends the internal signal, so that it is used.
pub fn send_internal() {
    events::Internal {}.send().ok();
}
