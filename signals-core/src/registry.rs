//! The per-signal registry: the static receivers linked into the binary,
//! sorted once, and the run-time receivers, swapped atomically.
//!
//! The read side (every send) takes no lock and allocates nothing: the sorted
//! static receivers sit in a `OnceLock`, and the run-time receivers in an
//! `ArcSwapOption` that is only loaded when the count says there are some.
//! Writers (connect, disconnect) serialise on a per-signal mutex, build a new
//! list, swap it in, and drop the old one after unlocking, so that a closure
//! whose drop disconnects something else cannot deadlock.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use arc_swap::{ArcSwapOption, Guard};

use crate::connection::{Connection, Disconnect};
use crate::receiver::{Kind, Location, ReceiverInfo, ReceiverName, StaticReceiver};

/// One run-time receiver.
pub(crate) struct DynEntry<D: ?Sized> {
    id: u64,
    pub(crate) order: i32,
    pub(crate) name: Arc<str>,
    location: Location,
    is_async: bool,
    pub(crate) handler: Arc<D>,
}

impl<D: ?Sized> Clone for DynEntry<D> {
    fn clone(&self) -> Self {
        DynEntry {
            id: self.id,
            order: self.order,
            name: Arc::clone(&self.name),
            location: self.location,
            is_async: self.is_async,
            handler: Arc::clone(&self.handler),
        }
    }
}

/// The run-time receivers of one signal, sorted by (order, connect order).
pub(crate) struct DynList<D: ?Sized> {
    entries: Vec<DynEntry<D>>,
}

/// What one connect call asks for. Built by the generated `connect` methods.
#[doc(hidden)]
pub struct DynReceiver<D: ?Sized> {
    pub(crate) order: i32,
    pub(crate) name: Arc<str>,
    pub(crate) location: Location,
    pub(crate) is_async: bool,
    pub(crate) handler: Arc<D>,
}

impl<D: ?Sized> DynReceiver<D> {
    pub(crate) fn new(
        order: i32,
        name: Arc<str>,
        location: Location,
        is_async: bool,
        handler: Arc<D>,
    ) -> Self {
        DynReceiver {
            order,
            name,
            location,
            is_async,
            handler,
        }
    }
}

/// The registry of one signal. `#[signal]` emits one `static` of this type per
/// signal; `H` is the static handler type (a higher-ranked function pointer)
/// and `D` the run-time handler type (a `dyn Fn`). Not public API.
#[doc(hidden)]
pub struct Registry<H: 'static, D: ?Sized + 'static> {
    collect: fn() -> Vec<&'static StaticReceiver<H>>,
    statics: OnceLock<Box<[StaticReceiver<H>]>>,
    dynamic: ArcSwapOption<DynList<D>>,
    dynamic_len: AtomicUsize,
    writer: Mutex<()>,
    next_id: AtomicU64,
}

impl<H: Copy + Send + Sync + 'static, D: ?Sized + Send + Sync + 'static> Registry<H, D> {
    /// `collect` lists the static receivers the backend (linkme or inventory)
    /// found; it is called once, on first use.
    pub const fn new(collect: fn() -> Vec<&'static StaticReceiver<H>>) -> Self {
        Registry {
            collect,
            statics: OnceLock::new(),
            dynamic: ArcSwapOption::const_empty(),
            dynamic_len: AtomicUsize::new(0),
            writer: Mutex::new(()),
            next_id: AtomicU64::new(0),
        }
    }

    /// The static receivers in call order, sorted on first use.
    pub(crate) fn statics(&self) -> &[StaticReceiver<H>] {
        self.statics.get_or_init(|| {
            let mut sorted: Vec<StaticReceiver<H>> =
                (self.collect)().into_iter().copied().collect();
            // The link order differs between builds, platforms and backends;
            // this key does not. Location breaks ties between equal names.
            sorted
                .sort_by(|a, b| (a.order, a.name, a.location).cmp(&(b.order, b.name, b.location)));
            sorted.into_boxed_slice()
        })
    }

    /// What one dispatch calls: the receivers connected when it starts.
    pub(crate) fn snapshot(&self) -> Snapshot<'_, H, D> {
        let dynamic = if self.dynamic_len.load(Ordering::Acquire) == 0 {
            None
        } else {
            Some(self.dynamic.load())
        };
        Snapshot {
            statics: self.statics(),
            dynamic,
        }
    }

    /// A snapshot that owns its run-time receivers, for dispatches that may
    /// be suspended (async): a short-lived `Guard` must not be held across
    /// an `.await`.
    pub(crate) fn snapshot_owned(&self) -> OwnedSnapshot<'_, H, D> {
        let dynamic = if self.dynamic_len.load(Ordering::Acquire) == 0 {
            None
        } else {
            self.dynamic.load_full()
        };
        OwnedSnapshot {
            statics: self.statics(),
            dynamic,
        }
    }

    pub(crate) fn has_receivers(&self) -> bool {
        !self.statics().is_empty() || self.dynamic_len.load(Ordering::Acquire) != 0
    }

    pub(crate) fn infos(&self) -> Vec<ReceiverInfo> {
        let snapshot = self.snapshot();
        let mut infos = Vec::new();
        for callee in snapshot.cursor() {
            infos.push(match callee {
                Callee::Static(r) => ReceiverInfo {
                    name: r.name.into(),
                    module_path: Some(r.module_path),
                    order: r.order,
                    location: r.location,
                    kind: Kind::Static,
                    is_async: r.is_async,
                },
                Callee::Dynamic(e) => ReceiverInfo {
                    name: e.name.to_string().into(),
                    module_path: None,
                    order: e.order,
                    location: e.location,
                    kind: Kind::Dynamic,
                    is_async: e.is_async,
                },
            });
        }
        infos
    }

    /// Adds a run-time receiver after every receiver of lower or equal order.
    pub fn connect(&'static self, receiver: DynReceiver<D>) -> Connection {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let entry = DynEntry {
            id,
            order: receiver.order,
            name: receiver.name,
            location: receiver.location,
            is_async: receiver.is_async,
            handler: receiver.handler,
        };
        let old = {
            let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
            let old = self.dynamic.load_full();
            let mut entries = old.as_ref().map_or_else(Vec::new, |l| l.entries.clone());
            let at = entries.partition_point(|e| e.order <= entry.order);
            entries.insert(at, entry);
            let len = entries.len();
            self.dynamic.store(Some(Arc::new(DynList { entries })));
            self.dynamic_len.store(len, Ordering::Release);
            old
        };
        drop(old);
        Connection::new(self, id)
    }
}

