//! What one dispatch calls: the static receivers, or the run-time list
//! loaded when it starts ([`Merging`] for a synchronous dispatch, an
//! [`OwnedSnapshot`] for an async one); the cursors that walk them in call
//! order; and the code that walks a run-time list, which the first connect
//! stores ([`Merged`]).

use std::any::Any;
use std::marker::PhantomData;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, OnceLock};

use arc_swap::Guard;

use super::introspect;
use super::list::{next_leaf, DynEntry, DynMeta, Erased, Key, ListCursor, NextLeaf, Planned};
use super::statics::{CallOrder, Statics};
use crate::handler::Liveness;
use crate::receiver::{Meta, ReceiverInfo, ReceiverName, StaticReceiver};

/// The receivers an async dispatch calls, fixed when it starts: the static
/// receivers, and the run-time list if a receiver was connected at run
/// time, held by an `Arc` (a short-lived `arc_swap::Guard` must not be held
/// across an `.await`).
pub(crate) struct OwnedSnapshot<'r, H: 'static, D: ?Sized + 'static> {
    pub(super) statics: Statics<H>,
    pub(super) dynamic: Option<Arc<Erased>>,
    /// The code that walks `dynamic`, stored by the first connect.
    pub(super) merged: &'r OnceLock<Stored>,
    pub(super) handlers: PhantomData<fn(H, &D)>,
}

impl<H: Copy + 'static, D: ?Sized + 'static> OwnedSnapshot<'_, H, D> {
    /// Drops the run-time list, as [`Merging::release`] does.
    pub(crate) fn release(self) -> std::thread::Result<()> {
        release(self.dynamic)
    }

    /// How many receivers the dispatch calls.
    pub(crate) fn len(&self) -> usize {
        self.dynamic
            .as_deref()
            .map_or(self.statics.len(), Erased::len)
    }

    /// Every receiver, static and run-time, in call order. (Each call
    /// downcasts the run-time list: take one cursor per send.)
    pub(crate) fn cursor(&self) -> Cursor<'_, H, D> {
        match self.dynamic.as_deref() {
            Some(list) => Cursor::Plan(Stored::merged(self.merged).cursor(list)),
            None => Cursor::Static(self.statics.cursor()),
        }
    }
}

/// Drops what holds a run-time list under `catch_unwind`. Generic only over
/// the holder (a `Guard` or an `Arc`), not over the signal.
fn release<T>(held: T) -> std::thread::Result<()> {
    catch_unwind(AssertUnwindSafe(move || drop(held)))
}

/// What a synchronous dispatch calls once a receiver is connected at run
/// time: the run-time list, which holds the static receivers too, and the
/// code that walks it. Taken only when the registry's count says a receiver
/// is connected, so it has no static-only case to compile: from the first
/// connect on, a list is always published (a disconnect leaves the static
/// receivers' list rather than none).
pub(crate) struct Merging<H: 'static, D: ?Sized + 'static> {
    pub(super) list: Guard<Option<Arc<Erased>>>,
    pub(super) handlers: PhantomData<fn(H, &D)>,
}

impl<H: Copy + 'static, D: ?Sized + 'static> Merging<H, D> {
    /// Drops the list, catching a panic in the drop of a closure it was the
    /// last to hold (a receiver disconnected during the dispatch).
    #[inline]
    pub(crate) fn release(self) -> std::thread::Result<()> {
        release(self.list)
    }

    /// Every receiver, static and run-time, in call order. A synchronous
    /// dispatch is compiled only for the signals that connect at run time
    /// (`Signal::__Sends`), so it walks the list directly, not through the
    /// stored [`Merged`] code.
    #[inline]
    pub(crate) fn cursor(&self) -> PlanCursor<'_, H, D> {
        match &*self.list {
            Some(list) => PlanCursor {
                list: ListCursor::new(list.get()),
                next_leaf,
                len: list.len(),
            },
            None => unreachable!("from the first connect on, a run-time list is published"),
        }
    }
}

/// The code that walks a run-time list, generic over the handler types
/// alone and reached through pointers: [`Registry::connect`] stores it, so
/// that it is compiled only for the signals that connect a receiver at run
/// time. Every other signal's sends compile their static walk and a test
/// of the run-time count, not the merge (the descent of the tree, the
/// downcast, the introspection of the list), which used to be about a third
/// of the code compiled per signal.
///
/// What a send compiles for every signal is what it runs per receiver: the
/// walk within a leaf ([`ListCursor::next_item_with`]); moving to the next
/// leaf, once per leaf, is one call through a pointer.
///
/// [`Registry::connect`]: super::Registry::connect
pub(crate) struct Merged<H: 'static, D: ?Sized + 'static> {
    /// A walk from the first entry of a run-time list.
    start: for<'r> fn(&'r Erased) -> ListCursor<'r, Planned<H, D>>,
    /// Moves a walk to the next leaf.
    next_leaf: NextLeaf<Planned<H, D>>,
}

