//! Seeing what signals do: the catalog across crates, tracing spans and
//! ERROR events, thread-scoped recordings and mutes, and filters.

signals_core::link!(receivers_only);

use signals_core::{catalog, receiver, signal, testing, ReceiverKind, Signal};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};

/// Sent when a page is viewed.
///
/// More text that the catalog leaves out.
#[signal(name = "observe.page_viewed")]
pub struct PageViewed<'a> {
    pub path: &'a str,
    pub status: u16,
}

#[receiver(signal = PageViewed, order = 2)]
fn count_view(_: &PageViewed) {}

#[test]
fn the_catalog_lists_signals_and_receivers_of_several_crates_with_locations() {
    let catalog = catalog();
    let page = catalog
        .get("observe.page_viewed")
        .expect("this file's signal is linked");
    assert_eq!(page.doc(), "Sent when a page is viewed.");
    assert_eq!(page.fields(), [("path", "&'a str"), ("status", "u16")]);
    assert!(!page.is_async());
    assert_eq!(page.crate_name(), "observe");
    assert_eq!(page.location().file(), "tests/tests/observe.rs");
    assert_eq!(page.location().line(), 14);
    let receiver = &page.receivers()[0];
    assert_eq!(receiver.name(), "observe::count_view");
    assert_eq!(
        (receiver.order(), receiver.kind()),
        (2, ReceiverKind::Static)
    );
    assert_eq!(
        (receiver.location().file(), receiver.location().line()),
        ("tests/tests/observe.rs", 20)
    );

    // A signal of one crate with receivers in another, linked by `link!`.
    let shared = catalog
        .iter()
        .find(|s| s.type_path() == "shared_signals::Shared")
        .expect("linked");
    assert_eq!(shared.crate_name(), "shared_signals");
    let crates: Vec<(Option<&str>, &str, u32)> = shared
        .receivers()
        .iter()
        .map(|r| (r.crate_name(), r.location().file(), r.location().line()))
        .collect();
    assert_eq!(
        crates,
        [
            (
                Some("receivers_only"),
                "tests/receivers-only/src/lib.rs",
                15
            ),
            (
                Some("receivers_only"),
                "tests/receivers-only/src/lib.rs",
                10
            )
        ]
    );

    // Sorted by name, and printable as a table that names crates.
    let names: Vec<&str> = catalog.iter().map(|s| s.name()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted);
    let table = catalog.to_string();
    assert!(table.contains("observe.page_viewed"));
    assert!(table.contains("receivers_only"));
}

mod traced {
    use super::*;

    /// A signal whose receivers fail.
    #[signal]
    pub struct Traced {}

    #[receiver(signal = Traced, order = 1)]
    fn fails(_: &Traced) -> Result<(), String> {
        Err("quota exceeded".into())
    }

    #[receiver(signal = Traced, order = 2)]
    fn panics(_: &Traced) {
        panic!("receiver bug");
    }

    #[receiver(signal = Traced, order = 3)]
    fn fine(_: &Traced) {}
}

/// A subscriber that writes down span names with their fields, and events
/// with their level and fields.
#[derive(Default, Clone)]
struct Collector(Arc<Mutex<Vec<String>>>);

struct Fields(String);

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!(" {}={:?}", field.name(), value));
    }
}

impl tracing::Subscriber for Collector {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let mut fields = Fields(format!("span {}", span.metadata().name()));
        span.record(&mut fields);
        let mut log = self.0.lock().unwrap();
        log.push(fields.0);
        tracing::span::Id::from_u64(log.len() as u64)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut fields = Fields(format!("event {}", event.metadata().level()));
        event.record(&mut fields);
        self.0.lock().unwrap().push(fields.0);
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[test]
fn tracing_sees_a_span_per_send_and_an_error_event_per_failing_receiver() {
    use traced::Traced;
    let collector = Collector::default();
    let report = tracing::subscriber::with_default(collector.clone(), || {
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let report = Traced {}.send_robust();
        std::panic::set_hook(hook);
        report
    });
    assert_eq!(report.failures().count(), 2);
    let log = collector.0.lock().unwrap().clone();
    assert_eq!(
        log,
        [
            "span signal.send signal=\"observe::traced::Traced\" receivers=3 kind=\"send_robust\"",
            "event ERROR message=signal receiver returned an error signal=\"observe::traced::Traced\" receiver=\"observe::traced::fails\" error=quota exceeded",
            "event ERROR message=signal receiver panicked signal=\"observe::traced::Traced\" receiver=\"observe::traced::panics\" panic=\"receiver bug\"",
        ]
    );
}

mod recorded {
    use super::*;

    /// A signal two tests send at once from their own threads.
    #[signal]
    pub struct Visited {
        pub who: u32,
    }

