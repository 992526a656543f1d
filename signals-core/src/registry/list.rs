//! The run-time list: every receiver of a signal in call order, static and
//! run-time merged, once at least one run-time receiver is connected.
//!
//! It is a persistent B+ tree: a connect or a disconnect copies the path from
//! the root to one leaf (O(log n) nodes of at most [`MAX`] entries each) and
//! shares everything else with the list it replaces, so that connecting and
//! dropping n receivers costs O(n log n) in all, while a dispatch in flight
//! keeps walking the list it started with. Up to [`MAX`] receivers the tree is
//! one leaf, and a send walks one flat slice, as it did before the tree.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use crate::receiver::{Location, ReceiverName, StaticReceiver};

/// Most entries in one node; a node other than the root holds at least half
/// as many. A connect or a disconnect copies one node per level, one
/// reference count per entry: 32 measured twice as fast at 100,000
/// receivers as 64 (16 was faster still, but would split signals with more
/// than 16 receivers into several leaves), and one signal's receivers up to
/// 32 stay one flat slice.
pub(super) const MAX: usize = 32;
const MIN: usize = MAX / 2;

/// Where an entry sits in call order: ascending `order`, then static
/// receivers in their sorted order, then run-time ones in connect order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Key {
    order: i32,
    seq: u64,
}

/// Run-time receivers sort after the static ones of the same order.
const RUN_TIME: u64 = 1 << 63;

impl Key {
    /// The static receiver at `index` of the sorted statics.
    pub(super) fn of_static(order: i32, index: usize) -> Self {
        Key {
            order,
            seq: index as u64,
        }
    }

    /// The run-time receiver connected as number `id` (ids only grow).
    pub(crate) fn of_run_time(order: i32, id: u64) -> Self {
        Key {
            order,
            seq: RUN_TIME | id,
        }
    }

    /// The connect number of a run-time receiver.
    pub(crate) fn id(self) -> u64 {
        self.seq & !RUN_TIME
    }
}

/// One run-time receiver: shared between the versions of the list that hold
/// it, so that copying a leaf costs one reference count per receiver.
pub(crate) struct DynEntry<D: ?Sized> {
    pub(crate) meta: DynMeta,
    pub(crate) handler: Arc<D>,
}

/// What is known about a run-time receiver besides its closure.
pub(crate) struct DynMeta {
    pub(crate) order: i32,
    pub(crate) name: Arc<str>,
    pub(crate) location: Location,
    pub(crate) is_async: bool,
    pub(crate) is_filtered: bool,
}

/// One entry of the list.
pub(crate) enum Planned<H: 'static, D: ?Sized> {
    /// A static receiver: its record, where the backend holds it.
    Static(&'static StaticReceiver<H>),
    Dynamic(Arc<DynEntry<D>>),
}

impl<H: 'static, D: ?Sized> Clone for Planned<H, D> {
    fn clone(&self) -> Self {
        match self {
            Planned::Static(handler) => Planned::Static(handler),
            Planned::Dynamic(entry) => Planned::Dynamic(Arc::clone(entry)),
        }
    }
}

/// A node of the tree: a leaf of entries, or a branch of children with the
/// greatest key under each.
pub(crate) enum Node<T> {
    Leaf {
        keys: Vec<Key>,
        items: Vec<T>,
    },
    Branch {
        keys: Vec<Key>,
        children: Vec<Arc<Node<T>>>,
    },
}

impl<T: Clone> Node<T> {
    fn keys(&self) -> &[Key] {
        match self {
            Node::Leaf { keys, .. } | Node::Branch { keys, .. } => keys,
        }
    }

    fn len(&self) -> usize {
        self.keys().len()
    }

    fn max_key(&self) -> Key {
        *self.keys().last().expect("only the root may be empty")
    }

    /// The node with `item` inserted at `key`, split in two if it grew
    /// past [`MAX`].
    fn insert(&self, key: Key, item: T) -> (Node<T>, Option<Node<T>>) {
        let at = self.keys().partition_point(|k| *k < key);
        let node = match self {
            Node::Leaf { keys, items } => {
                let (mut keys, mut items) = (keys.clone(), items.clone());
                keys.insert(at, key);
                items.insert(at, item);
                Node::Leaf { keys, items }
            }
            Node::Branch { keys, children } => {
                // Past every key: the last child takes it.
                let at = at.min(children.len() - 1);
                let (left, right) = children[at].insert(key, item);
                let (mut keys, mut children) = (keys.clone(), children.clone());
                keys[at] = left.max_key();
                children[at] = Arc::new(left);
                if let Some(right) = right {
                    keys.insert(at + 1, right.max_key());
                    children.insert(at + 1, Arc::new(right));
                }
                Node::Branch { keys, children }
            }
        };
        if node.len() > MAX {
            let (left, right) = node.split();
            (left, Some(right))
        } else {
            (node, None)
        }
    }

