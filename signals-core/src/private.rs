//! Not public API: what the code `#[signal]` and `#[receiver]` generate
//! reaches through `::signals_core::__private_X_Y_Z`. Anything here may change in a
//! patch release.

pub use crate::catalog::SignalRecord;
crate::linkme_targets! {
    supported:
    pub use crate::catalog::SIGNALS;
}
#[cfg(feature = "testing")]
pub use crate::handler::Project;
pub use crate::handler::{Async, AsyncStatic, Call, Filtered, Plain, Weakly};
pub use crate::outcome::{BoxError, Collect};
use crate::receiver::Location;
use crate::receiver::Meta;
pub use crate::receiver::StaticReceiver;

/// Where a receiver is written: `file!()`, `line!()` and `column!()` at its
/// name.
#[inline]
pub const fn location(file: &'static str, line: u32, column: u32) -> Location {
    Location::new(file, line, column)
}

impl<H: 'static> StaticReceiver<H> {
    /// A static receiver's record: at order 0, neither async nor filtered
    /// unless the methods below say so, which the expansion calls only then.
    #[inline]
    pub const fn new(
        name: &'static str,
        module_path: &'static str,
        location: Location,
        handler: H,
    ) -> Self {
        StaticReceiver {
            meta: Meta {
                name,
                module_path,
                order: 0,
                location,
                is_async: false,
                is_filtered: false,
            },
            handler,
        }
    }

    /// `#[receiver(order = N)]`.
    #[inline]
    pub const fn order(mut self, order: i32) -> Self {
        self.meta.order = order;
        self
    }

    /// An `async fn` receiver.
    #[inline]
    pub const fn asynchronous(mut self) -> Self {
        self.meta.is_async = true;
        self
    }

    /// `#[receiver(filter = path)]`.
    #[inline]
    pub const fn filtered(mut self) -> Self {
        self.meta.is_filtered = true;
        self
    }
}

pub use crate::dispatch::{send_merged, send_robust_merged, Sends};
pub use crate::registry::{Gathered, Registry};

/// A static receiver's record in the slice of signal `S`:
/// `StaticReceiver<for<'b> fn(&'b S) -> Step<'b>>`, named short so that the
/// generated statics and their slice check spell one path.
pub type Record<S> = StaticReceiver<<S as Signal>::__Handler>;

/// What an inventory signal's records are gathered into.
pub type GatheredOf<S> = Gathered<<S as Signal>::__Handler>;
pub use crate::step::{BoxFuture, Step};

pub use crate::durable::{DurableReceiver, DEFAULT_RETRIES};
crate::linkme_targets! {
    supported:
    pub use crate::durable::DURABLE_RECEIVERS;
}

#[cfg(feature = "inventory")]
pub use inventory;
pub use linkme;

pub use core::future::Future;
pub use std::boxed::Box;
pub use std::sync::Arc;
pub use std::vec::Vec;

use crate::connection::Connection;
use crate::registry::DynReceiver;
use crate::signal::Signal;
use crate::ConnectOptions;

/// What the generated `connect*_with` methods connect: the options without
/// their filter, the default name (the type name of the user's receiver
/// `F`) and `handler` (the user's receiver wrapped in a [`Call`] type)
/// behind the filter. The `Arc` becomes the signal's `Arc<dyn Call>` where
/// the signal's type is known, in the generated method.
#[inline]
pub fn filtered<P, F, C>(
    options: ConnectOptions<P>,
    handler: C,
) -> (ConnectOptions, &'static str, Arc<Filtered<P, C>>) {
    let (options, filter) = options.split();
    let name = core::any::type_name::<F>();
    (options, name, Arc::new(Filtered::new(filter, handler)))
}

/// `connect_weak_with`'s result: whether `connection` added a receiver
/// (none is added when one with the same key is connected); the receiver
/// stays connected until its target is dropped.
#[inline]
pub fn added(connection: Connection) -> bool {
    let added = connection.is_connected();
    connection.forget();
    added
}

