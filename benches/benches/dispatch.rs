//! What a send costs, next to what a user would write instead.
//!
//! Every group calls the same receivers, with the same body ([`work`]),
//! through each mechanism, in one run, so that ratios of medians mean
//! something on a noisy machine:
//!
//! - `direct`: the receivers called by name, one after the other (the floor);
//! - `linkme_slice`: a raw `linkme` distributed slice of `fn(&Payload)`;
//! - `rwlock_registry`: an `RwLock<Vec<Box<dyn Fn(&Payload) + Send + Sync>>>`;
//! - `signals2`: the `signals2` crate, one slot per receiver;
//! - `send`, `send_robust`, `send_async`, `send_robust_async`: signals-core.
//!
//! The global allocator is divan's `AllocProfiler`, so every row also shows
//! the heap allocations per iteration (none is shown when there are none).
//!
//! Run with `cargo bench -p signals-benches --bench dispatch -- --min-time 0.2`
//! (divan's default of about a millisecond per benchmark is at the mercy of
//! whatever else the machine does), several times, and summarize with
//! `python3 benches/summarize.py <outputs>`; see BENCHMARKS.md.

use std::cell::Cell;
use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::sync::RwLock;
use std::task::{Context, Poll, Waker};

use divan::Bencher;
use linkme::distributed_slice;
use signals_core::signal;

#[global_allocator]
static ALLOC: divan::AllocProfiler = divan::AllocProfiler::system();

fn main() {
    divan::main();
    // Read once, so that the stores of `work` are not dead.
    black_box(SINK.get());
}

thread_local! {
    /// Where receivers write: one per thread, so that two threads sending at
    /// once do not share a cache line through the receivers' bodies.
    static SINK: Cell<u64> = const { Cell::new(0) };
}

/// What every receiver does, in every variant: an add whose operand the
/// optimizer cannot see, stored into a thread-local counter. Nothing reads
/// the sum back during a send, so receivers do not wait on each other: a
/// chain of dependent adds would hide the dispatch loop behind its latency.
///
/// `key` differs between receivers (see [`key`]), so that each receiver is a
/// function of its own: identical bodies would be folded into one by the
/// linker, and every indirect call would go to the same address.
#[inline(always)]
fn work(value: u64, key: u64) {
    SINK.set(black_box(value).wrapping_add(key));
}

/// A constant per receiver name (FNV-1a of the name), the same in every
/// variant.
const fn key(name: &str) -> u64 {
    let bytes = name.as_bytes();
    let mut hash = 0xcbf2_9ce4_8422_2325_u64;
    let mut i = 0;
    while i < bytes.len() {
        hash = (hash ^ bytes[i] as u64).wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    hash
}

/// What the baselines pass to their receivers: the same data as the signals.
pub struct Payload {
    pub value: u64,
}

/// A registry a user might write instead: a lock around boxed closures.
type Boxed = Box<dyn Fn(&Payload) + Send + Sync>;

/// The value every send carries, hidden from the optimizer.
#[inline(always)]
fn one() -> u64 {
    black_box(1)
}

/// Sends once before measuring: a signal's first send sorts its static
/// receivers (the only allocation of a sync send), and divan would otherwise
/// size its samples after that one slow call.
fn warm_up(send: impl FnOnce() -> bool) {
    assert!(send(), "the benchmark's receivers never fail");
}

/// One call through the `RwLock` registry.
fn call_registry(registry: &RwLock<Vec<Boxed>>) {
    let payload = Payload { value: one() };
    for receiver in registry.read().unwrap().iter() {
        receiver(&payload);
    }
}

/// One emit of a `signals2` signal.
fn emit_signals2(signal: &signals2::Signal<(u64,)>) {
    use signals2::Emit1;
    signal.emit(one());
}

/// Polls a future that never waits to completion, without a runtime.
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
}

