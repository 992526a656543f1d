//! Test helpers (feature `testing`, meant for dev-dependencies): record the
//! sends of a signal, mute its receivers, and check the order of sends across
//! signals.
//!
//! Every helper is scoped to the current thread unless its name says
//! `all_threads`, so tests running in parallel threads never see each other's
//! sends. A helper lasts as long as the value it returns.
//!
//! ```
//! use signals_core::{receiver, signal, testing};
//!
//! /// A user logged in.
//! #[signal]
//! pub struct LoggedIn { pub user: u32 }
//!
//! /// A user logged out.
//! #[signal]
//! pub struct LoggedOut { pub user: u32 }
//!
//! #[receiver(signal = LoggedIn)]
//! fn sends_mail(_: &LoggedIn) { panic!("no mail in tests, please") }
//!
//! let logins = LoggedIn::record(|event: &LoggedIn| event.user);
//! let journal = testing::journal();
//! let muted = LoggedIn::mute(); // its receivers do not run while this lives
//!
//! LoggedIn { user: 7 }.send().unwrap();
//! LoggedOut { user: 7 }.send().unwrap();
//!
//! assert_eq!(logins.assert_once(), 7);
//! journal.assert_order(&[<LoggedIn as signals_core::Signal>::NAME, <LoggedOut as signals_core::Signal>::NAME]);
//! drop(muted);
//! ```
//!
//! Without the feature none of this exists, and the send path has no trace
//! of it.

use std::any::Any;
use std::fmt;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::ThreadId;

use crate::handler::Call;
use crate::signal::Signal;

/// Which threads' sends a hook sees.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Threads {
    /// The thread that installed it.
    Current,
    /// Every thread.
    All,
}

/// What a hook does to the sends it sees.
enum Action {
    Mute,
    /// An `Arc<S::__Dyn>` that pushes a projection of the signal into a sink.
    Record(Box<dyn Any + Send + Sync>),
    Journal(Arc<Mutex<Vec<&'static str>>>),
}

struct Hook {
    id: u64,
    /// The signal's registry address; `None` for every signal.
    signal: Option<usize>,
    /// The thread it applies to; `None` for every thread.
    thread: Option<ThreadId>,
    action: Action,
}

static HOOKS: Mutex<Vec<Arc<Hook>>> = Mutex::new(Vec::new());
/// How many hooks exist: while 0, a send checks nothing else.
static ACTIVE: AtomicUsize = AtomicUsize::new(0);
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

fn hooks() -> MutexGuard<'static, Vec<Arc<Hook>>> {
    HOOKS.lock().unwrap_or_else(PoisonError::into_inner)
}

fn key<S: Signal>() -> usize {
    std::ptr::from_ref(S::__registry()).cast::<()>() as usize
}

/// Runs the hooks that apply to this send; true if the send is muted.
pub(crate) fn intercept<S: Signal>(signal: &S) -> bool {
    if ACTIVE.load(Ordering::Acquire) == 0 {
        return false;
    }
    let key = key::<S>();
    let thread = std::thread::current().id();
    // Cloned out of the lock: a projection may itself send signals.
    let applicable: Vec<Arc<Hook>> = hooks()
        .iter()
        .filter(|hook| {
            hook.signal.is_none_or(|s| s == key) && hook.thread.is_none_or(|t| t == thread)
        })
        .cloned()
        .collect();
    let mut muted = false;
    for hook in applicable {
        match &hook.action {
            Action::Mute => muted = true,
            Action::Record(handler) => {
                if let Some(handler) = handler.downcast_ref::<Arc<S::__Dyn>>() {
                    let _ = handler.call(signal);
                }
            }
            Action::Journal(names) => names
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(S::NAME),
        }
    }
    muted
}

/// Removes its hook when dropped.
struct HookGuard(u64);

impl HookGuard {
    fn install(signal: Option<usize>, threads: Threads, action: Action) -> Self {
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let thread = (threads == Threads::Current).then(|| std::thread::current().id());
        hooks().push(Arc::new(Hook {
            id,
            signal,
            thread,
            action,
        }));
        ACTIVE.fetch_add(1, Ordering::Release);
        HookGuard(id)
    }
}

impl Drop for HookGuard {
    fn drop(&mut self) {
        let removed = {
            let mut hooks = hooks();
            let at = hooks.iter().position(|hook| hook.id == self.0);
            at.map(|at| hooks.remove(at))
        };
        if removed.is_some() {
            ACTIVE.fetch_sub(1, Ordering::Release);
        }
        // The hook (and the projection it owns) drops here, outside the lock.
        drop(removed);
    }
}

