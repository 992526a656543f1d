//! Allocation: after a signal's first send, `send` and `send_robust` allocate
//! nothing on the heap when no receiver fails. A counting global allocator
//! (wrapping `System`, counting per thread so that the test harness and
//! other tests do not disturb the count) sees zero allocations across 10,000
//! of each, on a signal with static receivers and two connected closures;
//! nor do sends nested 30 deep, nor sends on other threads after their own
//! first send (see `other_threads_allocate_nothing_after_their_first_send`
//! for why the first one there is not counted). As a sanity check of the
//! counter, a failing or panicking receiver does allocate. Nor do sends over
//! 2,000 connected closures, whose list spans many nodes. Nor do sends to a
//! weak receiver whose target lives and to a keyed, filtered one (declining
//! or accepting).

use signals_core::{receiver, signal, ConnectOptions};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

struct Counting;

thread_local! {
    // `const` and without `Drop`: using it never allocates itself.
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn count_one() {
    // `try_with`: never panic inside the allocator, even during teardown.
    let _ = ALLOCATIONS.try_with(|count| count.set(count.get() + 1));
}

// SAFETY: every method forwards to `System` with the same arguments.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_one();
        System.alloc(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count_one();
        System.alloc_zeroed(layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_one();
        System.realloc(ptr, layout, new_size)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// How many allocations (including reallocations) this thread made in `f`.
fn allocations_in(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

#[signal]
pub struct Quiet<'a> {
    pub label: &'a str,
    pub value: u64,
}

static CALLS: AtomicUsize = AtomicUsize::new(0);

#[receiver(signal = Quiet, order = -1)]
fn plain(signal: &Quiet) {
    CALLS.fetch_add(signal.label.len(), Ordering::Relaxed);
}

/// Not zero-sized: boxing it allocates.
#[derive(Debug)]
struct TooLarge(u64);

impl std::fmt::Display for TooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} is too large", self.0)
    }
}

impl std::error::Error for TooLarge {}

#[receiver(signal = Quiet, order = 1)]
fn fallible(signal: &Quiet) -> Result<(), TooLarge> {
    CALLS.fetch_add(1, Ordering::Relaxed);
    if signal.value == u64::MAX {
        Err(TooLarge(signal.value))
    } else {
        Ok(())
    }
}

#[test]
fn send_and_send_robust_allocate_nothing_after_the_first_send() {
    let dynamic_calls = Arc::new(AtomicUsize::new(0));
    let calls = Arc::clone(&dynamic_calls);
    let first = Quiet::connect(move |_: &Quiet| {
        calls.fetch_add(1, Ordering::Relaxed);
    });
    let calls = Arc::clone(&dynamic_calls);
    let second = Quiet::connect_with(
        ConnectOptions::new().order(1).name("second"),
        move |signal: &Quiet| {
            calls.fetch_add(1, Ordering::Relaxed);
            if signal.value == u64::MAX {
                Err("too large")
            } else {
                Ok(())
            }
        },
    );
    assert_eq!(Quiet::receivers().len(), 4);

    // The first send of each kind may set things up.
    Quiet {
        label: "x",
        value: 0,
    }
    .send()
    .unwrap();
    assert!(Quiet {
        label: "x",
        value: 0
    }
    .send_robust()
    .is_ok());
    let before = CALLS.load(Ordering::Relaxed);

    const ROUNDS: u64 = 10_000;
    let sends = allocations_in(|| {
        for value in 0..ROUNDS {
            Quiet { label: "x", value }.send().unwrap();
        }
    });
    let robust_sends = allocations_in(|| {
        for value in 0..ROUNDS {
            let report = Quiet { label: "x", value }.send_robust();
            assert!(report.is_ok());
            assert_eq!(report.len(), 4);
        }
    });
    assert_eq!(sends, 0, "allocations in {ROUNDS} sends");
    assert_eq!(robust_sends, 0, "allocations in {ROUNDS} robust sends");

    // The receivers did run: 2 static and 2 dynamic per send.
    assert_eq!(
        CALLS.load(Ordering::Relaxed) - before,
        2 * 2 * ROUNDS as usize
    );
    assert_eq!(
        dynamic_calls.load(Ordering::Relaxed),
        2 * (2 * ROUNDS as usize + 2)
    );

    // Sanity: the counter sees allocations, and a failing receiver boxes its
    // error (and `send_robust` keeps it in its report).
    assert_eq!(allocations_in(|| drop(vec![1_u8])), 1);
    let failing = allocations_in(|| {
        let error = Quiet {
            label: "x",
            value: u64::MAX,
        }
        .send()
        .unwrap_err();
        assert_eq!(error.receiver_name(), "alloc::fallible");
    });
    assert!(failing > 0, "a failing send allocated nothing");
    let failing_robust = allocations_in(|| {
        let report = Quiet {
            label: "x",
            value: u64::MAX,
        }
        .send_robust();
        assert_eq!(report.failures().count(), 2);
    });
    assert!(
        failing_robust > 0,
        "a failing robust send allocated nothing"
    );

    drop((first, second));
}

/// A signal whose only receiver panics on request.
#[signal]
pub struct Shaky {
    pub panic: bool,
}

#[receiver(signal = Shaky)]
fn shaky(signal: &Shaky) {
    if signal.panic {
        std::panic::panic_any(1_u8);
    }
}

