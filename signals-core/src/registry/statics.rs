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
pub(crate) struct Order(OnceLock<Sorted>);

/// What [`Order`] keeps: the indices, and whether they are `0, 1, 2, ...`.
struct Sorted {
    indices: Box<[u32]>,
    in_place: bool,
}

/// The indices of a signal's records in call order, and whether that is
/// the order the backend holds them in.
#[derive(Clone, Copy)]
pub(crate) struct CallOrder {
    indices: &'static [u32],
    in_place: bool,
}

impl CallOrder {
    /// The indices of the records, in call order.
    #[inline]
    pub(crate) fn indices(self) -> &'static [u32] {
        self.indices
    }

    /// The index of the record at position `i` of the call order. When the
    /// records are already in call order (the indices are `0, 1, 2, ...`),
    /// as when a signal's receivers are linked in the order of their names,
    /// or it has one, that is `i` itself: a send then walks the records as
    /// they are, exactly as a hand-written linkme slice is walked, with no
    /// index to load and check per receiver (the optimizer takes the test
    /// out of a loop over `i`).
    #[inline(always)]
    pub(crate) fn position(self, i: usize) -> usize {
        if self.in_place {
            i
        } else {
            self.indices[i] as usize
        }
    }
}

impl Order {
    pub(crate) const fn new() -> Self {
        Order(OnceLock::new())
    }

    /// The order of `records`.
    #[inline(always)]
    pub(crate) fn of<H>(&'static self, records: &'static [StaticReceiver<H>]) -> CallOrder {
        self.get(records.len(), &metas(records))
    }

    /// The order of the `len` records whose [`Meta`] `meta` gives. A
    /// signal with one receiver or none (many signals) needs no sorting,
    /// and a send no lazy cell to look up.
    #[inline]
    pub(super) fn get(&'static self, len: usize, meta: &dyn Metas) -> CallOrder {
        if len < 2 {
            let indices: &'static [u32] = if len == 0 { &[] } else { &[0] };
            return CallOrder {
                indices,
                in_place: true,
            };
        }
        let sorted = match self.0.get() {
            Some(sorted) => sorted,
            None => self.init(len, meta),
        };
        CallOrder {
            indices: &sorted.indices,
            in_place: sorted.in_place,
        }
    }

    #[cold]
    #[inline(never)]
    fn init(&'static self, len: usize, meta: &dyn Metas) -> &'static Sorted {
        self.0.get_or_init(|| sorted(len, meta))
    }
}

/// Each record's [`Meta`], read in place by the code that is the same for
/// every signal. A trait object of one method rather than a `dyn Fn`, whose
/// vtable would hold three (`call`, `call_mut`, `call_once`): the vtable and
/// its methods are what each signal compiles of it.
pub(crate) trait Metas {
    /// The [`Meta`] of the record at `at`, in link order.
    fn meta(&self, at: usize) -> &'static Meta;
}

impl<H> Metas for &'static [StaticReceiver<H>] {
    fn meta(&self, at: usize) -> &'static Meta {
        &self[at].meta
    }
}

/// The records as [`Metas`].
#[inline(always)]
pub(crate) fn metas<H>(records: &'static [StaticReceiver<H>]) -> impl Metas {
    records
}

/// The indices of `len` records in call order. The link order differs
/// between builds, platforms and backends; this key does not. Location
/// breaks ties between equal names.
fn sorted(len: usize, meta: &dyn Metas) -> Sorted {
    let len = u32::try_from(len).expect("a signal has fewer than 2^32 static receivers");
    let mut order: Vec<u32> = (0..len).collect();
    order.sort_by_key(|&at| {
        let m = meta.meta(at as usize);
        (m.order, m.name, m.location)
    });
    let in_place = order.iter().zip(0..).all(|(&at, i)| at == i);
    Sorted {
        indices: order.into_boxed_slice(),
        in_place,
    }
}

/// The static receivers of one signal, in call order: the backend's
/// records and the order in which to call them.
pub(crate) struct Statics<H: 'static> {
    records: &'static [StaticReceiver<H>],
    order: CallOrder,
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
            order: order.of(records),
        }
    }

    pub(crate) fn len(self) -> usize {
        self.records.len()
    }

    /// The records, in the backend's order.
    #[inline]
    pub(crate) fn records(self) -> &'static [StaticReceiver<H>] {
        self.records
    }

    /// The indices of the records, in call order.
    #[inline]
    pub(crate) fn order(self) -> &'static [u32] {
        self.order.indices()
    }

    /// The call order.
    #[inline]
    pub(crate) fn call_order(self) -> CallOrder {
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
