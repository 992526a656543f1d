//! Run-time receivers that do more (DESIGN.md, "receivers that do more"):
//! `ConnectOptions::key` connects one receiver per key while it is connected
//! (also when threads race), and `Connection::is_connected` says which
//! connect added it; `connect_weak` receivers hold their target weakly, are
//! not called once it is gone and are removed by the next send, also when the
//! target goes during a dispatch; filters, keys, names and orders combine on
//! the sync, async and weak forms; `connect_async` takes async closures whose
//! future borrows the signal.

use signals_core::{signal, ConnectOptions, ReceiverKind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::thread;

fn names<I: IntoIterator<Item = signals_core::ReceiverInfo>>(infos: I) -> Vec<String> {
    infos.into_iter().map(|r| r.name().to_owned()).collect()
}

#[signal]
pub struct Keyed {
    pub n: u32,
}

#[test]
fn a_key_connects_one_receiver_while_it_is_connected() {
    let calls = Arc::new(AtomicUsize::new(0));
    let connect = |calls: &Arc<AtomicUsize>| {
        let calls = Arc::clone(calls);
        Keyed::connect_with(
            ConnectOptions::new().key("audit").name("audit"),
            move |_: &Keyed| {
                calls.fetch_add(1, Ordering::SeqCst);
            },
        )
    };
    let first = connect(&calls);
    let second = connect(&calls);
    assert!(first.is_connected());
    assert!(!second.is_connected());
    assert!(format!("{second:?}").contains("connected: false"));
    assert_eq!(names(Keyed::receivers()), ["audit"]);
    Keyed { n: 1 }.send().unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    // Dropping the refused connection leaves the first one connected.
    drop(second);
    Keyed { n: 2 }.send().unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2);

    // Another key, and no key, are not affected.
    let other = Keyed::connect_with(ConnectOptions::new().key("other"), |_: &Keyed| {});
    let unkeyed = Keyed::connect(|_: &Keyed| {});
    assert!(other.is_connected() && unkeyed.is_connected());
    assert_eq!(Keyed::receivers().len(), 3);
    drop((other, unkeyed));

    // Once the keyed receiver is disconnected, the key is free again.
    first.disconnect();
    assert!(!Keyed::has_receivers());
    let third = connect(&calls);
    assert!(third.is_connected());
    Keyed { n: 3 }.send().unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[signal]
pub struct Raced {}

#[test]
fn threads_racing_to_connect_one_key_add_exactly_one_receiver() {
    for _round in 0..20 {
        let threads = 8;
        let barrier = Arc::new(Barrier::new(threads));
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let barrier = Arc::clone(&barrier);
                thread::spawn(move || {
                    barrier.wait();
                    Raced::connect_with(ConnectOptions::new().key("once"), |_: &Raced| {})
                })
            })
            .collect();
        let connections: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let added = connections.iter().filter(|c| c.is_connected()).count();
        assert_eq!(added, 1);
        assert_eq!(Raced::receivers().len(), 1);
        drop(connections);
        assert!(!Raced::has_receivers());
    }
}

#[signal]
pub struct Weakly<'a> {
    pub label: &'a str,
}

/// A target of weak receivers: what it saw.
#[derive(Default)]
struct Window {
    seen: Mutex<Vec<String>>,
}