#[test]
fn a_robust_send_without_failures_allocates_nothing_even_after_a_panic() {
    Shaky { panic: false }.send().unwrap();
    assert!(Shaky { panic: false }.send_robust().is_ok());

    // A panic boxes its payload and the report keeps it.
    let panicking = allocations_in(|| {
        let report = Shaky { panic: true }.send_robust();
        assert!(report.failures().next().unwrap().is_panic());
    });
    assert!(panicking > 0, "a panicking receiver allocated nothing");

    // Afterwards, sends without failures are back to zero.
    let quiet = allocations_in(|| {
        for _ in 0..1_000 {
            assert!(Shaky { panic: false }.send_robust().is_ok());
            Shaky { panic: false }.send().unwrap();
        }
    });
    assert_eq!(quiet, 0);
}

/// Sends itself again until `depth` reaches zero.
#[signal]
pub struct Echo {
    pub depth: u32,
}

#[receiver(signal = Echo)]
fn echo(signal: &Echo) {
    if signal.depth > 0 {
        Echo {
            depth: signal.depth - 1,
        }
        .send()
        .unwrap();
    }
}

#[test]
fn nested_sends_allocate_nothing() {
    // A run-time receiver makes every level read the run-time list, so that
    // 30 reads of it are held at once.
    let connection = Echo::connect(|_: &Echo| {});
    Echo { depth: 30 }.send().unwrap();
    let nested = allocations_in(|| {
        for _ in 0..100 {
            Echo { depth: 30 }.send().unwrap();
            assert!(Echo { depth: 30 }.send_robust().is_ok());
        }
    });
    assert_eq!(nested, 0);
    drop(connection);
}

#[signal]
pub struct Shared {
    pub value: u64,
}

#[receiver(signal = Shared)]
fn shared(_: &Shared) {}

#[test]
fn other_threads_allocate_nothing_after_their_first_send() {
    let connection = Shared::connect(|_: &Shared| {});
    Shared { value: 0 }.send().unwrap();
    let start = Arc::new(std::sync::Barrier::new(3));
    let threads: Vec<_> = (0..3)
        .map(|_| {
            let start = Arc::clone(&start);
            std::thread::spawn(move || {
                start.wait();
                // Not counted: a thread's first send may allocate once, even
                // after the signal's first send elsewhere. arc_swap, which
                // holds the run-time receivers, gives each thread a slot for
                // its lock-free reads on its first read of any `ArcSwap`
                // (and reuses it after the thread ends).
                Shared { value: 0 }.send().unwrap();
                allocations_in(|| {
                    for value in 0..1_000 {
                        Shared { value }.send().unwrap();
                        assert!(Shared { value }.send_robust().is_ok());
                    }
                })
            })
        })
        .collect();
    for thread in threads {
        assert_eq!(thread.join().unwrap(), 0);
    }
    drop(connection);
}

/// A signal with more run-time receivers than fit one node of the run-time
/// list: its sends walk several leaves.
#[signal]
pub struct Crowd {}

#[test]
fn sends_over_thousands_of_run_time_receivers_allocate_nothing() {
    let calls = Arc::new(AtomicUsize::new(0));
    let connections: Vec<_> = (0..2_000)
        .map(|i| {
            let calls = Arc::clone(&calls);
            Crowd::connect_with(ConnectOptions::new().order(i % 3), move |_: &Crowd| {
                calls.fetch_add(1, Ordering::Relaxed);
            })
        })
        .collect();
    Crowd {}.send().unwrap();
    assert!(Crowd {}.send_robust().is_ok());
    let sends = allocations_in(|| {
        for _ in 0..100 {
            Crowd {}.send().unwrap();
            assert!(Crowd {}.send_robust().is_ok());
        }
    });
    assert_eq!(sends, 0, "allocations in 200 sends over 2,000 receivers");
    assert_eq!(calls.load(Ordering::Relaxed), 202 * 2_000);
    drop(connections);
}

#[signal]
pub struct Optioned {
    pub value: u64,
}

/// A weak receiver's target.
struct Target(AtomicUsize);

#[test]
fn weak_keyed_and_filtered_receivers_allocate_nothing_per_send() {
    let target = Arc::new(Target(AtomicUsize::new(0)));
    Optioned::connect_weak(&target, |target: &Target, signal: &Optioned| {
        target.0.fetch_add(signal.value as usize, Ordering::Relaxed);
    });
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&calls);
    let keyed = Optioned::connect_with(
        ConnectOptions::new()
            .key("keyed")
            .filter(|signal: &Optioned| signal.value % 2 == 1),
        move |_: &Optioned| {
            counted.fetch_add(1, Ordering::Relaxed);
        },
    );
    Optioned { value: 1 }.send().unwrap();
    assert!(Optioned { value: 1 }.send_robust().is_ok());
    let allocations = allocations_in(|| {
        for value in 0..10_000 {
            Optioned { value }.send().unwrap();
            assert!(Optioned { value }.send_robust().is_ok());
        }
    });
    assert_eq!(allocations, 0);
    assert_eq!(calls.load(Ordering::Relaxed), 2 + 10_000);
    assert_eq!(
        target.0.load(Ordering::Relaxed),
        2 + 2 * (0..10_000).sum::<usize>()
    );
    drop(keyed);
}