/// Connects a run-time receiver: the body of the generated `connect_with`
/// and `connect_weak_with`, which wrap the user's closure in a [`Call`] type.
///
/// `default_name` is the closure's type name; a closure's is unreadable
/// (`main::{{closure}}`), so it is named after the `connect` call instead.
#[track_caller]
pub fn connect<S: Signal>(
    options: ConnectOptions,
    default_name: &'static str,
    handler: Arc<S::__Dyn>,
) -> Connection {
    connect_as::<S>(options, default_name, Flavour::Sync, handler)
}

/// [`connect`] for an async receiver: the body of the generated
/// `connect_async_with`.
#[track_caller]
pub fn connect_async<S: Signal>(
    options: ConnectOptions,
    default_name: &'static str,
    handler: Arc<S::__Dyn>,
) -> Connection {
    connect_as::<S>(options, default_name, Flavour::Async, handler)
}

/// Whether a run-time receiver returns a future.
#[derive(PartialEq, Eq)]
enum Flavour {
    Sync,
    Async,
}

#[track_caller]
fn connect_as<S: Signal>(
    options: ConnectOptions,
    default_name: &'static str,
    flavour: Flavour,
    handler: Arc<S::__Dyn>,
) -> Connection {
    let location = Location::from_caller(std::panic::Location::caller());
    let name: Arc<str> = match options.name {
        Some(name) => Arc::from(&*name),
        None if default_name.contains("{{closure}}") => {
            Arc::from(format!("{}:{}", location.file(), location.line()))
        }
        None => Arc::from(default_name),
    };
    let is_filtered = Call::<S>::is_filtered(&*handler);
    S::__registry().connect(
        DynReceiver::new(
            options.order,
            name,
            location,
            flavour == Flavour::Async,
            is_filtered,
            options.key,
            handler,
        ),
        S::__records(),
        S::__sends(),
    )
}

/// Starts a recording of the current thread's sends of `S`: the body of the
/// generated `record` (feature `testing`).
#[cfg(feature = "testing")]
pub fn record<S: Signal, T>(
    values: Arc<std::sync::Mutex<Vec<T>>>,
    handler: Arc<S::__Dyn>,
) -> crate::testing::Recording<T> {
    crate::testing::record::<S, T>(values, handler, crate::testing::Threads::Current)
}

/// [`record`] for the sends of every thread: the body of the generated
/// `record_all_threads`.
#[cfg(feature = "testing")]
pub fn record_all_threads<S: Signal, T>(
    values: Arc<std::sync::Mutex<Vec<T>>>,
    handler: Arc<S::__Dyn>,
) -> crate::testing::Recording<T> {
    crate::testing::record::<S, T>(values, handler, crate::testing::Threads::All)
}

/// The bodies of the generated `connect*` methods of a signal without
/// lifetimes, written once here: each method is
/// one call to the function of its name, whose bounds are the method's own
/// where clause, so that the user's crate checks one call per method instead
/// of the wrapping and the coercion to the signal's `dyn Call` (about 40% of
/// the type and borrow checking of a `#[signal]` before).
///
/// Only for signals without lifetimes: their run-time handler type is
/// `dyn Call<S> + Send + Sync`, which `S: Signal<__Dyn = Dyn<S>>` lets
/// generic code coerce to. A signal with lifetimes has
/// `dyn for<'a> Call<S<'a>> + ...`, which no bound on one `S` can name; its
/// methods keep the wrapping in their own bodies.
pub mod lifetime_free {
    use std::sync::Arc;

    use super::{added, filtered, Call, Plain, Weakly};
    use crate::connection::Connection;
    use crate::handler::{Async, AsyncReceiver, Filter, NoFilter};
    use crate::outcome::IntoOutcome;
    use crate::signal::Signal;
    use crate::ConnectOptions;