/// What the first connect stores in the registry: the [`Merged`] code and
/// the signal's sends over the run-time list (`Signal::__Sends`), behind
/// `dyn Any`, and what introspection needs, which is not generic. One type
/// for every signal: the registry's type does not spell the run-time
/// list's types, which debug info would otherwise describe once per
/// signal. Downcast only by a dispatch that found a receiver connected at
/// run time.
pub(crate) struct Stored {
    /// Describes every receiver of a run-time list.
    pub(super) infos: fn(&Erased) -> Vec<ReceiverInfo>,
    /// A run-time list without the receiver at a key, if it holds it.
    remove: fn(&Erased, Key) -> Option<Erased>,
    /// A `Merged<H, D>`.
    merged: Box<dyn Any + Send + Sync>,
    /// The signal's `Signal::__Sends`.
    sends: Box<dyn Any + Send + Sync>,
}

impl Stored {
    /// The code for signals with handlers `H` and `D` and sends `R`: what
    /// connecting the first run-time receiver compiles in.
    pub(super) fn new<H, D, R>(sends: R) -> Self
    where
        H: Copy + Send + Sync + 'static,
        D: ?Sized + Liveness + Send + Sync + 'static,
        R: Send + Sync + 'static,
    {
        Stored {
            infos: |list| introspect::merged(list.get::<H, D>()),
            remove: |list, key| list.get::<H, D>().remove(key).map(Erased::new),
            merged: Box::new(Merged::<H, D> {
                start: |list| ListCursor::new(list.get()),
                next_leaf,
            }),
            sends: Box::new(sends),
        }
    }

    /// What `connect` stored. Only `connect` publishes a run-time list,
    /// after storing this: whoever holds a list finds it. Not generic: the
    /// one place that says so.
    pub(super) fn get(cell: &OnceLock<Self>) -> &Self {
        match cell.get() {
            Some(stored) => stored,
            None => unreachable!("a run-time list is published after the code that walks it"),
        }
    }

    /// The [`Merged`] code that `connect` stored, of the registry's
    /// handler types.
    #[inline]
    pub(super) fn merged<H: 'static, D: ?Sized + 'static>(cell: &OnceLock<Self>) -> &Merged<H, D> {
        match Self::get(cell).merged.downcast_ref() {
            Some(merged) => merged,
            None => not_the_signals_type(),
        }
    }

    /// `list` without the receiver at `key`, through the code that
    /// `connect` stored: `None` if it does not hold it.
    pub(super) fn remove(cell: &OnceLock<Self>, list: &Erased, key: Key) -> Option<Erased> {
        (Self::get(cell).remove)(list, key)
    }

    /// The signal's sends that `connect` stored. Only the downcast is
    /// generic: it is compiled for every signal, since `send` names it.
    #[inline]
    pub(super) fn sends<R: Copy + 'static>(cell: &OnceLock<Self>) -> R {
        let sends: &dyn Any = &*Self::get(cell).sends;
        match sends.downcast_ref() {
            Some(sends) => *sends,
            None => not_the_signals_type(),
        }
    }
}

/// A registry holds the code of its own signal's types only.
#[cold]
fn not_the_signals_type() -> ! {
    unreachable!("a registry stores the code of its own signal's types")
}

impl<H: Copy + 'static, D: ?Sized + 'static> Merged<H, D> {
    /// Walks `list` in call order.
    #[inline]
    fn cursor<'r>(&self, list: &'r Erased) -> PlanCursor<'r, H, D> {
        PlanCursor {
            list: (self.start)(list),
            next_leaf: self.next_leaf,
            len: list.len(),
        }
    }
}

/// One receiver about to be called.
pub(crate) enum Callee<'r, H: 'static, D: ?Sized + 'static> {
    /// A static receiver: its record, where the backend holds it.
    Static(&'static StaticReceiver<H>),
    Dynamic(&'r DynEntry<D>),
}

impl<H: Copy + 'static, D: ?Sized + 'static> Clone for Callee<'_, H, D> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<H: Copy + 'static, D: ?Sized + 'static> Copy for Callee<'_, H, D> {}

impl<'r, H: Copy + 'static, D: ?Sized + 'static> Callee<'r, H, D> {
    /// What names the receiver, apart from its handler: the same type for
    /// every signal, so that the paths that name a receiver (failures,
    /// answers) are compiled once.
    #[inline(always)]
    pub(crate) fn named(self) -> Named<'r> {
        match self {
            Callee::Static(record) => Named::Static(&record.meta),
            Callee::Dynamic(e) => Named::Dynamic(&e.meta),
        }
    }

    /// The receiver's name.
    pub(crate) fn name(self) -> ReceiverName {
        self.named().name()
    }
}