/// A signal, its raw linkme twin, and a module of receivers for each count.
#[signal]
pub struct Sig0 {
    pub value: u64,
}
#[signal]
pub struct Sig1 {
    pub value: u64,
}
#[signal]
pub struct Sig8 {
    pub value: u64,
}
#[signal]
pub struct Sig64 {
    pub value: u64,
}
/// Eight static receivers and two connected at run time.
#[signal]
pub struct Sig8Plus2 {
    pub value: u64,
}
/// An async signal whose receivers are all synchronous.
#[signal(async)]
pub struct AsyncSyncOnly8 {
    pub value: u64,
}
/// An async signal whose receivers are all `async fn`.
#[signal(async)]
pub struct Async8 {
    pub value: u64,
}

#[distributed_slice]
static RAW0: [fn(&Payload)];
#[distributed_slice]
static RAW1: [fn(&Payload)];
#[distributed_slice]
static RAW8: [fn(&Payload)];
#[distributed_slice]
static RAW64: [fn(&Payload)];

/// Static receivers of `$signal`, one per name, and `direct`, which calls
/// them all by name.
macro_rules! signal_receivers {
    ($signal:ident, [$($name:ident)*]) => {
        $(
            #[signals_core::receiver(signal = crate::$signal)]
            pub fn $name(signal: &crate::$signal) {
                work(signal.value, const { crate::key(stringify!($name)) })
            }
        )*

        #[inline(always)]
        #[allow(unused_variables)] // by the set without receivers
        pub fn direct(signal: &crate::$signal) {
            $($name(signal);)*
        }
    };
}

/// One module per receiver count: the signal's receivers, and the same
/// receivers for every baseline (one distinct function or closure per name in
/// each, so that no variant calls one target over and over).
macro_rules! receivers {
    ($module:ident: $signal:ident, $raw:ident, [$($name:ident)*]) => {
        #[allow(unused_imports)] // by the set without receivers
        mod $module {
            use super::{work, Boxed, Payload};

            signal_receivers!($signal, [$($name)*]);

            #[allow(non_upper_case_globals, unused_imports)]
            mod raw {
                use super::super::{work, Payload};
                $(
                    #[linkme::distributed_slice(crate::$raw)]
                    static $name: fn(&Payload) =
                        |payload| work(payload.value, const { crate::key(stringify!($name)) });
                )*
            }

            pub fn boxed() -> Vec<Boxed> {
                #[allow(unused_mut)]
                let mut receivers: Vec<Boxed> = Vec::new();
                $(
                    let $name =
                        |payload: &Payload| work(payload.value, const { crate::key(stringify!($name)) });
                    receivers.push(Box::new($name));
                )*
                receivers
            }

            #[allow(unused_variables, unused_imports)] // by the set without receivers
            pub fn connect_signals2(signal: &signals2::Signal<(u64,)>) {
                use signals2::Connect1;
                $(
                    let $name = |value: u64| work(value, const { crate::key(stringify!($name)) });
                    signal.connect($name);
                )*
            }
        }
    };
}

receivers!(set0: Sig0, RAW0, []);
receivers!(set1: Sig1, RAW1, [r0]);
receivers!(set8: Sig8, RAW8, [r0 r1 r2 r3 r4 r5 r6 r7]);
receivers!(set64: Sig64, RAW64, [
    r00 r01 r02 r03 r04 r05 r06 r07 r08 r09 r10 r11 r12 r13 r14 r15
    r16 r17 r18 r19 r20 r21 r22 r23 r24 r25 r26 r27 r28 r29 r30 r31
    r32 r33 r34 r35 r36 r37 r38 r39 r40 r41 r42 r43 r44 r45 r46 r47
    r48 r49 r50 r51 r52 r53 r54 r55 r56 r57 r58 r59 r60 r61 r62 r63
]);

mod set8_plus_2 {
    use super::work;
    signal_receivers!(Sig8Plus2, [r0 r1 r2 r3 r4 r5 r6 r7]);
}

mod async_sync_only {
    use super::work;
    signal_receivers!(AsyncSyncOnly8, [r0 r1 r2 r3 r4 r5 r6 r7]);
}