    /// The node without the entry at `key`; `None` if it holds no such
    /// entry. A child left with fewer than [`MIN`] entries is merged with a
    /// neighbour (and split again if the two are too many for one node).
    fn remove(&self, key: Key) -> Option<Node<T>> {
        let at = self.keys().partition_point(|k| *k < key);
        match self {
            Node::Leaf { keys, items } => {
                if keys.get(at) != Some(&key) {
                    return None;
                }
                let (mut keys, mut items) = (keys.clone(), items.clone());
                keys.remove(at);
                items.remove(at);
                Some(Node::Leaf { keys, items })
            }
            Node::Branch { keys, children } => {
                let child = children.get(at)?.remove(key)?;
                let (mut keys, mut children) = (keys.clone(), children.clone());
                if child.len() >= MIN || children.len() == 1 {
                    keys[at] = child.max_key();
                    children[at] = Arc::new(child);
                    return Some(Node::Branch { keys, children });
                }
                let first = if at == 0 { 0 } else { at - 1 };
                let mut merged = if first == at {
                    child.concat(&children[at + 1])
                } else {
                    children[first].concat(&child)
                };
                keys.remove(first + 1);
                children.remove(first + 1);
                if merged.len() > MAX {
                    let (left, right) = merged.split();
                    keys.insert(first + 1, right.max_key());
                    children.insert(first + 1, Arc::new(right));
                    merged = left;
                }
                keys[first] = merged.max_key();
                children[first] = Arc::new(merged);
                Some(Node::Branch { keys, children })
            }
        }
    }

    /// Splits a node that grew past [`MAX`] into two halves.
    fn split(self) -> (Node<T>, Node<T>) {
        match self {
            Node::Leaf {
                mut keys,
                mut items,
            } => {
                let half = keys.len() / 2;
                let right = Node::Leaf {
                    keys: keys.split_off(half),
                    items: items.split_off(half),
                };
                (Node::Leaf { keys, items }, right)
            }
            Node::Branch {
                mut keys,
                mut children,
            } => {
                let half = keys.len() / 2;
                let right = Node::Branch {
                    keys: keys.split_off(half),
                    children: children.split_off(half),
                };
                (Node::Branch { keys, children }, right)
            }
        }
    }

    /// `self` followed by `next`, a node of the same depth.
    fn concat(&self, next: &Node<T>) -> Node<T> {
        match (self, next) {
            (
                Node::Leaf { keys, items },
                Node::Leaf {
                    keys: k2,
                    items: i2,
                },
            ) => Node::Leaf {
                keys: [&keys[..], k2].concat(),
                items: [&items[..], i2].concat(),
            },
            (
                Node::Branch { keys, children },
                Node::Branch {
                    keys: k2,
                    children: c2,
                },
            ) => Node::Branch {
                keys: [&keys[..], k2].concat(),
                children: [&children[..], c2].concat(),
            },
            _ => unreachable!("siblings of a B+ tree have the same depth"),
        }
    }
}

/// The list itself: a tree and how many entries it holds.
pub(crate) struct List<T: Item> {
    pub(super) root: Node<T>,
    len: usize,
}

