//! Concurrency: four threads each send a signal 100,000 times (alternating
//! `send` and `send_robust`) while two threads connect and disconnect
//! run-time receivers in a loop until the senders finish, each keeping up to
//! three connected. The static receiver must count exactly 400,000 calls,
//! every robust send must call the static receiver plus at most what the
//! connectors hold (a lost or resurrected receiver shows here), no run-time
//! receiver may be left over, and nothing may deadlock: a watchdog fails the
//! test if it has not finished within 120 s.

use signals_core::{receiver, signal, ConnectOptions, Connection};
use std::collections::VecDeque;
use std::panic::resume_unwind;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

const SENDERS: usize = 4;
const SENDS: usize = 100_000;
const CONNECTORS: usize = 2;
/// How many receivers each connector keeps connected at most.
const HELD: usize = 3;

#[signal]
pub struct Hammered {
    pub from: usize,
}

static STATIC_CALLS: AtomicUsize = AtomicUsize::new(0);

#[receiver(signal = Hammered)]
fn count(_: &Hammered) {
    STATIC_CALLS.fetch_add(1, Ordering::Relaxed);
}

/// Runs the senders and connectors; returns how many connects happened and
/// how often run-time receivers were called.
fn hammer() -> (usize, usize) {
    let start = Arc::new(Barrier::new(SENDERS + CONNECTORS));
    let senders_done = Arc::new(AtomicBool::new(false));
    let dynamic_calls = Arc::new(AtomicUsize::new(0));

    let connectors: Vec<_> = (0..CONNECTORS)
        .map(|c| {
            let start = Arc::clone(&start);
            let senders_done = Arc::clone(&senders_done);
            let dynamic_calls = Arc::clone(&dynamic_calls);
            thread::spawn(move || {
                start.wait();
                // Each connector keeps up to `HELD` receivers connected, so
                // that sends keep meeting some, and replaces the oldest one
                // on every round (disconnecting it before connecting anew).
                let mut held: VecDeque<Connection> = VecDeque::with_capacity(HELD);
                let mut connects = 0;
                // At least once, however fast the senders are.
                loop {
                    if held.len() == HELD {
                        let oldest = held.pop_front().unwrap();
                        if connects % 2 == 0 {
                            drop(oldest);
                        } else {
                            oldest.disconnect();
                        }
                    }
                    // One connector before the static receiver, one after,
                    // so sends interleave both lists.
                    let order = if c % 2 == 0 { -1 } else { 1 };
                    let calls = Arc::clone(&dynamic_calls);
                    held.push_back(Hammered::connect_with(
                        ConnectOptions::new().order(order),
                        move |_: &Hammered| {
                            calls.fetch_add(1, Ordering::Relaxed);
                        },
                    ));
                    connects += 1;
                    if senders_done.load(Ordering::Acquire) {
                        break connects;
                    }
                }
            })
        })
        .collect();

    let senders: Vec<_> = (0..SENDERS)
        .map(|from| {
            let start = Arc::clone(&start);
            thread::spawn(move || {
                start.wait();
                for i in 0..SENDS {
                    let signal = Hammered { from };
                    if i % 2 == 0 {
                        signal.send().unwrap();
                    } else {
                        let report = signal.send_robust();
                        assert!(report.is_ok(), "{report}");
                        // The static receiver plus what the connectors hold.
                        assert!(
                            (1..=1 + CONNECTORS * HELD).contains(&report.len()),
                            "{} receivers called",
                            report.len()
                        );
                    }
                }
            })
        })
        .collect();

    let mut panic = None;
    for sender in senders {
        if let Err(payload) = sender.join() {
            panic.get_or_insert(payload);
        }
    }
    senders_done.store(true, Ordering::Release);
    let mut connects = 0;
    for connector in connectors {
        match connector.join() {
            Ok(n) => connects += n,
            Err(payload) => {
                panic.get_or_insert(payload);
            }
        }
    }
    if let Some(payload) = panic {
        resume_unwind(payload);
    }
    (connects, dynamic_calls.load(Ordering::Relaxed))
}

#[test]
fn concurrent_sends_connects_and_disconnects() {
    let started = Instant::now();
    let (done, finished) = mpsc::channel();
    let runner = thread::spawn(move || {
        let counts = hammer();
        let _ = done.send(());
        counts
    });
    match finished.recv_timeout(Duration::from_secs(120)) {
        Ok(()) | Err(RecvTimeoutError::Disconnected) => {}
        Err(RecvTimeoutError::Timeout) => {
            panic!("deadlock: the stress test did not finish within 120 s")
        }
    }
    let (connects, dynamic_calls) = runner.join().unwrap_or_else(|panic| resume_unwind(panic));

    assert_eq!(STATIC_CALLS.load(Ordering::Relaxed), SENDERS * SENDS);
    assert!(connects >= CONNECTORS);
    // Every run-time receiver is gone again.
    assert_eq!(Hammered::receivers().len(), 1);
    eprintln!(
        "{} sends, {connects} connects, {dynamic_calls} calls of run-time receivers in {:?}",
        SENDERS * SENDS,
        started.elapsed()
    );
}
