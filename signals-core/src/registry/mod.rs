//! The per-signal registry: the static receivers linked into the binary,
//! sorted once, and the run-time receivers, swapped atomically.
//!
//! - [`statics`]: the static receivers, read in place from the backend's
//!   records, in a call order computed on first use;
//! - [`list`]: the run-time list, every receiver in call order once one is
//!   connected at run time, a persistent tree that a connect or a disconnect
//!   copies in O(log n);
//! - this module: the registry, and connecting and disconnecting;
//! - [`introspect`]: the receivers described, for `S::receivers()`;
//! - [`snapshot`]: what one dispatch calls, and the cursors that walk it.
//!
//! The code that walks the run-time list (the signal's sends over it, its
//! descent from leaf to leaf, its introspection, a disconnect's removal) is
//! reached through pointers that the first connect stores
//! ([`snapshot::Stored`]; the sends are `Signal::__Sends`): a signal that
//! never connects a receiver at run time compiles none of it. The registry
//! itself is one type for every signal: what needs the signal's handler
//! types takes them as type parameters. From that first
//! connect on, a list is always published, the static receivers' alone once
//! every run-time one is gone, so that a dispatch that saw a receiver
//! connected always finds one.
//!
//! The read side (every send) takes no lock and allocates nothing. While no
//! run-time receiver is connected, which a count says, a send walks the
//! static records in call order, in a loop that is the same for every
//! signal, as a hand-written linkme slice would. Otherwise it loads the
//! run-time list from an `ArcSwapOption` and walks it.
//!
//! Writers (connect, disconnect) serialise on a per-signal mutex, build the
//! new list from the old one, swap it in, and drop the old one after
//! unlocking, so that a closure whose drop disconnects something else cannot
//! deadlock.
//!
//! Everything generic over the signal is kept small: code generic over a
//! signal is compiled once per signal, so sorting, introspection and the
//! lock-free swap work on types that are the same for every signal
//! ([`Meta`](crate::receiver::Meta), [`statics::Order`], [`list::DynMeta`],
//! [`list::Erased`]) where they can.

mod introspect;
mod list;
mod snapshot;
mod statics;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use arc_swap::ArcSwapOption;

use crate::connection::{Connection, Disconnect, Registration};
use crate::handler::Liveness;
use crate::receiver::{Location, ReceiverInfo, StaticReceiver};

pub(crate) use list::dropped;
pub(crate) use list::Key;
use list::{DynEntry, DynMeta, Erased, List, Planned};
use snapshot::Stored;
pub(crate) use snapshot::{Callee, Merging, Named, OwnedSnapshot, StaticCursor, Walk};
pub(crate) use statics::CallOrder;
pub use statics::Gathered;
pub(crate) use statics::Statics;
use statics::{metas, Order};

/// What one connect call asks for. Built by the generated `connect` methods.
#[doc(hidden)]
pub struct DynReceiver<D: ?Sized> {
    pub(crate) order: i32,
    pub(crate) name: Arc<str>,
    pub(crate) location: Location,
    pub(crate) is_async: bool,
    pub(crate) is_filtered: bool,
    /// Django's `dispatch_uid`: connected at most once while connected.
    pub(crate) uid: Option<Cow<'static, str>>,
    pub(crate) handler: Arc<D>,
}

impl<D: ?Sized> DynReceiver<D> {
    pub(crate) fn new(
        order: i32,
        name: Arc<str>,
        location: Location,
        is_async: bool,
        is_filtered: bool,
        uid: Option<Cow<'static, str>>,
        handler: Arc<D>,
    ) -> Self {
        DynReceiver {
            order,
            name,
            location,
            is_async,
            is_filtered,
            uid,
            handler,
        }
    }
}

/// The registry of one signal. `#[signal]` emits one `static` of this type per
/// signal. The same type for every signal: the methods that need the
/// signal's handler types (`H`, the static handler, a higher-ranked function
/// pointer, and `D`, the run-time handler, a `dyn Call`) take them as type
/// parameters and the signal's records (`Signal::__records`) as an
/// argument, so that the registry's own code, its `static`'s type and its
/// debug info are compiled once, not once per signal. Not public API.
#[doc(hidden)]
pub struct Registry {
    /// The call order of the static receivers, computed on first use.
    order: Order,
    /// A `List<Planned<H, D>>`, behind a type that is the same for every
    /// signal; `None` while no run-time receiver is connected.
    dynamic: ArcSwapOption<Erased>,
    /// How many run-time receivers are connected.
    dynamic_len: AtomicUsize,
    /// The code that walks `dynamic` and the signal's sends over it
    /// (`Signal::__Sends`), stored by the first connect: compiled only for
    /// the signals that connect a receiver at run time. Behind a type that
    /// is the same for every signal, so that the registry's type, which is
    /// described once per signal in debug info, does not spell the types
    /// of the run-time list.
    merged: OnceLock<Stored>,
    /// Serialises writers; holds the keys of the keyed receivers.
    writer: Mutex<Uids>,
    next_id: AtomicU64,
}