impl<T: Item> List<T> {
    pub(super) fn new() -> Self {
        List {
            root: Node::Leaf {
                keys: Vec::new(),
                items: Vec::new(),
            },
            len: 0,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The list with `item` added at `key` (which it does not hold yet).
    pub(super) fn insert(&self, key: Key, item: T) -> Self {
        let root = match self.root.insert(key, item) {
            (root, None) => root,
            (left, Some(right)) => Node::Branch {
                keys: vec![left.max_key(), right.max_key()],
                children: vec![Arc::new(left), Arc::new(right)],
            },
        };
        List {
            root,
            len: self.len + 1,
        }
    }

    /// The list without the entry at `key`; `None` if it holds none.
    pub(super) fn remove(&self, key: Key) -> Option<Self> {
        let mut root = self.root.remove(key)?;
        // A branch left with one child gives way to it.
        while let Node::Branch { children, .. } = &root {
            if children.len() != 1 {
                break;
            }
            root = Node::clone_of(&children[0]);
        }
        Some(List {
            root,
            len: self.len - 1,
        })
    }
}

impl<T: Clone> Node<T> {
    fn clone_of(node: &Node<T>) -> Node<T> {
        match node {
            Node::Leaf { keys, items } => Node::Leaf {
                keys: keys.clone(),
                items: items.clone(),
            },
            Node::Branch { keys, children } => Node::Branch {
                keys: keys.clone(),
                children: children.clone(),
            },
        }
    }
}

/// A walk over a [`List`] in call order, one leaf at a time: within a leaf
/// it is a walk over a slice; moving to the next leaf descends from the root
/// again (O(log n) once per [`MIN`] entries or more), so that the walk needs
/// no stack of its own and allocates nothing.
pub(crate) struct ListCursor<'r, T> {
    root: &'r Node<T>,
    keys: &'r [Key],
    /// The leaf's entries.
    items: &'r [T],
    /// Those not yielded yet.
    rest: &'r [T],
    /// Entries in the leaves before this one.
    before: usize,
}

// Slice patterns rather than indexing, `get` or `?` in what a send runs:
// the same code once optimized, and no generic helper for an unoptimized
// build to compile once per signal.
impl<'r, T: Item> ListCursor<'r, T> {
    pub(crate) fn new(list: &'r List<T>) -> Self {
        let mut node = &list.root;
        while let Node::Branch { children, .. } = node {
            node = &children[0];
        }
        let (keys, items) = leaf(node);
        ListCursor {
            root: &list.root,
            keys,
            items,
            rest: items,
            before: 0,
        }
    }

    /// How many entries the walk has yielded so far.
    #[inline]
    pub(crate) fn reached(&self) -> usize {
        self.before + self.items.len() - self.rest.len()
    }

    /// The entry yielded last.
    pub(crate) fn current(&self) -> Option<&'r T> {
        let items = self.items;
        Some(&items[(items.len() - self.rest.len()).checked_sub(1)?])
    }

    /// The next entry, in call order.
    #[inline]
    pub(crate) fn next_item(&mut self) -> Option<&'r T> {
        self.next_item_with(next_leaf)
    }

    /// [`next_item`](Self::next_item), moving to the next leaf with
    /// `next_leaf`: a send reaches it through a pointer the registry stored
    /// at connect time, so that only the walk within a leaf is compiled into
    /// every signal's send, and the descent only for signals that connect a
    /// receiver at run time.
    #[inline(always)]
    pub(crate) fn next_item_with(&mut self, next_leaf: NextLeaf<T>) -> Option<&'r T> {
        if let [item, rest @ ..] = self.rest {
            self.rest = rest;
            return Some(item);
        }
        match self.root {
            Node::Leaf { .. } => None,
            Node::Branch { .. } => next_leaf(self),
        }
    }

    /// Moves to the leaf after the current one and yields its first entry.
    #[cold]
    #[inline(never)]
    fn next_leaf(&mut self) -> Option<&'r T> {
        let last = *self.keys.last()?;
        let mut node = self.root;
        while let Node::Branch { keys, children } = node {
            node = children.get(keys.partition_point(|k| *k <= last))?;
        }
        let (keys, items) = leaf(node);
        let [first, rest @ ..] = items else {
            return None;
        };
        self.before += self.items.len();
        self.keys = keys;
        self.items = items;
        self.rest = rest;
        Some(first)
    }
}

/// Moves a cursor to the leaf after its current one and yields that leaf's
/// first entry: [`ListCursor::next_leaf`], as a function pointer.
pub(crate) type NextLeaf<T> = for<'a, 'r> fn(&'a mut ListCursor<'r, T>) -> Option<&'r T>;

/// [`ListCursor::next_leaf`], as a [`NextLeaf`].
pub(crate) fn next_leaf<'r, T: Item>(cursor: &mut ListCursor<'r, T>) -> Option<&'r T> {
    cursor.next_leaf()
}

fn leaf<T>(node: &Node<T>) -> (&[Key], &[T]) {
    match node {
        Node::Leaf { keys, items } => (keys, items),
        Node::Branch { .. } => unreachable!("the descent ends at a leaf"),
    }
}

