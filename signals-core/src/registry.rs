//! The per-signal registry: the static receivers linked into the binary,
//! sorted once, and the run-time receivers, swapped atomically.
//!
//! The read side (every send) takes no lock and allocates nothing. The sorted
//! static receivers sit in a `OnceLock`, their handlers in a slice of their
//! own: while no run-time receiver is connected, which a count says, a send
//! walks that slice of function pointers as a hand-written linkme slice would.
//! The run-time receivers sit in an `ArcSwapOption`, already merged with the
//! static ones in call order, so that a send with run-time receivers also
//! walks one slice.
//!
//! Writers (connect, disconnect) serialise on a per-signal mutex, build a new
//! list, swap it in, and drop the old one after unlocking, so that a closure
//! whose drop disconnects something else cannot deadlock.

use std::marker::PhantomData;
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

/// The run-time receivers of one signal, merged with the static ones in
/// call order. Built once per connect or disconnect, so that a send walks one
/// slice instead of merging two.
pub(crate) struct DynList<H: 'static, D: ?Sized> {
    plan: Box<[Planned<H, D>]>,
}

/// One receiver in a [`DynList`].
pub(crate) enum Planned<H: 'static, D: ?Sized> {
    /// A static receiver: its handler, in the registry's [`Statics`].
    Static(&'static H),
    Dynamic(DynEntry<D>),
}

impl<H: Copy + 'static, D: ?Sized> DynList<H, D> {
    /// The list of `entries`, which are sorted by (order, connect order);
    /// `None` if there are none.
    fn new(entries: Vec<DynEntry<D>>, statics: &'static Statics<H>) -> Option<Arc<Self>> {
        if entries.is_empty() {
            return None;
        }
        // Ascending order; at equal order, static receivers first.
        let mut plan = Vec::with_capacity(statics.len() + entries.len());
        let mut handlers = statics
            .handlers
            .iter()
            .zip(statics.records.iter())
            .peekable();
        for entry in entries {
            while let Some((handler, _)) = handlers.next_if(|(_, r)| r.order <= entry.order) {
                plan.push(Planned::Static(handler));
            }
            plan.push(Planned::Dynamic(entry));
        }
        plan.extend(handlers.map(|(handler, _)| Planned::Static(handler)));
        Some(Arc::new(DynList {
            plan: plan.into_boxed_slice(),
        }))
    }

    /// The run-time receivers, in call order.
    fn entries(&self) -> impl Iterator<Item = &DynEntry<D>> {
        self.plan.iter().filter_map(|planned| match planned {
            Planned::Static(_) => None,
            Planned::Dynamic(entry) => Some(entry),
        })
    }
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
    statics: OnceLock<Statics<H>>,
    dynamic: ArcSwapOption<DynList<H, D>>,
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
    #[inline]
    pub(crate) fn statics(&self) -> &Statics<H> {
        self.statics
            .get_or_init(|| Statics::sorted((self.collect)().into_iter().copied().collect()))
    }

    /// The static receivers, when no run-time receiver is connected: all a
    /// dispatch that starts now calls, with no snapshot to take.
    #[inline]
    pub(crate) fn statics_only(&self) -> Option<&Statics<H>> {
        if self.dynamic_len.load(Ordering::Acquire) == 0 {
            Some(self.statics())
        } else {
            None
        }
    }

    /// What one dispatch calls: the receivers connected when it starts.
    #[inline]
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
    #[inline]
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
                Callee::Static(slot) => {
                    let r = snapshot.statics.record(slot);
                    ReceiverInfo {
                        name: r.name.into(),
                        module_path: Some(r.module_path),
                        order: r.order,
                        location: r.location,
                        kind: Kind::Static,
                        is_async: r.is_async,
                    }
                }
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
            let mut entries: Vec<_> = old.iter().flat_map(|l| l.entries()).cloned().collect();
            let at = entries.partition_point(|e| e.order <= entry.order);
            entries.insert(at, entry);
            let len = entries.len();
            self.dynamic.store(DynList::new(entries, self.statics()));
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
    fn disconnect(&'static self, id: u64) -> bool {
        let old = {
            let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
            let old = self.dynamic.load_full();
            let Some(list) = old.as_ref() else {
                return false;
            };
            if !list.entries().any(|e| e.id == id) {
                return false;
            }
            let entries: Vec<_> = list.entries().filter(|e| e.id != id).cloned().collect();
            let len = entries.len();
            self.dynamic.store(DynList::new(entries, self.statics()));
            self.dynamic_len.store(len, Ordering::Release);
            old
        };
        // The removed closure (and whatever it captured) is dropped here,
        // outside the lock, unless a dispatch in flight still holds it.
        drop(old);
        true
    }
}

