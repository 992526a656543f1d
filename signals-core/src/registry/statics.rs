//! The static receivers of one signal: collected from the backend (linkme or
//! inventory) on first use and sorted once.

use crate::receiver::{Location, StaticReceiver};

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

/// The static receivers of one signal, in call order.
///
/// The handlers are kept apart from what else is known about each receiver,
/// contiguous, so that a send walks a slice of function pointers exactly as a
/// hand-written linkme slice does. The rest ([`Meta`], the same type for every
/// signal) is read only when a receiver fails, when run-time receivers are
/// merged in, and by introspection.
pub(crate) struct Statics<H: 'static> {
    pub(super) handlers: Vec<H>,
    pub(super) meta: Box<[Meta]>,
}

/// What is known about a static receiver besides its handler.
#[derive(Clone, Copy)]
pub(crate) struct Meta {
    pub(crate) name: &'static str,
    pub(crate) module_path: &'static str,
    pub(crate) order: i32,
    pub(crate) location: Location,
    pub(crate) is_async: bool,
    pub(crate) is_filtered: bool,
}

impl<H: Copy + 'static> Statics<H> {
    // Index loops and pushes: in an unoptimized build every generic helper
    // (iterators, `collect`) would be compiled again for each signal.
    pub(super) fn new(collect: fn(&mut Collector<H>)) -> Self {
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

    /// What is known about the receiver whose handler is `slot`, an element
    /// of `handlers`. The send loops carry that reference rather than an
    /// index, which they would have to keep alive across every call; this
    /// runs only when a receiver is named (a failure, introspection).
    pub(crate) fn meta_of(&self, slot: &H) -> &Meta {
        &self.meta[self.index_of(slot)]
    }

    /// The position of `slot`, which must be an element of `handlers`.
    fn index_of(&self, slot: &H) -> usize {
        let slot: *const H = slot;
        // A slot outside the slice would give a wrong (though in-bounds or
        // panicking) index: refuse it outright.
        assert!(
            self.handlers.as_ptr_range().contains(&slot),
            "a static receiver's handler is an element of its signal's statics"
        );
        const { assert!(size_of::<H>() != 0, "handlers are function pointers") };
        (slot.addr() - self.handlers.as_ptr().addr()) / size_of::<H>()
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