/// Async receivers of `$signal`, and `direct`, which awaits them by name.
macro_rules! async_receivers {
    ($module:ident: $signal:ident, [$($name:ident)*]) => {
        mod $module {
            use super::work;
            $(
                #[signals_core::receiver(signal = crate::$signal)]
                pub async fn $name(signal: &crate::$signal) {
                    work(signal.value, const { crate::key(stringify!($name)) })
                }
            )*

            pub async fn direct(signal: &crate::$signal) {
                $($name(signal).await;)*
            }
        }
    };
}

async_receivers!(async8: Async8, [r0 r1 r2 r3 r4 r5 r6 r7]);

/// The same six variants for each number of static receivers.
macro_rules! sync_group {
    ($group:ident: $set:ident, $signal:ident, $raw:ident) => {
        mod $group {
            use super::*;

            #[divan::bench]
            fn direct() {
                $set::direct(&$signal { value: one() })
            }

            #[divan::bench]
            fn linkme_slice() {
                let payload = Payload { value: one() };
                // The length is hidden, or the loop is unrolled against a
                // length the real registry cannot know either.
                let receivers: &[fn(&Payload)] = black_box(&$raw[..]);
                for receiver in receivers {
                    receiver(&payload);
                }
            }

            #[divan::bench]
            fn rwlock_registry(bencher: Bencher) {
                let registry = RwLock::new($set::boxed());
                bencher.bench_local(|| call_registry(&registry));
            }

            #[divan::bench]
            fn signals2(bencher: Bencher) {
                let signal = signals2::Signal::<(u64,)>::new();
                $set::connect_signals2(&signal);
                bencher.bench_local(|| emit_signals2(&signal));
            }

            #[divan::bench]
            fn send(bencher: Bencher) {
                warm_up(|| $signal { value: 1 }.send().is_ok());
                bencher.bench_local(|| $signal { value: one() }.send().is_ok());
            }

            #[divan::bench]
            fn send_robust(bencher: Bencher) {
                warm_up(|| $signal { value: 1 }.send_robust().is_ok());
                bencher.bench_local(|| $signal { value: one() }.send_robust().is_ok());
            }
        }
    };
}

sync_group!(receivers_00: set0, Sig0, RAW0);
sync_group!(receivers_01: set1, Sig1, RAW1);
sync_group!(receivers_08: set8, Sig8, RAW8);
sync_group!(receivers_64: set64, Sig64, RAW64);

/// Eight static receivers plus two connected at run time (ten in all for
/// the baselines), sent from one thread and from two at once: the snapshot of
/// run-time receivers is lock-free, and an `RwLock`'s readers all write its
/// reader count. The sample size is fixed: divan sizes samples after the
/// first iteration, which on a new thread includes one-time set-up (arc-swap
/// registers the thread on its first load).
mod static_8_dynamic_2 {
    use super::*;

    fn connect() -> [signals_core::Connection; 2] {
        [
            Sig8Plus2::connect(|signal: &Sig8Plus2| work(signal.value, key("d0"))),
            Sig8Plus2::connect(|signal: &Sig8Plus2| work(signal.value, key("d1"))),
        ]
    }

    #[divan::bench(threads = [1, 2], sample_size = 256)]
    fn direct(bencher: Bencher) {
        bencher.bench(|| {
            let signal = Sig8Plus2 { value: one() };
            set8_plus_2::direct(&signal);
            work(signal.value, key("d0"));
            work(signal.value, key("d1"));
        });
    }

    #[divan::bench(threads = [1, 2], sample_size = 256)]
    fn rwlock_registry(bencher: Bencher) {
        let mut receivers = set8::boxed();
        receivers.push(Box::new(|payload: &Payload| work(payload.value, key("d0"))));
        receivers.push(Box::new(|payload: &Payload| work(payload.value, key("d1"))));
        let registry = RwLock::new(receivers);
        bencher.bench(|| call_registry(&registry));
    }