/// The static receivers of one signal, in call order.
///
/// The handlers are kept apart from the records, contiguous, so that a send
/// walks a slice of function pointers exactly as a hand-written linkme slice
/// does. The records (names, orders) are read only when a receiver fails, when
/// run-time receivers must be merged in, and by introspection.
pub(crate) struct Statics<H: 'static> {
    handlers: Box<[H]>,
    records: Box<[StaticReceiver<H>]>,
}

impl<H: Copy + 'static> Statics<H> {
    fn sorted(mut records: Vec<StaticReceiver<H>>) -> Self {
        // The link order differs between builds, platforms and backends;
        // this key does not. Location breaks ties between equal names.
        records.sort_by(|a, b| (a.order, a.name, a.location).cmp(&(b.order, b.name, b.location)));
        Statics {
            handlers: records.iter().map(|r| r.handler).collect(),
            records: records.into_boxed_slice(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.handlers.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.handlers.is_empty()
    }

    /// Walks the static receivers in call order.
    #[inline]
    pub(crate) fn cursor<D: ?Sized>(&self) -> StaticCursor<'_, H, D> {
        StaticCursor::new(self)
    }

    /// The record of the receiver whose handler is `slot`, an element of
    /// `handlers`. The send loops carry that reference rather than an index,
    /// which they would have to keep alive across every call.
    fn record(&self, slot: &H) -> &StaticReceiver<H> {
        let offset = slot as *const H as usize - self.handlers.as_ptr() as usize;
        &self.records[offset / std::mem::size_of::<H>().max(1)]
    }
}

/// The receivers one dispatch calls, fixed when it starts.
pub(crate) struct Snapshot<'r, H: 'static, D: ?Sized + 'static> {
    statics: &'r Statics<H>,
    dynamic: Option<Loaded<H, D>>,
}

/// The run-time receivers as a snapshot holds them while it lives.
type Loaded<H, D> = Guard<Option<Arc<DynList<H, D>>>>;

impl<'r, H: Copy + 'static, D: ?Sized + 'static> Snapshot<'r, H, D> {
    fn dynamic(&self) -> Option<&DynList<H, D>> {
        self.dynamic.as_ref().and_then(|guard| guard.as_deref())
    }

    pub(crate) fn statics(&self) -> &'r Statics<H> {
        self.statics
    }

    pub(crate) fn len(&self) -> usize {
        self.dynamic().map_or(self.statics.len(), |l| l.plan.len())
    }

    /// Every receiver, static and run-time, in call order.
    pub(crate) fn cursor(&self) -> Cursor<'_, H, D> {
        Cursor::new(self.statics, self.dynamic())
    }
}

/// The receivers one async dispatch calls, fixed when it starts.
pub(crate) struct OwnedSnapshot<'r, H: 'static, D: ?Sized + 'static> {
    statics: &'r Statics<H>,
    dynamic: Option<Arc<DynList<H, D>>>,
}

impl<'r, H: Copy + 'static, D: ?Sized + 'static> OwnedSnapshot<'r, H, D> {
    pub(crate) fn statics(&self) -> &'r Statics<H> {
        self.statics
    }

    pub(crate) fn len(&self) -> usize {
        self.dynamic
            .as_ref()
            .map_or(self.statics.len(), |l| l.plan.len())
    }

    /// Every receiver, static and run-time, in call order.
    pub(crate) fn cursor(&self) -> Cursor<'_, H, D> {
        Cursor::new(self.statics, self.dynamic.as_deref())
    }
}

/// One receiver about to be called.
pub(crate) enum Callee<'r, H: 'static, D: ?Sized + 'static> {
    /// A static receiver: its handler, in [`Statics`].
    Static(&'r H),
    Dynamic(&'r DynEntry<D>),
}

impl<H: Copy + 'static, D: ?Sized + 'static> Clone for Callee<'_, H, D> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<H: Copy + 'static, D: ?Sized + 'static> Copy for Callee<'_, H, D> {}

impl<H: Copy + 'static, D: ?Sized + 'static> Callee<'_, H, D> {
    /// The receiver's name; `statics` are those of the snapshot it came from.
    pub(crate) fn name(self, statics: &Statics<H>) -> ReceiverName {
        match self {
            Callee::Static(slot) => ReceiverName::Static(statics.record(slot).name),
            Callee::Dynamic(e) => ReceiverName::Shared(Arc::clone(&e.name)),
        }
    }
}

