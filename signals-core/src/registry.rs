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
//!
//! Everything generic over the signal is kept small: code generic over a
//! signal is compiled once per signal, so sorting, introspection and the
//! lock-free swap work on types that are the same for every signal
//! ([`Meta`], [`DynMeta`], [`Erased`]) and are compiled once.

use std::any::Any;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use arc_swap::{ArcSwapOption, Guard};

use crate::connection::{Connection, Disconnect};
use crate::receiver::{Kind, Location, ReceiverInfo, ReceiverName, StaticReceiver};

/// One run-time receiver.
pub(crate) struct DynEntry<D: ?Sized> {
    pub(crate) meta: DynMeta,
    pub(crate) handler: Arc<D>,
}

/// What is known about a run-time receiver besides its closure.
#[derive(Clone)]
pub(crate) struct DynMeta {
    id: u64,
    order: i32,
    pub(crate) name: Arc<str>,
    location: Location,
    is_async: bool,
    is_filtered: bool,
}

impl<D: ?Sized> Clone for DynEntry<D> {
    fn clone(&self) -> Self {
        DynEntry {
            meta: self.meta.clone(),
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
    /// The list of `entries`, which are sorted by (order, connect order),
    /// erased for the swap; `None` if there are none.
    fn erased(entries: Vec<DynEntry<D>>, statics: &'static Statics<H>) -> Option<Arc<Erased>>
    where
        H: Send + Sync,
        D: Send + Sync + 'static,
    {
        if entries.is_empty() {
            return None;
        }
        // Ascending order; at equal order, static receivers first.
        let mut plan = Vec::with_capacity(statics.len() + entries.len());
        let mut handlers = statics.handlers.iter().zip(statics.meta.iter()).peekable();
        for entry in entries {
            while let Some((handler, _)) = handlers.next_if(|(_, r)| r.order <= entry.meta.order) {
                plan.push(Planned::Static(handler));
            }
            plan.push(Planned::Dynamic(entry));
        }
        plan.extend(handlers.map(|(handler, _)| Planned::Static(handler)));
        let meta = plan
            .iter()
            .map(|planned| match planned {
                Planned::Static(handler) => PlanMeta::Static(statics.index_of(handler)),
                Planned::Dynamic(entry) => PlanMeta::Dynamic(entry.meta.clone()),
            })
            .collect();
        Some(Arc::new(Erased {
            meta,
            list: Box::new(DynList {
                plan: plan.into_boxed_slice(),
            }),
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
    pub(crate) is_filtered: bool,
    pub(crate) handler: Arc<D>,
}

impl<D: ?Sized> DynReceiver<D> {
    pub(crate) fn new(
        order: i32,
        name: Arc<str>,
        location: Location,
        is_async: bool,
        is_filtered: bool,
        handler: Arc<D>,
    ) -> Self {
        DynReceiver {
            order,
            name,
            location,
            is_async,
            is_filtered,
            handler,
        }
    }
}

/// Gathers a signal's static receivers for its registry: the generated
/// `collect` function adds each record the backend (linkme or inventory)
/// found, with no iterator adapter that each signal would compile again.
/// Not public API.
#[doc(hidden)]
pub struct Collector<H: 'static> {
    meta: Vec<Meta>,
    handlers: Vec<H>,
}

impl<H: Copy + 'static> Collector<H> {
    /// Adds one static receiver.
    #[inline]
    pub fn add(&mut self, record: &'static StaticReceiver<H>) {
        self.meta.push(Meta {
            name: record.name,
            module_path: record.module_path,
            order: record.order,
            location: record.location,
            is_async: record.is_async,
            is_filtered: record.is_filtered,
        });
        self.handlers.push(record.handler);
    }
}

/// The registry of one signal. `#[signal]` emits one `static` of this type per
/// signal; `H` is the static handler type (a higher-ranked function pointer)
/// and `D` the run-time handler type (a `dyn Call`). Not public API.
#[doc(hidden)]
pub struct Registry<H: 'static, D: ?Sized + 'static> {
    collect: fn(&mut Collector<H>),
    statics: OnceLock<Statics<H>>,
    /// A `DynList<H, D>`, behind a type that is the same for every signal.
    dynamic: ArcSwapOption<Erased>,
    dynamic_len: AtomicUsize,
    writer: Mutex<()>,
    next_id: AtomicU64,
    /// The run-time handler type, which only the erased list holds.
    run_time: PhantomData<fn(&D)>,
}

impl<H: Copy + Send + Sync + 'static, D: ?Sized + Send + Sync + 'static> Registry<H, D> {
    /// `collect` adds the static receivers the backend (linkme or inventory)
    /// found; it is called once, on first use.
    pub const fn new(collect: fn(&mut Collector<H>)) -> Self {
        Registry {
            collect,
            statics: OnceLock::new(),
            dynamic: ArcSwapOption::const_empty(),
            dynamic_len: AtomicUsize::new(0),
            writer: Mutex::new(()),
            next_id: AtomicU64::new(0),
            run_time: PhantomData,
        }
    }

    /// The static receivers in call order, sorted on first use.
    #[inline]
    pub(crate) fn statics(&self) -> &Statics<H> {
        self.statics.get_or_init(|| Statics::new(self.collect))
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
            signal: PhantomData,
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
            signal: PhantomData,
        }
    }

    pub(crate) fn has_receivers(&self) -> bool {
        !self.statics().is_empty() || self.dynamic_len.load(Ordering::Acquire) != 0
    }

    pub(crate) fn infos(&self) -> Vec<ReceiverInfo> {
        // The registry's own code stops here: what follows is compiled once,
        // not once per signal.
        infos(&self.statics().meta, self.dynamic.load().as_deref())
    }

    /// Adds a run-time receiver after every receiver of lower or equal order.
    pub fn connect(&'static self, receiver: DynReceiver<D>) -> Connection {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let entry = DynEntry {
            meta: DynMeta {
                id,
                order: receiver.order,
                name: receiver.name,
                location: receiver.location,
                is_async: receiver.is_async,
                is_filtered: receiver.is_filtered,
            },
            handler: receiver.handler,
        };
        let old = {
            let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
            let old = self.dynamic.load_full();
            let mut entries: Vec<_> = old
                .iter()
                .flat_map(|l| l.get::<H, D>().entries())
                .cloned()
                .collect();
            let at = entries.partition_point(|e| e.meta.order <= entry.meta.order);
            entries.insert(at, entry);
            let len = entries.len();
            self.dynamic.store(DynList::erased(entries, self.statics()));
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
            let list = list.get::<H, D>();
            if !list.entries().any(|e| e.meta.id == id) {
                return false;
            }
            let entries: Vec<_> = list
                .entries()
                .filter(|e| e.meta.id != id)
                .cloned()
                .collect();
            let len = entries.len();
            self.dynamic.store(DynList::erased(entries, self.statics()));
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
/// The handlers are kept apart from what else is known about each receiver,
/// contiguous, so that a send walks a slice of function pointers exactly as a
/// hand-written linkme slice does. The rest ([`Meta`], the same type for every
/// signal) is read only when a receiver fails, when run-time receivers are
/// merged in, and by introspection.
pub(crate) struct Statics<H: 'static> {
    handlers: Vec<H>,
    meta: Box<[Meta]>,
}

/// What is known about a static receiver besides its handler.
#[derive(Clone, Copy)]
pub(crate) struct Meta {
    pub(crate) name: &'static str,
    module_path: &'static str,
    order: i32,
    location: Location,
    is_async: bool,
    is_filtered: bool,
}

impl<H: Copy + 'static> Statics<H> {
    // Index loops and pushes: in an unoptimized build every generic helper
    // (iterators, `collect`) would be compiled again for each signal.
    fn new(collect: fn(&mut Collector<H>)) -> Self {
        let mut found = Collector {
            meta: Vec::new(),
            handlers: Vec::new(),
        };
        collect(&mut found);
        let (order, meta) = sorted(found.meta);
        let found: &[H] = &found.handlers;
        let mut handlers = Vec::with_capacity(order.len());
        for &at in &order {
            handlers.push(found[at]);
        }
        Statics { handlers, meta }
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

    /// What is known about the receiver whose handler is `slot`, an element
    /// of `handlers`. The send loops carry that reference rather than an
    /// index, which they would have to keep alive across every call.
    pub(crate) fn meta_of(&self, slot: &H) -> &Meta {
        &self.meta[self.index_of(slot)]
    }

    /// The position of `slot`, an element of `handlers`.
    fn index_of(&self, slot: &H) -> usize {
        let offset = slot as *const H as usize - self.handlers.as_ptr() as usize;
        offset / std::mem::size_of::<H>().max(1)
    }
}

/// The call order of the static receivers, and their `Meta` in that order.
/// Not generic, so compiled once rather than once per signal.
fn sorted(mut meta: Vec<Meta>) -> (Vec<usize>, Box<[Meta]>) {
    let mut order: Vec<usize> = (0..meta.len()).collect();
    // The link order differs between builds, platforms and backends; this
    // key does not. Location breaks ties between equal names.
    order.sort_by_key(|&i| (meta[i].order, meta[i].name, meta[i].location));
    let sorted = order.iter().map(|&i| meta[i]).collect();
    meta.clear();
    (order, sorted)
}

/// A [`DynList`] of any signal: what the lock-free swap holds, so that its
/// code is compiled once rather than once per signal.
pub(crate) struct Erased {
    /// Who each step of the plan is, readable without the signal's types.
    meta: Box<[PlanMeta]>,
    list: Box<dyn Any + Send + Sync>,
}

/// One step of a plan, as introspection reads it.
enum PlanMeta {
    /// A static receiver: its position in the signal's [`Statics`].
    Static(usize),
    Dynamic(DynMeta),
}

impl Erased {
    /// The list, typed again. Each registry only ever stores its own type.
    fn get<H: 'static, D: ?Sized + 'static>(&self) -> &DynList<H, D> {
        match self.list.downcast_ref() {
            Some(list) => list,
            None => unreachable!("a registry holds the run-time receivers of its own signal"),
        }
    }
}

/// Every receiver's description, in call order: the static receivers'
/// `statics`, merged with the run-time ones if `dynamic` holds a plan. Not
/// generic, so compiled once rather than once per signal.
fn infos(statics: &[Meta], dynamic: Option<&Erased>) -> Vec<ReceiverInfo> {
    let of_static = |m: &Meta| ReceiverInfo {
        name: m.name.into(),
        module_path: Some(m.module_path),
        order: m.order,
        location: m.location,
        kind: Kind::Static,
        is_async: m.is_async,
        is_filtered: m.is_filtered,
    };
    let Some(erased) = dynamic else {
        return statics.iter().map(of_static).collect();
    };
    erased
        .meta
        .iter()
        .map(|meta| match meta {
            PlanMeta::Static(at) => of_static(&statics[*at]),
            PlanMeta::Dynamic(m) => ReceiverInfo {
                name: m.name.to_string().into(),
                module_path: None,
                order: m.order,
                location: m.location,
                kind: Kind::Dynamic,
                is_async: m.is_async,
                is_filtered: m.is_filtered,
            },
        })
        .collect()
}

/// The receivers one dispatch calls, fixed when it starts.
pub(crate) struct Snapshot<'r, H: 'static, D: ?Sized + 'static> {
    statics: &'r Statics<H>,
    dynamic: Option<Guard<Option<Arc<Erased>>>>,
    signal: PhantomData<&'r D>,
}

impl<'r, H: Copy + 'static, D: ?Sized + 'static> Snapshot<'r, H, D> {
    fn dynamic(&self) -> Option<&DynList<H, D>> {
        let list = self.dynamic.as_ref()?.as_deref()?;
        Some(list.get())
    }

    pub(crate) fn statics(&self) -> &'r Statics<H> {
        self.statics
    }

    /// Every receiver, static and run-time, in call order. (Each call
    /// downcasts the run-time list: take one cursor per send.)
    pub(crate) fn cursor(&self) -> Cursor<'_, H, D> {
        Cursor::new(self.statics, self.dynamic())
    }
}

/// The receivers one async dispatch calls, fixed when it starts.
pub(crate) struct OwnedSnapshot<'r, H: 'static, D: ?Sized + 'static> {
    statics: &'r Statics<H>,
    dynamic: Option<Arc<Erased>>,
    signal: PhantomData<&'r D>,
}

impl<'r, H: Copy + 'static, D: ?Sized + 'static> OwnedSnapshot<'r, H, D> {
    pub(crate) fn statics(&self) -> &'r Statics<H> {
        self.statics
    }