    /// The run-time handler type of a signal without lifetimes.
    pub type Dyn<S> = dyn Call<S> + Send + Sync;

    /// `S::connect`.
    #[track_caller]
    pub fn connect<S, F, R>(receiver: F) -> Connection
    where
        S: Signal<__Dyn = Dyn<S>> + 'static,
        F: Fn(&S) -> R + Send + Sync + 'static,
        R: IntoOutcome<S::Response>,
    {
        connect_with::<S, NoFilter, F, R>(ConnectOptions::new(), receiver)
    }

    /// `S::connect_filtered`.
    #[track_caller]
    pub fn connect_filtered<S, P, F, R>(filter: P, receiver: F) -> Connection
    where
        S: Signal<__Dyn = Dyn<S>> + 'static,
        P: Fn(&S) -> bool + Send + Sync + 'static,
        F: Fn(&S) -> R + Send + Sync + 'static,
        R: IntoOutcome<S::Response>,
    {
        connect_with::<S, P, F, R>(ConnectOptions::new().filter(filter), receiver)
    }

    /// `S::connect_with`.
    #[track_caller]
    pub fn connect_with<S, P, F, R>(options: ConnectOptions<P>, receiver: F) -> Connection
    where
        S: Signal<__Dyn = Dyn<S>> + 'static,
        P: Filter<S> + 'static,
        F: Fn(&S) -> R + Send + Sync + 'static,
        R: IntoOutcome<S::Response>,
    {
        let (options, name, handler) =
            filtered::<P, F, _>(options, Plain::<F, S::Output>::new(receiver));
        super::connect::<S>(options, name, handler)
    }

    /// `S::connect_weak`.
    #[track_caller]
    pub fn connect_weak<S, T, F, R>(target: &Arc<T>, receiver: F)
    where
        S: Signal<__Dyn = Dyn<S>> + 'static,
        T: Send + Sync + 'static,
        F: Fn(&T, &S) -> R + Send + Sync + 'static,
        R: IntoOutcome<S::Response>,
    {
        let _added =
            connect_weak_with::<S, NoFilter, T, F, R>(ConnectOptions::new(), target, receiver);
    }

    /// `S::connect_weak_with`.
    #[track_caller]
    pub fn connect_weak_with<S, P, T, F, R>(
        options: ConnectOptions<P>,
        target: &Arc<T>,
        receiver: F,
    ) -> bool
    where
        S: Signal<__Dyn = Dyn<S>> + 'static,
        P: Filter<S> + 'static,
        T: Send + Sync + 'static,
        F: Fn(&T, &S) -> R + Send + Sync + 'static,
        R: IntoOutcome<S::Response>,
    {
        let weakly = Weakly::<T, F, S::Output>::new(target, receiver);
        let (options, name, handler) = filtered::<P, F, _>(options, weakly);
        added(super::connect::<S>(options, name, handler))
    }

    /// `S::connect_async`.
    #[track_caller]
    pub fn connect_async<S, F>(receiver: F) -> Connection
    where
        S: Signal<__Dyn = Dyn<S>> + 'static,
        F: for<'b> AsyncReceiver<'b, S, S::Response> + Send + Sync + 'static,
    {
        connect_async_with::<S, NoFilter, F>(ConnectOptions::new(), receiver)
    }

    /// `S::connect_async_with`.
    #[track_caller]
    pub fn connect_async_with<S, P, F>(options: ConnectOptions<P>, receiver: F) -> Connection
    where
        S: Signal<__Dyn = Dyn<S>> + 'static,
        P: Filter<S> + 'static,
        F: for<'b> AsyncReceiver<'b, S, S::Response> + Send + Sync + 'static,
    {
        let (options, name, handler) =
            filtered::<P, F, _>(options, Async::<F, S::Output>::new(receiver));
        super::connect_async::<S>(options, name, handler)
    }
}
