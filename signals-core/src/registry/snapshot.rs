//! What one dispatch calls: a snapshot of the receivers connected when it
//! starts, and the cursors that walk it in call order.
//!
//! Only what calls a receiver is generic over the signal: the static
//! handlers' slice and the typed receiver a cursor yields. The run-time list,
//! its walk, and naming a receiver ([`Who`]) are the same for every signal.

use std::marker::PhantomData;
use std::sync::Arc;

use arc_swap::Guard;

use super::list::{DynMeta, List, ListCursor, Planned};
use super::statics::{Meta, Statics};
use crate::receiver::ReceiverName;

/// The run-time list of a snapshot.
pub(crate) type Plan = List<Planned>;

/// Holds a snapshot's run-time list: a short-lived `arc_swap::Guard` for
/// synchronous dispatches, an `Arc` for dispatches that may be suspended
/// (a `Guard` must not be held across an `.await`).
pub(crate) trait Hold {
    fn list(&self) -> Option<&Plan>;
}

impl Hold for Option<Guard<Option<Arc<Plan>>>> {
    #[inline]
    fn list(&self) -> Option<&Plan> {
        self.as_ref()?.as_deref()
    }
}

impl Hold for Option<Arc<Plan>> {
    #[inline]
    fn list(&self) -> Option<&Plan> {
        self.as_deref()
    }
}

/// The receivers one dispatch calls, fixed when it starts; `G` holds the
/// run-time list, if any receiver was connected at run time.
pub(crate) struct Snapshot<'r, H: 'static, D: ?Sized + 'static, G> {
    pub(super) statics: &'r Statics<H>,
    pub(super) dynamic: G,
    pub(super) signal: PhantomData<&'r D>,
}

/// The snapshot of a synchronous dispatch.
pub(crate) type BorrowedSnapshot<'r, H, D> = Snapshot<'r, H, D, Option<Guard<Option<Arc<Plan>>>>>;

/// The snapshot of an async dispatch, which owns its run-time list.
pub(crate) type OwnedSnapshot<'r, H, D> = Snapshot<'r, H, D, Option<Arc<Plan>>>;

impl<'r, H: Copy + 'static, D: ?Sized + 'static, G: Hold> Snapshot<'r, H, D, G> {
    /// The static receivers.
    pub(crate) fn statics(&self) -> &'r Statics<H> {
        self.statics
    }

    /// What is known about the static receivers, to name them.
    pub(crate) fn meta(&self) -> &'r [Meta] {
        self.statics.meta
    }

    /// How many receivers the dispatch calls.
    pub(crate) fn len(&self) -> usize {
        match self.dynamic.list() {
            Some(list) => list.len(),
            None => self.statics.len(),
        }
    }

    /// Every receiver, static and run-time, in call order.
    pub(crate) fn cursor(&self) -> Cursor<'_, H, D> {
        match self.dynamic.list() {
            Some(list) => Cursor::Plan(PlanCursor {
                list: ListCursor::new(list),
                handlers: self.statics.handlers,
                len: list.len(),
                dynamic: PhantomData,
            }),
            None => Cursor::Static(StaticCursor::new(self.statics)),
        }
    }
}

/// One receiver about to be called.
pub(crate) enum Callee<'r, H: 'static, D: ?Sized + 'static> {
    /// A static receiver: its handler, in [`Statics`].
    Static(&'r H),
    /// A run-time receiver: its closure.
    Dynamic(&'r D),
}

impl<H: Copy + 'static, D: ?Sized + 'static> Clone for Callee<'_, H, D> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<H: Copy + 'static, D: ?Sized + 'static> Copy for Callee<'_, H, D> {}

/// Which receiver a walk yielded, to name it: the same type for every
/// signal, so that reports and errors are built by code compiled once.
#[derive(Clone, Copy)]
pub(crate) enum Who<'r> {
    /// The static receiver at this index of the sorted statics.
    Static(usize),
    /// The static receiver whose handler is at this address in the
    /// statics' handlers: what a walk over them holds in a register, so
    /// that a send loop keeps nothing more to name a receiver that fails
    /// (resolved out of line by [`Who::resolve`]).
    StaticAt(usize),
    Dynamic(&'r DynMeta),
}

impl Who<'_> {
    /// `StaticAt` as the index of the handler it points at, in the
    /// handlers that start at address `start`, `size` bytes each, `len` of
    /// them; anything else as it is.
    pub(crate) fn resolve(self, start: usize, size: usize, len: usize) -> Self {
        let Who::StaticAt(at) = self else {
            return self;
        };
        let offset = at.wrapping_sub(start);
        assert!(
            size != 0 && offset % size == 0 && offset / size < len,
            "a static receiver's handler is an element of its signal's statics"
        );
        Who::Static(offset / size)
    }

    /// The receiver's name; `meta` describes the snapshot's static receivers.
    pub(crate) fn name(self, meta: &[Meta]) -> ReceiverName {
        match self {
            Who::Static(index) => ReceiverName::Static(meta[index].name),
            Who::StaticAt(_) => unreachable!("a handler's address is resolved before naming"),
            Who::Dynamic(meta) => ReceiverName::Shared(Arc::clone(&meta.name)),
        }
    }
}

/// The name of the receiver a walk yielded last (`Walk::current`), which
/// has just been called; `meta` describes the snapshot's static receivers.
pub(crate) fn name_of(who: Option<Who<'_>>, meta: &[Meta]) -> ReceiverName {
    match who {
        Some(who) => who.name(meta),
        None => unreachable!("a receiver's step comes after the walk yielded it"),
    }
}