    pub static RAN: AtomicUsize = AtomicUsize::new(0);

    #[receiver(signal = Visited)]
    fn count(_: &Visited) {
        RAN.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn recordings_in_parallel_threads_see_only_their_own_sends() {
    use recorded::Visited;
    let start = Arc::new(Barrier::new(2));
    let threads: Vec<_> = [1u32, 2]
        .into_iter()
        .map(|who| {
            let start = Arc::clone(&start);
            std::thread::spawn(move || {
                let recording = Visited::record(|v: &Visited| v.who);
                start.wait();
                for _ in 0..50 {
                    Visited { who }.send().unwrap();
                }
                start.wait();
                assert_eq!(recording.values(), vec![who; 50]);
                recording.assert_times(50);
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    // All threads at once, when asked for.
    let everywhere = Visited::record_all_threads(|v: &Visited| v.who);
    std::thread::spawn(|| Visited { who: 9 }.send().unwrap())
        .join()
        .unwrap();
    assert_eq!(everywhere.assert_once(), 9);
}

mod muted {
    use super::*;

    /// A signal whose receivers a test mutes.
    #[signal]
    pub struct Noisy {}

    pub static RAN: AtomicUsize = AtomicUsize::new(0);

    #[receiver(signal = Noisy)]
    fn count(_: &Noisy) {
        RAN.fetch_add(1, Ordering::SeqCst);
    }

    /// Another signal, to check order across signals.
    #[signal]
    pub struct Quiet {}
}

#[test]
fn a_muted_signal_runs_no_receiver_while_the_guard_lives_and_the_journal_keeps_order() {
    use muted::{Noisy, Quiet, RAN};
    let journal = testing::journal();
    let recording = Noisy::record(|_: &Noisy| ());
    {
        let _muted = Noisy::mute();
        Noisy {}.send().unwrap();
        assert!(Noisy {}.send_robust().is_empty());
        assert_eq!(RAN.load(Ordering::SeqCst), 0);
        // Muting is per thread: another thread's send still runs receivers.
        std::thread::spawn(|| Noisy {}.send().unwrap())
            .join()
            .unwrap();
        assert_eq!(RAN.load(Ordering::SeqCst), 1);
    }
    Quiet {}.send().unwrap();
    Noisy {}.send().unwrap();
    assert_eq!(RAN.load(Ordering::SeqCst), 2);
    recording.assert_times(3);
    journal.assert_order(&[Noisy::NAME, Noisy::NAME, Quiet::NAME, Noisy::NAME]);
    assert_eq!(
        journal.names(),
        [Noisy::NAME, Noisy::NAME, Quiet::NAME, Noisy::NAME]
    );
    let reversed = std::panic::catch_unwind(|| {
        journal.assert_order(&[Quiet::NAME, Noisy::NAME, Noisy::NAME, Noisy::NAME])
    });
    assert!(
        reversed.is_err(),
        "the journal must refuse an order that did not happen"
    );
}

mod filtered {
    use super::*;

    /// A signal with filtered receivers.
    #[signal]
    pub struct Saved<'a> {
        pub model: &'a str,
    }

    pub static USERS: AtomicUsize = AtomicUsize::new(0);
    pub static ALL: AtomicUsize = AtomicUsize::new(0);

    fn is_user(saved: &Saved) -> bool {
        saved.model == "user"
    }

    #[receiver(signal = Saved, filter = is_user)]
    fn on_user_saved(_: &Saved) {
        USERS.fetch_add(1, Ordering::SeqCst);
    }

    #[receiver(signal = Saved)]
    fn on_any_saved(_: &Saved) {
        ALL.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn filters_skip_and_admit_as_the_predicate_says() {
    use filtered::{Saved, ALL, USERS};
    let orders = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&orders);
    let _connection = Saved::connect_filtered(
        |saved: &Saved| saved.model == "order",
        move |_: &Saved| {
            counter.fetch_add(1, Ordering::SeqCst);
        },
    );
    for model in ["user", "order", "user", "invoice"] {
        let report = Saved { model }.send_robust();
        // Skipped receivers are not counted as called.
        let expected = if model == "invoice" { 1 } else { 2 };
        assert_eq!(report.len(), expected, "{model}");
    }
    assert_eq!(USERS.load(Ordering::SeqCst), 2);
    assert_eq!(orders.load(Ordering::SeqCst), 1);
    assert_eq!(ALL.load(Ordering::SeqCst), 4);
}

mod clash {
    use super::*;

    /// One signal that claims a name.
    #[signal(name = "observe.clash")]
    pub struct First {}

    /// Another signal that claims the same name by mistake.
    #[signal(name = "observe.clash")]
    pub struct Second {}
}

#[test]
fn the_catalog_shows_two_signals_claiming_one_name() {
    let catalog = catalog();
    assert_eq!(catalog.duplicate_names(), ["observe.clash"]);
    assert!(catalog
        .to_string()
        .contains("warning: more than one signal is named `observe.clash`"));
    // Each still dispatches to its own receivers.
    assert_eq!(clash::First::receivers().len(), 0);
    clash::Second {}.send().unwrap();
}

#[test]
fn the_wiring_check_reports_two_signals_claiming_one_name() {
    let error = signals_core::Wiring::new().check().unwrap_err();
    assert_eq!(error.problems().len(), 1, "{error}");
    let problem = &error.problems()[0];
    assert!(
        problem.starts_with(
            "more than one signal is named `observe.clash`: `observe::clash::First` \
             (tests/tests/observe.rs:"
        ),
        "{problem}"
    );
    assert!(problem.contains("`observe::clash::Second` (tests/tests/observe.rs:"));
    assert!(problem.ends_with("give each its own `#[signal(name = \"...\")]`"));
}

mod table {
    use super::*;

    /// Receivers of every kind, for the table.
    #[signal(async, name = "observe.table")]
    pub struct Table {}

    fn always(_: &Table) -> bool {
        true
    }

    #[receiver(signal = Table, order = -1000)]
    fn plain(_: &Table) {}

    #[receiver(signal = Table, filter = always, name = "a receiver with a much longer name")]
    async fn filtered_async(_: &Table) {}

    pub fn on_table(_: &Table) {}
}

#[test]
fn the_table_keeps_its_columns_aligned_for_every_kind() {
    use table::Table;
    let _closure = Table::connect(|_: &Table| {});
    let closure_line = line!() - 1;
    let _function = Table::connect_async(|_: &Table| async {});
    let _filtered = Table::connect_filtered(|_: &Table| true, table::on_table);

    let names: Vec<String> = Table::receivers()
        .iter()
        .map(|r| r.name().to_owned())
        .collect();
    assert_eq!(
        names,
        [
            "observe::table::plain",
            "a receiver with a much longer name",
            // Closures are named after the `connect` call, functions keep their path.
            &format!("tests/tests/observe.rs:{closure_line}"),
            &format!("tests/tests/observe.rs:{}", closure_line + 2),
            "observe::table::on_table",
        ]
    );

    let table = catalog().to_string();
    let block = table
        .split("\n\n")
        .find(|block| block.starts_with("async signal observe.table "))
        .expect("listed");
    let rows: Vec<&str> = block.lines().skip_while(|l| !l.contains("order")).collect();
    assert_eq!(rows.len(), 6, "{block}");
    let kinds: Vec<&str> = rows
        .iter()
        .map(|row| row.split_whitespace().nth(1).unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "kind",
            "static",
            "static+async+filtered",
            "dynamic",
            "dynamic+async",
            "dynamic+filtered"
        ]
    );
    // Every column starts where its header does.
    for header in ["kind", "crate", "receiver", "location"] {
        let at = rows[0].find(header).unwrap();
        for row in &rows[1..] {
            let cell = &row[at..];
            assert!(
                row.as_bytes()[at - 1] == b' ' && !cell.starts_with(' '),
                "column {header} is not aligned:\n{block}"
            );
        }
    }
}

#[test]
fn the_link_hint_shows_only_where_it_is_likely_to_apply() {
    let table = catalog().to_string();
    // `shared_signals` is received from `receivers_only` in this binary: its
    // signal nobody receives is just unheard, not unlinked.
    let quiet = table
        .split("\n\n")
        .find(|block| block.starts_with("signal shared_signals::Quiet "))
        .expect("listed");
    assert!(quiet.trim_end().ends_with("\n  receivers: none"), "{quiet}");
}

/// Fields behind `#[cfg]`: the catalog lists those compiled in.
mod configured {
    use signals_core::{receiver, signal};

    /// A signal whose fields depend on the configuration.
    #[signal(name = "observe.configured")]
    pub struct Configured {
        pub always: u8,
        #[cfg(any())]
        pub never: String,
        #[cfg(not(any()))]
        pub present: u16,
        #[cfg(not(test))]
        pub outside_tests: bool,
    }

    #[receiver(signal = Configured)]
    fn read(configured: &Configured) {
        assert_eq!((configured.always, configured.present), (1, 2));
    }
}

#[test]
fn the_catalog_lists_only_the_fields_cfg_keeps() {
    let catalog = catalog();
    let entry = catalog.get("observe.configured").expect("linked");
    assert_eq!(entry.fields(), [("always", "u8"), ("present", "u16")]);
    configured::Configured {
        always: 1,
        present: 2,
    }
    .send()
    .unwrap();
}