impl<H: Copy + Send + Sync + 'static, D: ?Sized + Send + Sync + 'static> Disconnect
    for Registry<H, D>
{
    fn disconnect(&self, id: u64) -> bool {
        let old = {
            let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
            let old = self.dynamic.load_full();
            let Some(list) = old.as_ref() else {
                return false;
            };
            if !list.entries.iter().any(|e| e.id == id) {
                return false;
            }
            let entries: Vec<_> = list
                .entries
                .iter()
                .filter(|e| e.id != id)
                .cloned()
                .collect();
            let len = entries.len();
            self.dynamic
                .store((len != 0).then(|| Arc::new(DynList { entries })));
            self.dynamic_len.store(len, Ordering::Release);
            old
        };
        // The removed closure (and whatever it captured) is dropped here,
        // outside the lock, unless a dispatch in flight still holds it.
        drop(old);
        true
    }
}

/// The receivers one dispatch calls, fixed when it starts.
pub(crate) struct Snapshot<'r, H: 'static, D: ?Sized + 'static> {
    statics: &'r [StaticReceiver<H>],
    dynamic: Option<Guard<Option<Arc<DynList<D>>>>>,
}

impl<H: Copy + 'static, D: ?Sized + 'static> Snapshot<'_, H, D> {
    pub(crate) fn len(&self) -> usize {
        self.statics.len()
            + self
                .dynamic
                .as_ref()
                .and_then(|g| g.as_ref().map(|l| l.entries.len()))
                .unwrap_or(0)
    }

    pub(crate) fn cursor(&self) -> Cursor<'_, H, D> {
        let dynamic = match &self.dynamic {
            Some(guard) => guard.as_ref().map_or(&[][..], |l| &l.entries[..]),
            None => &[],
        };
        Cursor {
            statics: self.statics,
            dynamic,
            next_static: 0,
            next_dynamic: 0,
        }
    }
}

/// The receivers one async dispatch calls, fixed when it starts.
pub(crate) struct OwnedSnapshot<'r, H: 'static, D: ?Sized + 'static> {
    statics: &'r [StaticReceiver<H>],
    dynamic: Option<Arc<DynList<D>>>,
}

impl<H: Copy + 'static, D: ?Sized + 'static> OwnedSnapshot<'_, H, D> {
    pub(crate) fn len(&self) -> usize {
        self.statics.len() + self.dynamic.as_ref().map_or(0, |l| l.entries.len())
    }

    pub(crate) fn cursor(&self) -> Cursor<'_, H, D> {
        Cursor {
            statics: self.statics,
            dynamic: self.dynamic.as_ref().map_or(&[][..], |l| &l.entries[..]),
            next_static: 0,
            next_dynamic: 0,
        }
    }
}

/// One receiver about to be called.
pub(crate) enum Callee<'r, H: 'static, D: ?Sized + 'static> {
    Static(&'r StaticReceiver<H>),
    Dynamic(&'r DynEntry<D>),
}

impl<H: 'static, D: ?Sized + 'static> Clone for Callee<'_, H, D> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<H: 'static, D: ?Sized + 'static> Copy for Callee<'_, H, D> {}

impl<H: 'static, D: ?Sized + 'static> Callee<'_, H, D> {
    pub(crate) fn name(&self) -> ReceiverName {
        match self {
            Callee::Static(r) => ReceiverName::Static(r.name),
            Callee::Dynamic(e) => ReceiverName::Shared(Arc::clone(&e.name)),
        }
    }
}

/// Walks the static and run-time receivers in call order: ascending order,
/// static before dynamic at equal order. Index based, so a dispatch that
/// catches a panic can resume after the receiver that panicked.
pub(crate) struct Cursor<'r, H: 'static, D: ?Sized + 'static> {
    statics: &'r [StaticReceiver<H>],
    dynamic: &'r [DynEntry<D>],
    next_static: usize,
    next_dynamic: usize,
}

impl<'r, H: 'static, D: ?Sized + 'static> Iterator for Cursor<'r, H, D> {
    type Item = Callee<'r, H, D>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        match (
            self.statics.get(self.next_static),
            self.dynamic.get(self.next_dynamic),
        ) {
            (Some(s), Some(d)) if s.order > d.order => {
                self.next_dynamic += 1;
                Some(Callee::Dynamic(d))
            }
            (Some(s), _) => {
                self.next_static += 1;
                Some(Callee::Static(s))
            }
            (None, Some(d)) => {
                self.next_dynamic += 1;
                Some(Callee::Dynamic(d))
            }
            (None, None) => None,
        }
    }
}