/// A [`List`] of any signal's entries, behind a type that is the same for
/// every signal: the lock-free swap holds this, so that its code is compiled
/// once rather than once per signal.
pub(crate) struct Erased {
    list: Box<dyn Any + Send + Sync>,
    /// How many entries the list holds, readable without its type.
    len: usize,
}

impl Erased {
    pub(super) fn new<H, D>(list: List<Planned<H, D>>) -> Self
    where
        H: Send + Sync + 'static,
        D: ?Sized + Send + Sync + 'static,
    {
        Erased {
            len: list.len(),
            list: Box::new(list),
        }
    }

    /// How many entries the list holds.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The list, typed again. Each registry only ever stores its own type.
    pub(crate) fn get<H: 'static, D: ?Sized + 'static>(&self) -> &List<Planned<H, D>> {
        match self.list.downcast_ref() {
            Some(list) => list,
            None => unreachable!("a registry holds the run-time receivers of its own signal"),
        }
    }
}

/// An entry of a [`List`]: cloned when a leaf is copied, dropped with a
/// panic in its drop caught.
pub(crate) trait Item: Clone {
    /// Drops the entry; a panic in a closure's drop is pushed to `panics`.
    fn drop_caught(self, panics: &mut Vec<dropped::Panic>);
}

impl<H: 'static, D: ?Sized> Item for Planned<H, D> {
    fn drop_caught(self, panics: &mut Vec<dropped::Panic>) {
        let Planned::Dynamic(entry) = self else {
            return;
        };
        // Only an entry's last owner drops the closure.
        let Some(DynEntry { meta, handler }) = Arc::into_inner(entry) else {
            return;
        };
        if let Err(payload) = catch_unwind(AssertUnwindSafe(move || drop(handler))) {
            panics.push(dropped::Panic {
                receiver: ReceiverName::Shared(meta.name),
                payload,
            });
        }
    }
}

// Dropping a list drops its entries one by one: the last version of the list
// that holds a disconnected receiver drops its closure, and that drop (user
// code) may panic. A panic there must neither abort the process (a second
// panic while unwinding) nor skip the other entries; the first one is handed
// on once everything is dropped, and the name of each panicking receiver is
// kept for `send_robust` to report.
impl<T: Item> Drop for List<T> {
    fn drop(&mut self) {
        let mut panics = Vec::new();
        drop_node(&mut self.root, &mut panics);
        if !panics.is_empty() {
            dropped::hand_on(panics);
        }
    }
}

fn drop_node<T: Item>(node: &mut Node<T>, panics: &mut Vec<dropped::Panic>) {
    match node {
        Node::Leaf { items, .. } => {
            for item in std::mem::take(items) {
                item.drop_caught(panics);
            }
        }
        Node::Branch { children, .. } => {
            for child in std::mem::take(children) {
                // Only the last version holding a node drops what is in it.
                if let Some(mut child) = Arc::into_inner(child) {
                    drop_node(&mut child, panics);
                }
            }
        }
    }
}

/// Panics of closures dropped with a list, kept per thread.
pub(crate) mod dropped {
    use std::any::Any;
    use std::cell::RefCell;

    use crate::receiver::ReceiverName;

    /// A closure's drop that panicked.
    pub(crate) struct Panic {
        pub(crate) receiver: ReceiverName,
        pub(crate) payload: Box<dyn Any + Send + 'static>,
    }

    thread_local! {
        /// What the last list dropped on this thread could not hand on: the
        /// name of the receiver whose panic it resumed, and every later one.
        static KEPT: RefCell<Vec<(ReceiverName, Option<Panic>)>> = const { RefCell::new(Vec::new()) };
    }

    /// Resumes the first panic, after keeping its receiver's name and every
    /// later panic for [`take`]. While the thread is already unwinding,
    /// a second panic would abort the process: the panics are dropped (the
    /// panic hook has already printed each).
    pub(super) fn hand_on(panics: Vec<Panic>) {
        if std::thread::panicking() {
            return;
        }
        let mut panics = panics.into_iter();
        let Some(first) = panics.next() else { return };
        KEPT.with(|kept| {
            let mut kept = kept.borrow_mut();
            kept.clear();
            kept.push((first.receiver, None));
            kept.extend(panics.map(|p| (p.receiver.clone(), Some(p))));
        });
        std::panic::resume_unwind(first.payload);
    }