impl Window {
    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

#[test]
fn a_weak_receiver_is_called_with_its_target_and_gone_with_it() {
    let window = Arc::new(Window::default());
    Weakly::connect_weak(&window, |window: &Window, event: &Weakly| {
        window.seen.lock().unwrap().push(event.label.to_owned());
    });
    assert_eq!(Weakly::receivers().len(), 1);
    assert_eq!(Weakly::receivers()[0].kind(), ReceiverKind::Dynamic);
    Weakly { label: "one" }.send().unwrap();
    assert_eq!(window.seen(), ["one"]);
    // The receiver holds the target weakly.
    assert_eq!(Arc::strong_count(&window), 1);

    let weak = Arc::downgrade(&window);
    drop(window);
    assert!(weak.upgrade().is_none());
    // Not listed once the target is gone, and removed by the next send,
    // which does not call it.
    assert!(Weakly::receivers().is_empty());
    let report = Weakly { label: "two" }.send_robust();
    assert!(report.is_ok());
    assert!(!Weakly::has_receivers());
    assert!(Weakly::receivers().is_empty());
    Weakly { label: "three" }.send().unwrap();
}

#[signal]
pub struct WeakDuring {}

#[test]
fn a_weak_target_dropped_during_a_dispatch_is_skipped_by_the_rest_of_it() {
    // The first receiver drops the last `Arc` of the second's target.
    let target = Arc::new(Window::default());
    let holder = Arc::new(Mutex::new(Some(Arc::clone(&target))));
    let weak = Arc::downgrade(&target);
    drop(target);
    let release = Arc::clone(&holder);
    let _first =
        WeakDuring::connect_with(ConnectOptions::new().order(-1), move |_: &WeakDuring| {
            release.lock().unwrap().take();
        });
    let strong = weak.upgrade().unwrap();
    WeakDuring::connect_weak(&strong, |window: &Window, _: &WeakDuring| {
        window.seen.lock().unwrap().push("called".into());
    });
    drop(strong);
    assert_eq!(WeakDuring::receivers().len(), 2);

    WeakDuring {}.send().unwrap();
    assert!(weak.upgrade().is_none());
    assert_eq!(WeakDuring::receivers().len(), 1);
    // Sends go on as usual.
    WeakDuring {}.send().unwrap();
    assert_eq!(WeakDuring::receivers().len(), 1);
}

#[signal]
pub struct WeakPrunedDrops {}

#[signal]
pub struct Other {}

#[test]
fn a_pruned_weak_receiver_whose_closure_disconnects_another_does_not_deadlock() {
    signals_tests::within_deadline(|| {
        let other = Other::connect(|_: &Other| {});
        let target = Arc::new(Window::default());
        // The closure owns the other signal's connection, and one of this
        // signal's: dropping it disconnects both, after the pruning send.
        let own = WeakPrunedDrops::connect(|_: &WeakPrunedDrops| {});
        let owned = Mutex::new(Some((other, own)));
        WeakPrunedDrops::connect_weak(&target, move |_: &Window, _: &WeakPrunedDrops| {
            let _ = owned.lock().unwrap().is_some();
        });
        assert_eq!(WeakPrunedDrops::receivers().len(), 2);
        drop(target);
        WeakPrunedDrops {}.send().unwrap();
        assert!(!WeakPrunedDrops::has_receivers());
        assert!(!Other::has_receivers());
    });
}

#[signal]
pub struct WeakRaced {
    pub n: u32,
}

#[test]
fn threads_sending_while_a_weak_target_goes_prune_it_once() {
    signals_tests::within_deadline(|| {
        for _round in 0..20 {
            let target = Arc::new(Window::default());
            WeakRaced::connect_weak(&target, |window: &Window, event: &WeakRaced| {
                window.seen.lock().unwrap().push(event.n.to_string());
            });
            let barrier = Arc::new(Barrier::new(5));
            let senders: Vec<_> = (0..4)
                .map(|n| {
                    let barrier = Arc::clone(&barrier);
                    thread::spawn(move || {
                        barrier.wait();
                        for _ in 0..50 {
                            WeakRaced { n }.send().unwrap();
                        }
                    })
                })
                .collect();
            barrier.wait();
            drop(target);
            for sender in senders {
                sender.join().unwrap();
            }
            WeakRaced { n: 9 }.send().unwrap();
            assert!(!WeakRaced::has_receivers());
        }
    });
}

#[signal]
pub struct WeakKeyed {
    pub n: u32,
}

#[test]
fn weak_receivers_take_options_and_free_their_key_when_gone() {
    let first = Arc::new(Window::default());
    let second = Arc::new(Window::default());
    let options = || {
        ConnectOptions::new()
            .key("window")
            .name("window.refresh")
            .order(3)
            .filter(|event: &WeakKeyed| event.n.is_multiple_of(2))
    };
    let record = |window: &Window, event: &WeakKeyed| {
        window.seen.lock().unwrap().push(event.n.to_string());
    };
    assert!(WeakKeyed::connect_weak_with(options(), &first, record));
    assert!(!WeakKeyed::connect_weak_with(options(), &second, record));
    let infos = WeakKeyed::receivers();
    assert_eq!(names(infos.clone()), ["window.refresh"]);
    assert_eq!(infos[0].order(), 3);
    assert!(infos[0].is_filtered());
    for n in 1..=4 {
        WeakKeyed { n }.send().unwrap();
    }
    assert_eq!(first.seen(), ["2", "4"]);
    assert!(second.seen().is_empty());

    // Gone, even when the filter declines the send that finds it gone.
    drop(first);
    WeakKeyed { n: 5 }.send().unwrap();
    assert!(!WeakKeyed::has_receivers());
    assert!(WeakKeyed::connect_weak_with(options(), &second, record));
    WeakKeyed { n: 6 }.send().unwrap();
    assert_eq!(second.seen(), ["6"]);
}

#[signal]
pub struct Combined<'a> {
    pub table: &'a str,
}

