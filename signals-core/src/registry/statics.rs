//! The static receivers of one signal: read in place from the records the
//! backend (linkme or inventory) holds, in a call order computed once.
//!
//! Only what a send must call is generic: the records. The call order is a
//! list of indices into them, sorted by code that is the same for every
//! signal and reads each record's [`Meta`] through a `dyn Fn`, so that a
//! signal compiles no sorting, no collection and no lazy cell of its own.

use std::sync::OnceLock;

use crate::receiver::{Meta, StaticReceiver};

/// The call order of one signal's static receivers: indices into its
/// records, sorted on first use. The same type for every signal.
pub(crate) struct Order(OnceLock<Box<[u32]>>);

impl Order {
    pub(crate) const fn new() -> Self {
        Order(OnceLock::new())
    }

    /// The order of the `len` records whose [`Meta`] `meta` gives.
    #[inline]
    pub(crate) fn get(
        &'static self,
        len: usize,
        meta: &dyn Fn(usize) -> &'static Meta,
    ) -> &'static [u32] {
        match self.0.get() {
            Some(order) => order,
            None => self.init(len, meta),
        }
    }

    #[cold]
    #[inline(never)]
    fn init(&'static self, len: usize, meta: &dyn Fn(usize) -> &'static Meta) -> &'static [u32] {
        self.0.get_or_init(|| sorted(len, meta))
    }
}

/// The indices of `len` records in call order. The link order differs
/// between builds, platforms and backends; this key does not. Location
/// breaks ties between equal names.
fn sorted(len: usize, meta: &dyn Fn(usize) -> &'static Meta) -> Box<[u32]> {
    let len = u32::try_from(len).expect("a signal has fewer than 2^32 static receivers");
    let mut order: Vec<u32> = (0..len).collect();
    order.sort_by_key(|&at| {
        let m = meta(at as usize);
        (m.order, m.name, m.location)
    });
    order.into_boxed_slice()
}

/// The static receivers of one signal, in call order: the backend's
/// records and the order in which to call them.
pub(crate) struct Statics<H: 'static> {
    records: &'static [StaticReceiver<H>],
    order: &'static [u32],
}

impl<H: 'static> Clone for Statics<H> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<H: 'static> Copy for Statics<H> {}

impl<H: 'static> Statics<H> {
    /// `records` in the order `order` sorts them into.
    #[inline]
    pub(crate) fn new(records: &'static [StaticReceiver<H>], order: &'static Order) -> Self {
        Statics {
            records,
            order: order.get(records.len(), &|at| &records[at].meta),
        }
    }

    pub(crate) fn len(self) -> usize {
        self.order.len()
    }

    pub(crate) fn is_empty(self) -> bool {
        self.order.is_empty()
    }

    /// The records, in the backend's order.
    #[inline]
    pub(crate) fn records(self) -> &'static [StaticReceiver<H>] {
        self.records
    }

    /// The indices of the records, in call order.
    #[inline]
    pub(crate) fn order(self) -> &'static [u32] {
        self.order
    }
}

/// The records an inventory signal gathered on first use, kept for the
/// program's life: inventory's are not contiguous. (linkme's slice is read
/// in place.) Not public API.
#[doc(hidden)]
pub struct Gathered<H: 'static>(OnceLock<Box<[StaticReceiver<H>]>>);

impl<H: Copy + Send + Sync + 'static> Gathered<H> {
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        Gathered(OnceLock::new())
    }

    /// The records `gather` pushes, gathered once.
    pub fn get(
        &'static self,
        gather: fn(&mut Vec<StaticReceiver<H>>),
    ) -> &'static [StaticReceiver<H>] {
        self.0.get_or_init(|| {
            let mut found = Vec::new();
            gather(&mut found);
            found.into_boxed_slice()
        })
    }
}
