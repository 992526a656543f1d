//! Run-time receivers: the options of a connect, and the guard that keeps a
//! receiver connected.

use std::borrow::Cow;
use std::fmt;

use crate::handler::NoFilter;
use crate::registry::Key;

/// Implemented by every signal's registry, so that a [`Connection`] can
/// disconnect without knowing the signal's type.
pub(crate) trait Disconnect: Sync {
    /// Removes the receiver at `key`; false if it was not connected.
    fn disconnect(&'static self, key: Key) -> bool;
}

/// Where a run-time receiver is registered: what a weak receiver needs to
/// disconnect itself. Not public API.
#[doc(hidden)]
#[derive(Clone, Copy)]
pub struct Registration {
    registry: &'static dyn Disconnect,
    key: Key,
}

impl Registration {
    pub(crate) fn new(registry: &'static dyn Disconnect, key: Key) -> Self {
        Registration { registry, key }
    }

    /// Removes the receiver; nothing if it is no longer connected.
    pub(crate) fn disconnect(&self) {
        self.registry.disconnect(self.key);
    }
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

    /// What a connect returns when it added nothing: a receiver with the same
    /// [`key`](ConnectOptions::key) is connected.
    pub(crate) fn refused(key: Key) -> Self {
        Connection {
            registry: None,
            key,
        }
    }

    /// True if this connect added its receiver, until it is disconnected;
    /// false if it added nothing because a receiver with the same
    /// [`key`](ConnectOptions::key) was connected (Django's `dispatch_uid`).
    ///
    /// ```
    /// use signals_core::{signal, ConnectOptions};
    ///
    /// #[signal]
    /// pub struct Saved { pub id: u64 }
    ///
    /// let first = Saved::connect_with(ConnectOptions::new().key("search-index"), |_: &Saved| {});
    /// let again = Saved::connect_with(ConnectOptions::new().key("search-index"), |_: &Saved| {});
    /// assert!(first.is_connected());
    /// assert!(!again.is_connected());
    /// assert_eq!(Saved::receivers().len(), 1);
    /// ```
    pub fn is_connected(&self) -> bool {
        self.registry.is_some()
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

/// Options of a run-time receiver: order, name, key and filter, for every
/// connect form (`connect_with`, `connect_async_with`, `connect_weak_with`).
///
/// ```
/// use signals_core::{signal, ConnectOptions};
///
/// #[signal]
/// pub struct Saved<'a> { pub table: &'a str, pub id: u64 }
///
/// let options = ConnectOptions::new()
///     .order(-10)                                     // before order 0
///     .name("search.reindex")                         // in reports and `receivers()`
///     .key("search.reindex")                          // connected once (Django's dispatch_uid)
///     .filter(|saved: &Saved| saved.table == "post"); // Django's sender=
/// let connection = Saved::connect_with(options, |saved: &Saved| println!("reindex {}", saved.id));
/// assert!(connection.is_connected());
/// Saved { table: "post", id: 1 }.send().unwrap(); // runs
/// Saved { table: "user", id: 2 }.send().unwrap(); // filtered out
/// ```
///
/// A filter's parameter needs its type written out (`|saved: &Saved|`):
/// the options do not know the signal until they are handed to a connect.
#[derive(Clone)]
pub struct ConnectOptions<P = NoFilter> {
    pub(crate) order: i32,
    pub(crate) name: Option<Cow<'static, str>>,
    pub(crate) key: Option<Cow<'static, str>>,
    pub(crate) filter: P,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            order: 0,
            name: None,
            key: None,
            filter: NoFilter,
        }
    }
}

impl ConnectOptions {
    /// Order 0, named after the `connect` call, no key, no filter.
    pub fn new() -> Self {
        ConnectOptions::default()
    }
}

impl<P> ConnectOptions<P> {
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

    /// Django's `dispatch_uid`: while a receiver connected with this key is
    /// connected to the signal, a connect with the same key adds nothing and
    /// returns a [`Connection`] whose
    /// [`is_connected`](Connection::is_connected) is false. Keys are per
    /// signal; the check and the add are one atomic step, so setup code run
    /// by several threads at once connects one receiver.
    pub fn key(mut self, key: impl Into<Cow<'static, str>>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// Runs the receiver only for the sends `filter` accepts (Django's
    /// `sender=`, Spring's `condition`). Write the parameter's type:
    /// `.filter(|event: &MySignal| event.id == 7)`. Setting a filter again
    /// replaces the first.
    pub fn filter<Q>(self, filter: Q) -> ConnectOptions<Q> {
        ConnectOptions {
            order: self.order,
            name: self.name,
            key: self.key,
            filter,
        }
    }

    /// The filter apart from the rest, which the registry keeps.
    pub(crate) fn split(self) -> (ConnectOptions, P) {
        let options = ConnectOptions {
            order: self.order,
            name: self.name,
            key: self.key,
            filter: NoFilter,
        };
        (options, self.filter)
    }
}

impl<P> fmt::Debug for ConnectOptions<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectOptions")
            .field("order", &self.order)
            .field("name", &self.name)
            .field("key", &self.key)
            .field(
                "filtered",
                &(std::any::type_name::<P>() != std::any::type_name::<NoFilter>()),
            )
            .finish()
    }
}