/// A walk over the receivers of one dispatch, in call order.
pub(crate) trait Walk<'r, H: 'static, D: ?Sized + 'static>:
    Iterator<Item = Callee<'r, H, D>>
{
    /// How many receivers the walk has yielded so far.
    fn reached(&self) -> usize;

    /// The receiver it yielded last: the one running, if any.
    fn current(&self) -> Option<Who<'r>>;

    /// The receiver it yielded last, once it has yielded one: for a send
    /// loop, from the cursor's registers alone (no load that the loop
    /// would hoist and hold across every call).
    fn yielded(&self) -> Who<'r>;
}

/// Walks the static receivers alone, in call order.
///
/// Besides the walk, it holds one pointer, from which naming a receiver
/// (cold) finds the rest: a send loop keeps every value it holds in a
/// register across each call, and more would spill.
pub(crate) struct StaticCursor<'r, H: 'static, D: ?Sized + 'static> {
    handlers: std::slice::Iter<'r, H>,
    statics: &'r Statics<H>,
    dynamic: PhantomData<&'r D>,
}

impl<'r, H: Copy + 'static, D: ?Sized + 'static> StaticCursor<'r, H, D> {
    #[inline]
    pub(crate) fn new(statics: &'r Statics<H>) -> Self {
        StaticCursor {
            handlers: statics.handlers.iter(),
            statics,
            dynamic: PhantomData,
        }
    }
}

impl<'r, H: Copy + 'static, D: ?Sized + 'static> Walk<'r, H, D> for StaticCursor<'r, H, D> {
    #[inline]
    fn reached(&self) -> usize {
        self.statics.handlers.len() - self.handlers.len()
    }

    fn current(&self) -> Option<Who<'r>> {
        self.reached().checked_sub(1).map(Who::Static)
    }

    #[inline(always)]
    fn yielded(&self) -> Who<'r> {
        // The walk points past the handler it yielded last.
        Who::StaticAt(self.handlers.as_slice().as_ptr().addr() - size_of::<H>())
    }
}

impl<'r, H: Copy + 'static, D: ?Sized + 'static> Iterator for StaticCursor<'r, H, D> {
    type Item = Callee<'r, H, D>;

    // `match` rather than `Option::map`, here and in `PlanCursor`: the same
    // code once optimized, and fewer generic helpers for an unoptimized
    // build to compile once per signal.
    #[inline(always)]
    fn next(&mut self) -> Option<Self::Item> {
        match self.handlers.next() {
            Some(handler) => Some(Callee::Static(handler)),
            None => None,
        }
    }
}

/// Walks the static and run-time receivers in the call order of the
/// run-time list.
pub(crate) struct PlanCursor<'r, H: 'static, D: ?Sized + 'static> {
    list: ListCursor<'r, Planned>,
    handlers: &'r [H],
    len: usize,
    dynamic: PhantomData<&'r D>,
}

impl<'r, H: Copy + 'static, D: ?Sized + 'static> Walk<'r, H, D> for PlanCursor<'r, H, D> {
    #[inline]
    fn reached(&self) -> usize {
        self.list.reached()
    }

    fn current(&self) -> Option<Who<'r>> {
        current_planned(&self.list)
    }

    #[inline]
    fn yielded(&self) -> Who<'r> {
        yielded_planned(&self.list)
    }
}

/// The entry of the run-time list yielded last, once there is one.
fn yielded_planned<'r>(list: &ListCursor<'r, Planned>) -> Who<'r> {
    match current_planned(list) {
        Some(who) => who,
        None => unreachable!("a send loop names the receiver it just called"),
    }
}

/// The entry of the run-time list yielded last, if any.
fn current_planned<'r>(list: &ListCursor<'r, Planned>) -> Option<Who<'r>> {
    match list.current()? {
        Planned::Static(index) => Some(Who::Static(*index)),
        Planned::Dynamic(entry) => Some(Who::Dynamic(&entry.meta)),
    }
}

impl<'r, H: Copy + 'static, D: ?Sized + 'static> Iterator for PlanCursor<'r, H, D> {
    type Item = Callee<'r, H, D>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        match self.list.next_item() {
            Some(Planned::Static(index)) => Some(Callee::Static(&self.handlers[*index])),
            Some(Planned::Dynamic(entry)) => Some(Callee::Dynamic(entry.handler::<D>())),
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

impl<H: Copy + 'static, D: ?Sized + 'static> Cursor<'_, H, D> {
    /// How many receivers the walk yields in all.
    pub(crate) fn receivers(&self) -> usize {
        match self {
            Cursor::Static(cursor) => cursor.statics.handlers.len(),
            Cursor::Plan(cursor) => cursor.len,
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

    fn current(&self) -> Option<Who<'r>> {
        match self {
            Cursor::Static(cursor) => cursor.current(),
            Cursor::Plan(cursor) => current_planned(&cursor.list),
        }
    }

    #[inline]
    fn yielded(&self) -> Who<'r> {
        match self {
            Cursor::Static(cursor) => cursor.yielded(),
            Cursor::Plan(cursor) => yielded_planned(&cursor.list),
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
    pub(crate) fn cursor<D: ?Sized>(&self) -> StaticCursor<'_, H, D> {
        StaticCursor::new(self)
    }
}