/// The values recorded from the sends of one signal, in send order. Made by
/// the signal's `record` (current thread) or `record_all_threads`.
pub struct Recording<T> {
    values: Arc<Mutex<Vec<T>>>,
    _hook: HookGuard,
}

impl<T> Recording<T> {
    fn lock(&self) -> MutexGuard<'_, Vec<T>> {
        self.values.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// How many sends were recorded.
    pub fn count(&self) -> usize {
        self.lock().len()
    }

    /// Takes the values recorded so far, leaving the recording empty.
    pub fn take(&self) -> Vec<T> {
        std::mem::take(&mut *self.lock())
    }

    /// Panics unless the signal was never sent.
    #[track_caller]
    pub fn assert_never(&self) {
        let count = self.count();
        assert!(
            count == 0,
            "expected the signal never to be sent, but it was sent {count} time(s)"
        );
    }

    /// Panics unless the signal was sent exactly `times` times.
    #[track_caller]
    pub fn assert_times(&self, times: usize) {
        let count = self.count();
        assert!(
            count == times,
            "expected the signal to be sent {times} time(s), but it was sent {count} time(s)"
        );
    }
}

impl<T: Clone> Recording<T> {
    /// The values recorded so far.
    pub fn values(&self) -> Vec<T> {
        self.lock().clone()
    }

    /// Panics unless the signal was sent exactly once; returns its value.
    #[track_caller]
    pub fn assert_once(&self) -> T {
        let values = self.lock();
        match values.as_slice() {
            [only] => only.clone(),
            other => panic!(
                "expected the signal to be sent once, but it was sent {} time(s)",
                other.len()
            ),
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Recording<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recording")
            .field("values", &*self.lock())
            .finish()
    }
}

/// Starts a recording of `S`'s sends: `handler` pushes into `values`. The
/// generated `record` methods, which know how to build the handler, reach it
/// through `__private`.
pub(crate) fn record<S: Signal, T>(
    values: Arc<Mutex<Vec<T>>>,
    handler: Arc<S::__Dyn>,
    threads: Threads,
) -> Recording<T> {
    let hook = HookGuard::install(Some(key::<S>()), threads, Action::Record(Box::new(handler)));
    Recording {
        values,
        _hook: hook,
    }
}

/// While this lives, the signal's receivers do not run (sends still succeed
/// and are still recorded).
#[must_use = "the signal is muted only while this guard lives"]
pub struct Muted {
    _hook: HookGuard,
}

impl fmt::Debug for Muted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Muted")
    }
}

/// Mutes `S`'s receivers on the current thread while the guard lives.
pub fn mute<S: Signal>() -> Muted {
    Muted {
        _hook: HookGuard::install(Some(key::<S>()), Threads::Current, Action::Mute),
    }
}

/// Mutes `S`'s receivers on every thread while the guard lives.
pub fn mute_all_threads<S: Signal>() -> Muted {
    Muted {
        _hook: HookGuard::install(Some(key::<S>()), Threads::All, Action::Mute),
    }
}

/// The names of the signals sent on the current thread, in order, while it
/// lives.
pub struct Journal {
    names: Arc<Mutex<Vec<&'static str>>>,
    _hook: HookGuard,
}

/// Starts a journal of the current thread's sends.
pub fn journal() -> Journal {
    start_journal(Threads::Current)
}

/// Starts a journal of every thread's sends.
pub fn journal_all_threads() -> Journal {
    start_journal(Threads::All)
}

fn start_journal(threads: Threads) -> Journal {
    let names = Arc::new(Mutex::new(Vec::new()));
    Journal {
        _hook: HookGuard::install(None, threads, Action::Journal(Arc::clone(&names))),
        names,
    }
}

impl Journal {
    /// The names of the signals sent so far (`Signal::NAME`), in order.
    pub fn names(&self) -> Vec<&'static str> {
        self.names
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Panics unless the given signals were sent in this order (other sends
    /// may come between them).
    #[track_caller]
    pub fn assert_order(&self, expected: &[&str]) {
        let names = self.names();
        let mut rest = names.iter();
        for want in expected {
            assert!(
                rest.any(|name| name == want),
                "expected the sends {expected:?} in this order, but the journal is {names:?}"
            );
        }
    }
}

impl fmt::Debug for Journal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Journal")
            .field("names", &self.names())
            .finish()
    }
}
