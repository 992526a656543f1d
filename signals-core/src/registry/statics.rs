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
///
/// Both live as long as the program (the registry is a `static`), so they
/// are leaked slices: a type with nothing to drop, whose drop glue (which
/// rustc compiles for the type of every `static`, once per signal) is empty.
#[derive(Clone, Copy)]
pub(crate) struct Statics<H: 'static> {
    pub(super) handlers: &'static [H],
    pub(crate) meta: &'static [Meta],
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
    // The sort is computed by code compiled once (`sorted`); what is left
    // here, compiled once per signal, is the collect and one loop of swaps.
    #[allow(clippy::manual_swap)]
    pub(super) fn new(collect: fn(&mut Collector<H>)) -> Self {
        let mut found = Collector {
            meta: Vec::new(),
            handlers: Vec::new(),
        };
        collect(&mut found);
        let (swaps, meta) = sorted(found.meta);
        let handlers = found.handlers.leak();
        // Slice indexing is built in: no generic helper (`slice::swap`,
        // `ptr::swap`) to compile once per signal.
        let mut at = 0;
        while at < swaps.len() {
            let (a, b) = swaps[at];
            let handler = handlers[a];
            handlers[a] = handlers[b];
            handlers[b] = handler;
            at += 1;
        }
        Statics { handlers, meta }
    }

    /// The handlers, in call order.
    pub(crate) fn handlers(&self) -> &'static [H] {
        self.handlers
    }

    pub(crate) fn len(&self) -> usize {
        self.handlers.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.handlers.is_empty()
    }
}

/// The static receivers' `Meta` in call order, and the swaps that put their
/// handlers, collected in the same order as `meta`, in that order too.
/// Not generic, so compiled once rather than once per signal.
fn sorted(meta: Vec<Meta>) -> (Vec<(usize, usize)>, &'static [Meta]) {
    let mut order: Vec<usize> = (0..meta.len()).collect();
    // The link order differs between builds, platforms and backends; this
    // key does not. Location breaks ties between equal names.
    order.sort_by_key(|&i| (meta[i].order, meta[i].name, meta[i].location));
    let sorted: Vec<Meta> = order.iter().map(|&i| meta[i]).collect();
    (swaps(&order), sorted.leak())
}

/// Swaps that turn `items` into `order.iter().map(|&i| items[i])`, applied
/// in turn; at most one per item.
fn swaps(order: &[usize]) -> Vec<(usize, usize)> {
    // `at[p]`: the original index of the item now at `p`; `place[i]`: where
    // the item of original index `i` now is.
    let mut at: Vec<usize> = (0..order.len()).collect();
    let mut place = at.clone();
    let mut swaps = Vec::new();
    for (target, &wanted) in order.iter().enumerate() {
        let from = place[wanted];
        if from != target {
            swaps.push((target, from));
            let moved = at[target];
            at.swap(target, from);
            place[moved] = from;
            place[wanted] = target;
        }
    }
    swaps
}

#[cfg(test)]
mod tests {
    use super::swaps;

    /// Every permutation of up to 6 items, and a few large ones, is applied
    /// exactly by its swaps.
    #[test]
    fn swaps_apply_the_order() {
        fn check(order: &[usize]) {
            let mut items: Vec<usize> = (0..order.len()).map(|i| i * 10).collect();
            let expected: Vec<usize> = order.iter().map(|&i| items[i]).collect();
            let swaps = swaps(order);
            assert!(swaps.len() < order.len().max(1));
            for (a, b) in swaps {
                items.swap(a, b);
            }
            assert_eq!(items, expected, "order {order:?}");
        }
        fn permutations(n: usize, prefix: &mut Vec<usize>) {
            if prefix.len() == n {
                check(prefix);
                return;
            }
            for i in 0..n {
                if !prefix.contains(&i) {
                    prefix.push(i);
                    permutations(n, prefix);
                    prefix.pop();
                }
            }
        }
        for n in 0..=6 {
            permutations(n, &mut Vec::new());
        }
        let reversed: Vec<usize> = (0..1000).rev().collect();
        check(&reversed);
        let strided: Vec<usize> = (0..997).map(|i| i * 13 % 997).collect();
        check(&strided);
    }
}