    #[divan::bench(threads = [1, 2], sample_size = 256)]
    fn signals2(bencher: Bencher) {
        use signals2::Connect1;
        let signal = signals2::Signal::<(u64,)>::new();
        set8::connect_signals2(&signal);
        signal.connect(|value: u64| work(value, key("d0")));
        signal.connect(|value: u64| work(value, key("d1")));
        bencher.bench(|| emit_signals2(&signal));
    }

    #[divan::bench(threads = [1, 2], sample_size = 256)]
    fn send(bencher: Bencher) {
        let connections = connect();
        warm_up(|| Sig8Plus2 { value: 1 }.send().is_ok());
        bencher.bench(|| Sig8Plus2 { value: one() }.send().is_ok());
        drop(connections);
    }

    #[divan::bench(threads = [1, 2], sample_size = 256)]
    fn send_robust(bencher: Bencher) {
        let connections = connect();
        warm_up(|| Sig8Plus2 { value: 1 }.send_robust().is_ok());
        bencher.bench(|| Sig8Plus2 { value: one() }.send_robust().is_ok());
        drop(connections);
    }
}

/// An async signal with eight synchronous receivers, polled without a
/// runtime.
mod async_sync_only_8 {
    use super::*;

    #[divan::bench]
    fn direct() {
        block_on(async { async_sync_only::direct(&AsyncSyncOnly8 { value: one() }) })
    }

    #[divan::bench]
    fn send_async(bencher: Bencher) {
        warm_up(|| block_on(AsyncSyncOnly8 { value: 1 }.send_async()).is_ok());
        bencher.bench_local(|| block_on(AsyncSyncOnly8 { value: one() }.send_async()).is_ok());
    }

    #[divan::bench]
    fn send_robust_async(bencher: Bencher) {
        warm_up(|| block_on(AsyncSyncOnly8 { value: 1 }.send_robust_async()).is_ok());
        bencher
            .bench_local(|| block_on(AsyncSyncOnly8 { value: one() }.send_robust_async()).is_ok());
    }
}

/// An async signal with eight `async fn` receivers, polled without a
/// runtime.
mod async_8 {
    use super::*;

    #[divan::bench]
    fn direct() {
        block_on(async8::direct(&Async8 { value: one() }))
    }

    #[divan::bench]
    fn send_async(bencher: Bencher) {
        warm_up(|| block_on(Async8 { value: 1 }.send_async()).is_ok());
        bencher.bench_local(|| block_on(Async8 { value: one() }.send_async()).is_ok());
    }

    #[divan::bench]
    fn send_robust_async(bencher: Bencher) {
        warm_up(|| block_on(Async8 { value: 1 }.send_robust_async()).is_ok());
        bencher.bench_local(|| block_on(Async8 { value: one() }.send_robust_async()).is_ok());
    }
}

/// A signal whose run-time receivers come and go: eight static receivers,
/// and n closures connected then dropped (in connect order), as a server
/// that connects one receiver per client does. With a list copied whole per
/// connect this grows as n^2; the growth ratios of 1k -> 10k -> 100k show
/// whether it is n log n (about 10-13x per step) or n^2 (100x).
#[signal]
pub struct Churn {
    pub value: u64,
}

#[allow(dead_code)] // `direct`: nothing calls the churn receivers by name
mod churn_receivers {
    use super::work;
    signal_receivers!(Churn, [r0 r1 r2 r3 r4 r5 r6 r7]);
}

mod churn {
    use super::*;

    #[divan::bench(args = [1_000, 10_000, 100_000], sample_count = 3, sample_size = 1)]
    fn connect_then_drop(bencher: Bencher, n: usize) {
        warm_up(|| Churn { value: 1 }.send().is_ok());
        bencher.bench_local(|| {
            let connections: Vec<signals_core::Connection> = (0..n as u64)
                .map(|i| Churn::connect(move |signal: &Churn| work(signal.value, i)))
                .collect();
            drop(black_box(connections));
        });
        assert_eq!(
            Churn::receivers().len(),
            8,
            "every closure was disconnected"
        );
    }
}
