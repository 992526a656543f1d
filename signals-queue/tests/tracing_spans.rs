//! With the `tracing` feature, each attempt of a job runs in a span
//! `signals_queue.job` with its job id, signal, receiver and attempt number.

#![cfg(feature = "tracing")]

mod common;

use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use signals_core::{receiver, signal};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Fails once, then succeeds.
#[signal(async, durable)]
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Traced {
    pub n: u64,
}

static CALLS: AtomicU64 = AtomicU64::new(0);

#[receiver(signal = Traced, durable, name = "traced_receiver")]
async fn traced(_: &Traced) -> Result<(), String> {
    if CALLS.fetch_add(1, Ordering::SeqCst) == 0 {
        Err("first attempt fails".to_owned())
    } else {
        Ok(())
    }
}

/// The job spans seen, as "name field=value ..." lines.
static SPANS: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0.push_str(&format!(" {}={:?}", field.name(), value));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push_str(&format!(" {}={}", field.name(), value));
    }
}

struct Spans(AtomicU64);

impl Subscriber for Spans {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        if span.metadata().name() == "signals_queue.job" {
            let mut fields = Fields(span.metadata().name().to_owned());
            span.record(&mut fields);
            SPANS.lock().unwrap().push(fields.0);
        }
        Id::from_u64(self.0.fetch_add(1, Ordering::Relaxed) + 1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, _: &Event<'_>) {}
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_attempt_runs_in_a_span_with_signal_receiver_and_attempt() {
    tracing::subscriber::set_global_default(Spans(AtomicU64::new(0))).unwrap();
    let db = common::sqlite().await;
    db.send_in_tx(&[Traced { n: 1 }], true).await.unwrap();
    let report = db
        .queue
        .worker()
        .poll_interval(Duration::from_millis(10))
        .backoff(signals_queue::Backoff {
            base: Duration::from_millis(10),
            max: Duration::from_millis(10),
        })
        .run_until_idle()
        .await
        .unwrap();
    assert_eq!((report.retried, report.succeeded), (1, 1));
    let signal = <Traced as signals_core::Signal>::NAME;
    let spans = SPANS.lock().unwrap().clone();
    assert_eq!(spans.len(), 2, "{spans:?}");
    for (attempt, span) in spans.iter().enumerate() {
        assert!(span.contains(&format!("signal={signal}")), "{span}");
        assert!(span.contains("receiver=traced_receiver"), "{span}");
        assert!(span.contains(&format!("attempt={}", attempt + 1)), "{span}");
        assert!(span.contains(" job="), "{span}");
    }
    db.close().await;
}
