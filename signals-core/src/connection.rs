//! Run-time receivers: the options of a connect, and the guard that keeps a
//! receiver connected.

use std::borrow::Cow;
use std::fmt;

use crate::registry::Key;

/// Implemented by every signal's registry, so that a [`Connection`] can
/// disconnect without knowing the signal's type.
pub(crate) trait Disconnect: Sync {
    /// Removes the receiver at `key`; false if it was not connected.
    fn disconnect(&'static self, key: Key) -> bool;
}

/// A run-time receiver's registration. Dropping it disconnects the receiver;
/// so does [`disconnect`](Connection::disconnect). To keep a receiver for the
/// rest of the program, call [`forget`](Connection::forget).
///
/// A dispatch that already started still calls the receiver it saw at its
/// start; the next one does not.
#[must_use = "dropping a Connection disconnects its receiver at once; call `.forget()` to keep it connected"]
pub struct Connection {
    registry: Option<&'static dyn Disconnect>,
    /// Where the receiver sits in its signal's list.
    key: Key,
}

impl Connection {
    pub(crate) fn new(registry: &'static dyn Disconnect, key: Key) -> Self {
        Connection {
            registry: Some(registry),
            key,
        }
    }

    /// Disconnects the receiver now. It is safe to call from inside any
    /// receiver, including the one being disconnected.
    pub fn disconnect(mut self) {
        if let Some(registry) = self.registry.take() {
            registry.disconnect(self.key);
        }
    }

    /// Keeps the receiver connected for the rest of the program.
    pub fn forget(mut self) {
        self.registry = None;
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        if let Some(registry) = self.registry.take() {
            registry.disconnect(self.key);
        }
    }
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("id", &self.key.id())
            .field("connected", &self.registry.is_some())
            .finish()
    }
}

/// Options of a run-time receiver: its order and its name.
///
/// ```
/// use signals_core::ConnectOptions;
/// let options = ConnectOptions::new().order(-10).name("audit");
/// assert_eq!(options.get_order(), -10);
/// ```
#[derive(Clone, Debug, Default)]
pub struct ConnectOptions {
    pub(crate) order: i32,
    pub(crate) name: Option<Cow<'static, str>>,
}

impl ConnectOptions {
    /// Order 0, named after the closure's type.
    pub fn new() -> Self {
        ConnectOptions::default()
    }

    /// Lower orders run first; among equal orders, static receivers run
    /// before run-time ones, and run-time ones in connect order.
    pub fn order(mut self, order: i32) -> Self {
        self.order = order;
        self
    }

    /// The name that introspection, reports and errors show.
    pub fn name(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// The order set so far.
    pub fn get_order(&self) -> i32 {
        self.order
    }
}