/// A receiver's description, without its handler.
#[derive(Clone, Copy)]
pub(crate) enum Named<'r> {
    Static(&'static Meta),
    Dynamic(&'r DynMeta),
}

impl Named<'_> {
    /// The receiver's name, as reports and errors carry it.
    pub(crate) fn name(self) -> ReceiverName {
        match self {
            Named::Static(meta) => ReceiverName::Static(meta.name),
            Named::Dynamic(meta) => ReceiverName::Shared(Arc::clone(&meta.name)),
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

/// Walks the static receivers alone, in call order: the indices of the
/// order, each into the records.
pub(crate) struct StaticCursor<'r, H: 'static, D: ?Sized + 'static> {
    records: &'static [StaticReceiver<H>],
    order: CallOrder,
    /// How many receivers the walk has yielded.
    next: usize,
    dynamic: PhantomData<&'r D>,
}

impl<'r, H: Copy + 'static, D: ?Sized + 'static> StaticCursor<'r, H, D> {
    /// Walks `records` in the call order `order`.
    #[inline]
    pub(crate) fn new(records: &'static [StaticReceiver<H>], order: CallOrder) -> Self {
        Self::resumed(records, order, 0)
    }

    /// A walk of `records` in the call order `order` that has already
    /// yielded `reached` of them.
    #[inline]
    pub(crate) fn resumed(
        records: &'static [StaticReceiver<H>],
        order: CallOrder,
        reached: usize,
    ) -> Self {
        StaticCursor {
            records,
            order,
            next: reached,
            dynamic: PhantomData,
        }
    }

    /// The receiver at position `i` of the call order: the record itself
    /// when the records are in call order (a test the optimizer takes out
    /// of the loop), else through the order's index.
    #[inline(always)]
    fn at(&self, i: usize) -> &'static StaticReceiver<H> {
        &self.records[self.order.position(i)]
    }
}

impl<'r, H: Copy + 'static, D: ?Sized + 'static> Walk<'r, H, D> for StaticCursor<'r, H, D> {
    #[inline]
    fn reached(&self) -> usize {
        self.next
    }

    fn current(&self) -> Option<Callee<'r, H, D>> {
        Some(Callee::Static(self.at(self.next.checked_sub(1)?)))
    }
}

impl<'r, H: Copy + 'static, D: ?Sized + 'static> Iterator for StaticCursor<'r, H, D> {
    type Item = Callee<'r, H, D>;

    // `if` and indexing rather than `Option::map` and `get`, here and in
    // `PlanCursor`: the same code once optimized, and fewer generic helpers
    // for an unoptimized build to compile once per signal.
    #[inline(always)]
    fn next(&mut self) -> Option<Self::Item> {
        if self.next < self.records.len() {
            let record = self.at(self.next);
            self.next += 1;
            Some(Callee::Static(record))
        } else {
            None
        }
    }
}

/// Walks the static and run-time receivers in the call order of the
/// run-time list.
pub(crate) struct PlanCursor<'r, H: 'static, D: ?Sized + 'static> {
    list: ListCursor<'r, Planned<H, D>>,
    next_leaf: NextLeaf<Planned<H, D>>,
    len: usize,
}

impl<H: Copy + 'static, D: ?Sized + 'static> PlanCursor<'_, H, D> {
    /// How many receivers the walk yields in all.
    pub(crate) fn receivers(&self) -> usize {
        self.len
    }
}

#[inline(always)]
fn callee<H: 'static, D: ?Sized + 'static>(planned: &Planned<H, D>) -> Callee<'_, H, D> {
    match planned {
        Planned::Static(record) => Callee::Static(record),
        Planned::Dynamic(entry) => Callee::Dynamic(entry),
    }
}

impl<'r, H: Copy + 'static, D: ?Sized + 'static> Walk<'r, H, D> for PlanCursor<'r, H, D> {
    #[inline]
    fn reached(&self) -> usize {
        self.list.reached()
    }

    fn current(&self) -> Option<Callee<'r, H, D>> {
        match self.list.current() {
            Some(planned) => Some(callee(planned)),
            None => None,
        }
    }
}

impl<'r, H: Copy + 'static, D: ?Sized + 'static> Iterator for PlanCursor<'r, H, D> {
    type Item = Callee<'r, H, D>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        match self.list.next_item_with(self.next_leaf) {
            Some(planned) => Some(callee(planned)),
            None => None,
        }
    }
}

/// Walks every receiver of a snapshot in call order, whether or not it has
/// run-time receivers.
pub(crate) enum Cursor<'r, H: 'static, D: ?Sized + 'static> {
    Static(StaticCursor<'r, H, D>),
    Plan(PlanCursor<'r, H, D>),
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

impl<H: Copy + 'static> Statics<H> {
    /// Walks the static receivers in call order.
    #[inline]
    pub(crate) fn cursor<D: ?Sized>(self) -> StaticCursor<'static, H, D> {
        StaticCursor::new(self.records(), self.call_order())
    }
}