// The fields of an empty registry that are the same for every signal, as
// constants: evaluated once, where calls in `Registry::new` would be
// evaluated again for each signal's `static`. Only ever copied into a
// registry, never used in place.
#[allow(clippy::declare_interior_mutable_const)]
const ORDER: Order = Order::new();
#[allow(clippy::declare_interior_mutable_const)]
const DYNAMIC: ArcSwapOption<Erased> = ArcSwapOption::const_empty();
#[allow(clippy::declare_interior_mutable_const)]
const MERGED: OnceLock<Stored> = OnceLock::new();
#[allow(clippy::declare_interior_mutable_const)]
const WRITER: Mutex<Uids> = Mutex::new(Uids::new());

/// The keys (`ConnectOptions::key`) of the connected keyed receivers, both
/// ways: a connect looks a key up, a disconnect the receiver's place.
pub(crate) struct Uids {
    by_uid: BTreeMap<Cow<'static, str>, Key>,
    by_key: BTreeMap<Key, Cow<'static, str>>,
}

impl Uids {
    const fn new() -> Self {
        Uids {
            by_uid: BTreeMap::new(),
            by_key: BTreeMap::new(),
        }
    }

    fn remove(&mut self, key: Key) {
        if let Some(uid) = self.by_key.remove(&key) {
            self.by_uid.remove(&uid);
        }
    }
}

impl Registry {
    /// An empty registry, for a signal's `static`.
    #[allow(clippy::new_without_default)] // only ever a `static`'s value
    pub const fn new() -> Self {
        Registry {
            order: ORDER,
            dynamic: DYNAMIC,
            dynamic_len: AtomicUsize::new(0),
            merged: MERGED,
            writer: WRITER,
            next_id: AtomicU64::new(0),
        }
    }

    /// The static receivers `records` in call order, sorted on first use.
    #[inline]
    pub(crate) fn statics<H>(&'static self, records: &'static [StaticReceiver<H>]) -> Statics<H> {
        Statics::new(records, &self.order)
    }

    /// The call order of the static receivers `records` (the signal's,
    /// `Signal::__records`), while no run-time receiver is connected: all a
    /// dispatch that starts now calls, with no snapshot to take.
    #[inline(always)]
    pub(crate) fn static_order<H>(
        &'static self,
        records: &'static [StaticReceiver<H>],
    ) -> Option<CallOrder> {
        if self.dynamic_len.load(Ordering::Acquire) == 0 {
            Some(self.order.of(records))
        } else {
            None
        }
    }

    /// What a synchronous dispatch calls when [`static_order`](Self::static_order)
    /// found a receiver connected at run time: the run-time list, loaded
    /// once.
    #[inline]
    pub(crate) fn merging<H, D: ?Sized>(&'static self) -> Merging<H, D> {
        Merging {
            list: self.dynamic.load(),
            handlers: PhantomData,
        }
    }