#[test]
fn sync_options_combine_filter_key_name_and_order() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let push = |tag: &'static str| {
        let log = Arc::clone(&log);
        move |event: &Combined| log.lock().unwrap().push(format!("{tag}:{}", event.table))
    };
    let _late = Combined::connect(push("late"));
    let _posts = Combined::connect_with(
        ConnectOptions::new()
            .order(-1)
            .name("posts")
            .key("posts")
            .filter(|event: &Combined| event.table == "post"),
        push("posts"),
    );
    let _filtered =
        Combined::connect_filtered(|event: &Combined| event.table == "user", push("users"));
    let infos = Combined::receivers();
    assert_eq!(infos[0].name(), "posts");
    assert!(infos[0].is_filtered() && infos[2].is_filtered() && !infos[1].is_filtered());
    Combined { table: "post" }.send().unwrap();
    Combined { table: "user" }.send().unwrap();
    assert_eq!(
        *log.lock().unwrap(),
        ["posts:post", "late:post", "late:user", "users:user"]
    );
}

#[signal(async)]
pub struct Fetched {
    pub url: String,
}

/// What the async receivers of `Fetched` saw: an async closure that
/// captures state is not `Fn` (rustc: "async closure does not implement `Fn`
/// because it captures state from its environment"), so these write here.
static FETCHED: Mutex<Vec<String>> = Mutex::new(Vec::new());

#[test]
fn async_closures_borrow_the_signal_and_take_options() {
    let _closure = Fetched::connect_async(async |event: &Fetched| {
        tokio::task::yield_now().await;
        FETCHED
            .lock()
            .unwrap()
            .push(format!("closure:{}", event.url));
    });
    let _first = Fetched::connect_async_with(
        ConnectOptions::new()
            .order(-1)
            .name("first")
            .key("first")
            .filter(|event: &Fetched| event.url.starts_with("https")),
        async |event: &Fetched| -> Result<(), std::io::Error> {
            FETCHED.lock().unwrap().push(format!("first:{}", event.url));
            Ok(())
        },
    );
    let again =
        Fetched::connect_async_with(ConnectOptions::new().key("first"), async |_: &Fetched| {});
    assert!(!again.is_connected());
    // With state: a closure that copies what it needs, then `async move`.
    let log = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&log);
    let _returning = Fetched::connect_async(move |event: &Fetched| {
        let url = event.url.clone();
        let seen = Arc::clone(&seen);
        async move { seen.lock().unwrap().push(format!("returning:{url}")) }
    });
    let infos = Fetched::receivers();
    assert_eq!(names(infos.clone())[0], "first");
    assert!(infos.iter().all(|r| r.is_async()));

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    runtime.block_on(async {
        Fetched {
            url: "https://a".into(),
        }
        .send_async()
        .await
        .unwrap();
        Fetched {
            url: "http://b".into(),
        }
        .send_async()
        .await
        .unwrap();
    });
    assert_eq!(
        *FETCHED.lock().unwrap(),
        ["first:https://a", "closure:https://a", "closure:http://b"]
    );
    assert_eq!(
        *log.lock().unwrap(),
        ["returning:https://a", "returning:http://b"]
    );
}