    /// The panics of the closures dropped with the list whose drop just
    /// panicked with `payload`, named.
    pub(crate) fn take(payload: Box<dyn Any + Send + 'static>) -> Vec<Panic> {
        let kept = KEPT.with(|kept| std::mem::take(&mut *kept.borrow_mut()));
        let mut payload = Some(payload);
        let mut panics: Vec<Panic> = kept
            .into_iter()
            .filter_map(|(receiver, panic)| match panic {
                Some(panic) => Some(panic),
                None => Some(Panic {
                    receiver,
                    payload: payload.take()?,
                }),
            })
            .collect();
        if let Some(payload) = payload {
            panics.insert(
                0,
                Panic {
                    receiver: ReceiverName::Static("a disconnected receiver"),
                    payload,
                },
            );
        }
        panics
    }
}

#[cfg(test)]
mod tests {
    //! The tree against a model (a sorted `Vec`): same entries in the same
    //! order after every insert and remove, balanced, no node under half
    //! full but the root, and every version left intact by later ones.

    use super::*;

    impl Item for u64 {
        fn drop_caught(self, _: &mut Vec<dropped::Panic>) {}
    }

    fn walk(list: &List<u64>) -> Vec<u64> {
        let mut cursor = ListCursor::new(list);
        let mut out = Vec::new();
        while let Some(item) = cursor.next_item() {
            out.push(*item);
            assert_eq!(cursor.reached(), out.len());
            assert_eq!(cursor.current(), Some(item));
        }
        assert_eq!(cursor.next_item(), None, "a finished walk stays finished");
        out
    }

    /// The depth of `node`, checking the invariants on the way.
    fn check(node: &Node<u64>, root: bool) -> usize {
        if !root {
            assert!(node.len() >= MIN, "a node under half full: {}", node.len());
        }
        assert!(node.len() <= MAX);
        assert!(node.keys().windows(2).all(|w| w[0] < w[1]));
        match node {
            Node::Leaf { keys, items } => {
                assert_eq!(keys.len(), items.len());
                0
            }
            Node::Branch { keys, children } => {
                assert!(children.len() >= 2 || !root || children.is_empty());
                let depths: Vec<usize> = children.iter().map(|c| check(c, false)).collect();
                assert!(depths.windows(2).all(|w| w[0] == w[1]), "unbalanced");
                for (key, child) in keys.iter().zip(children) {
                    assert_eq!(*key, child.max_key());
                }
                depths[0] + 1
            }
        }
    }

    fn key(value: u64) -> Key {
        // Few orders, so that many entries share one: run-time ones keep
        // their connect order among them.
        Key::of_run_time((value % 7) as i32 - 3, value)
    }

    #[test]
    fn follows_a_sorted_model_through_inserts_and_removes() {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut list = List::new();
        let mut model: Vec<(Key, u64)> = Vec::new();
        let mut versions = Vec::new();
        for round in 0..6_000u64 {
            let remove = !model.is_empty() && (round > 4_000 || next() % 3 == 0);
            if remove {
                let at = (next() % model.len() as u64) as usize;
                let (k, _) = model.remove(at);
                list = list.remove(k).expect("the entry is in the list");
                assert!(list.remove(k).is_none(), "removed twice");
            } else {
                let k = key(round);
                let at = model.partition_point(|(m, _)| *m < k);
                model.insert(at, (k, round));
                list = list.insert(k, round);
            }
            if round % 500 == 0 {
                let expected: Vec<u64> = model.iter().map(|(_, v)| *v).collect();
                versions.push((list.insert(key(u64::MAX >> 2), 0), expected));
            }
            assert_eq!(list.len(), model.len());
            if round % 97 == 0 || model.len() < 3 {
                let expected: Vec<u64> = model.iter().map(|(_, v)| *v).collect();
                assert_eq!(walk(&list), expected);
                check(&list.root, true);
            }
        }
        // Older versions are untouched by everything done since.
        for (version, mut expected) in versions {
            let extra = key(u64::MAX >> 2);
            let at = expected
                .iter()
                .position(|v| key(*v) > extra)
                .unwrap_or(expected.len());
            expected.insert(at, 0);
            assert_eq!(walk(&version), expected);
        }
    }

    #[test]
    fn a_large_list_is_a_shallow_tree() {
        let mut list = List::new();
        for value in 0..100_000 {
            list = list.insert(key(value), value);
        }
        assert!(check(&list.root, true) <= 3);
        assert_eq!(walk(&list).len(), 100_000);
    }
}