    /// The signal's sends that walk the run-time list (`Signal::__Sends`),
    /// for a dispatch that [`static_order`](Self::static_order) found a
    /// receiver connected at run time: stored before any list was
    /// published.
    #[inline]
    pub(crate) fn sends<R: Copy + 'static>(&'static self) -> R {
        Stored::sends(&self.merged)
    }

    /// A snapshot that owns its run-time receivers, for dispatches that may
    /// be suspended (async): a short-lived `Guard` must not be held across
    /// an `.await`.
    #[inline]
    pub(crate) fn snapshot_owned<H, D: ?Sized>(
        &'static self,
        records: &'static [StaticReceiver<H>],
    ) -> OwnedSnapshot<'static, H, D> {
        let dynamic = if self.dynamic_len.load(Ordering::Acquire) == 0 {
            None
        } else {
            self.dynamic.load_full()
        };
        OwnedSnapshot {
            statics: self.statics(records),
            dynamic,
            merged: &self.merged,
            handlers: PhantomData,
        }
    }

    /// Whether the signal has a receiver, given how many static receivers
    /// it has.
    pub(crate) fn has_receivers(&self, statics: usize) -> bool {
        statics != 0 || self.dynamic_len.load(Ordering::Acquire) != 0
    }

    /// Every receiver, described in call order. Only reaching the records
    /// is generic; the rest is compiled once.
    #[inline]
    pub(crate) fn infos<H>(
        &'static self,
        records: &'static [StaticReceiver<H>],
    ) -> Vec<ReceiverInfo> {
        introspect::infos(
            &self.dynamic,
            &self.merged,
            &self.order,
            records.len(),
            &metas(records),
        )
    }

    /// Adds a run-time receiver after every receiver of lower or equal order,
    /// unless it has a key that a connected receiver has. `records` are the
    /// signal's static receivers (`Signal::__records`), which the first
    /// run-time list holds too; `sends` its sends over the run-time list
    /// (`Signal::__sends`), which the first connect stores.
    pub fn connect<H, D, R>(
        &'static self,
        receiver: DynReceiver<D>,
        records: &'static [StaticReceiver<H>],
        sends: R,
    ) -> Connection
    where
        H: Copy + Send + Sync + 'static,
        D: ?Sized + Liveness + Send + Sync + 'static,
        R: Copy + Send + Sync + 'static,
    {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let key = Key::of_run_time(receiver.order, id);
        receiver.handler.bind(Registration::new(self, key));
        // Before any list is published: whoever loads one finds its code.
        self.merged.get_or_init(|| Stored::new::<H, D, R>(sends));
        let uid = receiver.uid;
        let entry = Planned::Dynamic(Arc::new(DynEntry {
            meta: DynMeta {
                order: receiver.order,
                name: receiver.name,
                location: receiver.location,
                is_async: receiver.is_async,
                is_filtered: receiver.is_filtered,
            },
            handler: receiver.handler,
        }));
        let old = {
            let mut writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(uid) = uid {
                if writer.by_uid.contains_key(&uid) {
                    drop(writer);
                    // The refused closure is dropped here, outside the lock.
                    drop(entry);
                    return Connection::refused(key);
                }
                writer.by_uid.insert(uid.clone(), key);
                writer.by_key.insert(key, uid);
            }
            let old = self.dynamic.load_full();
            let list = match old.as_deref() {
                Some(old) => old.get::<H, D>().insert(key, entry),
                None => self.first_list(records).insert(key, entry),
            };
            self.dynamic.store(Some(Arc::new(Erased::new(list))));
            self.dynamic_len.fetch_add(1, Ordering::Release);
            old
        };
        drop(old);
        Connection::new(self, key)
    }

    /// The list of the static receivers alone, to which the first run-time
    /// receiver is added.
    fn first_list<H, D: ?Sized>(
        &'static self,
        records: &'static [StaticReceiver<H>],
    ) -> List<Planned<H, D>> {
        let statics = self.statics(records);
        let records = statics.records();
        let mut list = List::new();
        for (index, &at) in statics.order().iter().enumerate() {
            let record = &records[at as usize];
            list = list.insert(
                Key::of_static(record.meta.order, index),
                Planned::Static(record),
            );
        }
        list
    }
}

impl Disconnect for Registry {
    fn disconnect(&'static self, key: Key) -> bool {
        let old = {
            let mut writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
            writer.remove(key);
            let old = self.dynamic.load_full();
            let Some(list) = old.as_deref() else {
                return false;
            };
            // A list is published only after the code that walks it is
            // stored, by the connect that added the key.
            let Some(list) = Stored::remove(&self.merged, list, key) else {
                return false;
            };
            // Once the last run-time receiver is gone, the list of the
            // static receivers alone stays: a dispatch that saw the count
            // before this store still finds a list ([`Merging`]), and the
            // count sends the next ones back to the static walk.
            self.dynamic.store(Some(Arc::new(list)));
            let len = self.dynamic_len.load(Ordering::Relaxed) - 1;
            self.dynamic_len.store(len, Ordering::Release);
            old
        };
        // The removed closure (and whatever it captured) is dropped here,
        // outside the lock, unless a dispatch in flight still holds it.
        drop(old);
        true
    }
}