/// A walk over the receivers of one dispatch, in call order.
pub(crate) trait Walk<'r, H: 'static, D: ?Sized + 'static>:
    Iterator<Item = Callee<'r, H, D>>
{
    /// How many receivers the walk has yielded so far.
    fn reached(&self) -> usize;

    /// The receiver it yielded last: the one running, if any.
    fn current(&self) -> Option<Callee<'r, H, D>>;
}

/// Walks the static receivers alone, in call order.
pub(crate) struct StaticCursor<'r, H: 'static, D: ?Sized + 'static> {
    all: &'r [H],
    handlers: std::slice::Iter<'r, H>,
    dynamic: PhantomData<&'r D>,
}

impl<'r, H: Copy + 'static, D: ?Sized + 'static> StaticCursor<'r, H, D> {
    fn new(statics: &'r Statics<H>) -> Self {
        StaticCursor {
            all: &statics.handlers,
            handlers: statics.handlers.iter(),
            dynamic: PhantomData,
        }
    }
}

impl<'r, H: Copy + 'static, D: ?Sized + 'static> Walk<'r, H, D> for StaticCursor<'r, H, D> {
    #[inline]
    fn reached(&self) -> usize {
        self.all.len() - self.handlers.len()
    }

    fn current(&self) -> Option<Callee<'r, H, D>> {
        let all = self.all;
        Some(Callee::Static(&all[self.reached().checked_sub(1)?]))
    }
}

impl<'r, H: Copy + 'static, D: ?Sized + 'static> Iterator for StaticCursor<'r, H, D> {
    type Item = Callee<'r, H, D>;

    #[inline(always)]
    fn next(&mut self) -> Option<Self::Item> {
        self.handlers.next().map(Callee::Static)
    }
}

/// Walks the static and run-time receivers in the call order a
/// [`DynList`] planned.
pub(crate) struct PlanCursor<'r, H: 'static, D: ?Sized + 'static> {
    plan: &'r [Planned<H, D>],
    next: usize,
}

#[inline]
fn callee<H: 'static, D: ?Sized + 'static>(planned: &Planned<H, D>) -> Callee<'_, H, D> {
    match planned {
        Planned::Static(handler) => Callee::Static(handler),
        Planned::Dynamic(entry) => Callee::Dynamic(entry),
    }
}

impl<'r, H: Copy + 'static, D: ?Sized + 'static> Walk<'r, H, D> for PlanCursor<'r, H, D> {
    #[inline]
    fn reached(&self) -> usize {
        self.next
    }

    fn current(&self) -> Option<Callee<'r, H, D>> {
        let plan = self.plan;
        Some(callee(&plan[self.next.checked_sub(1)?]))
    }
}

impl<'r, H: Copy + 'static, D: ?Sized + 'static> Iterator for PlanCursor<'r, H, D> {
    type Item = Callee<'r, H, D>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let plan = self.plan;
        let planned = plan.get(self.next)?;
        self.next += 1;
        Some(callee(planned))
    }
}

/// Walks every receiver of a snapshot in call order, whether or not it has
/// run-time receivers.
pub(crate) enum Cursor<'r, H: 'static, D: ?Sized + 'static> {
    Static(StaticCursor<'r, H, D>),
    Plan(PlanCursor<'r, H, D>),
}

impl<'r, H: Copy + 'static, D: ?Sized + 'static> Cursor<'r, H, D> {
    fn new(statics: &'r Statics<H>, dynamic: Option<&'r DynList<H, D>>) -> Self {
        match dynamic {
            Some(list) => Cursor::Plan(PlanCursor {
                plan: &list.plan,
                next: 0,
            }),
            None => Cursor::Static(StaticCursor::new(statics)),
        }
    }
}

impl<'r, H: Copy + 'static, D: ?Sized + 'static> Walk<'r, H, D> for Cursor<'r, H, D> {
    fn reached(&self) -> usize {
        match self {
            Cursor::Static(cursor) => cursor.reached(),
            Cursor::Plan(cursor) => cursor.reached(),
        }
    }

    fn current(&self) -> Option<Callee<'r, H, D>> {
        match self {
            Cursor::Static(cursor) => cursor.current(),
            Cursor::Plan(cursor) => cursor.current(),
        }
    }
}

impl<'r, H: Copy + 'static, D: ?Sized + 'static> Iterator for Cursor<'r, H, D> {
    type Item = Callee<'r, H, D>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Cursor::Static(cursor) => cursor.next(),
            Cursor::Plan(cursor) => cursor.next(),
        }
    }
}