    fn dynamic(&self) -> Option<&DynList<H, D>> {
        Some(self.dynamic.as_deref()?.get())
    }

    pub(crate) fn len(&self) -> usize {
        self.dynamic().map_or(self.statics.len(), |l| l.plan.len())
    }

    /// Every receiver, static and run-time, in call order.
    pub(crate) fn cursor(&self) -> Cursor<'_, H, D> {
        Cursor::new(self.statics, self.dynamic())
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
            Callee::Static(slot) => ReceiverName::Static(statics.meta_of(slot).name),
            Callee::Dynamic(e) => ReceiverName::Shared(Arc::clone(&e.meta.name)),
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

    // `match` and indexing rather than `Option::map` and `get`, here and in
    // `PlanCursor`: the same code once optimized, and fewer generic helpers
    // for an unoptimized build to compile once per signal.
    #[inline(always)]
    fn next(&mut self) -> Option<Self::Item> {
        match self.handlers.next() {
            Some(handler) => Some(Callee::Static(handler)),
            None => None,
        }
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
        if self.next >= plan.len() {
            return None;
        }
        let planned = &plan[self.next];
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

    /// How many receivers the walk yields in all.
    pub(crate) fn receivers(&self) -> usize {
        match self {
            Cursor::Static(cursor) => cursor.all.len(),
            Cursor::Plan(cursor) => cursor.plan.len(),
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
