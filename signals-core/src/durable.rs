//! Durable receivers: the part of the runtime that `signals-queue` builds on.
//!
//! A receiver declared `#[receiver(signal = S, durable)]` is not called
//! during a send. `#[receiver]` places a [`DurableReceiver`] record in one
//! binary-wide list (linkme or inventory, like every other record) instead of
//! the signal's own slice, so the dispatch loops of inline receivers never
//! see it and stay exactly as fast. A send of a `#[signal(durable)]` signal
//! runs its inline receivers, then hands one job per durable receiver to the
//! [`JobQueue`] the program installed (`signals_queue::Queue::install`); with
//! durable receivers and no queue installed it fails with a
//! [`SendError`] before any receiver runs, so no job is
//! ever dropped silently. `signals_queue::send_in` writes the jobs into the
//! caller's own database transaction instead.
//!
//! The payload is the signal serialised as JSON (serde), which is why
//! durable signals own their data (no lifetimes) and why the feature
//! `durable` of this crate pulls in `serde` and `serde_json`; without a
//! durable signal nothing of this module is on any send path.

use std::any::Any;
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, OnceLock};

use arc_swap::ArcSwapOption;

use crate::dispatch_async::CatchUnwind;
use crate::outcome::{BoxError, Failure, FailureCause, Report, SendError};
use crate::receiver::{Location, ReceiverInfo, ReceiverKind, ReceiverName};
use crate::signal::Signal;
use crate::step::BoxFuture;

/// How many times a durable receiver is retried after its first attempt
/// fails, unless `#[receiver(..., retries = N)]` says otherwise: four
/// attempts in all.
pub const DEFAULT_RETRIES: u32 = 3;

/// What running a job, or storing jobs, is: a boxed `Send` future.
pub type JobFuture = BoxFuture<'static>;

/// Decodes a job's payload and starts the receiver on it: the future, or why
/// the payload does not decode.
pub type Runner = fn(&[u8]) -> Result<JobFuture, BoxError>;

/// A signal declared `#[signal(durable)]`: its sends also store one job per
/// durable receiver, with the signal as the job's payload (JSON, through
/// serde), so it owns its data and implements `serde::Serialize` and
/// `serde::Deserialize` ([`DurablePayload`]). The serde part needs the
/// feature `durable` (signals-queue turns it on).
///
/// `#[signal(durable)]` implements it; it is not implemented by hand (a
/// signal declared without `durable` stores no jobs). A
/// `#[receiver(signal = S, durable)]` needs it of `S`, so that a durable
/// receiver of a signal that is not durable fails to compile, with this
/// trait's message.
///
#[cfg_attr(feature = "durable", doc = "```")]
#[cfg_attr(not(feature = "durable"), doc = "```ignore")]
/// use signals_core::{signal, DurableSignal};
///
/// /// An order was placed.
/// #[signal(durable)]
/// #[derive(serde::Serialize, serde::Deserialize)]
/// pub struct Placed {
///     pub order: u64,
///     pub email: String,
/// }
///
/// let placed = Placed { order: 7, email: "ada@example.com".into() };
/// let payload = placed.to_payload().unwrap();
/// assert_eq!(Placed::from_payload(&payload).unwrap().order, 7);
///
/// // A payload that does not decode is an error that leaves its values out.
/// let Err(error) = Placed::from_payload(br#"{"order":"ada@example.com"}"#) else {
///     panic!("a string is not an order number");
/// };
/// assert!(!error.to_string().contains("ada@"), "{error}");
/// assert!(error.to_string().contains("line 1 column"), "{error}");
/// ```
///
/// ```compile_fail
/// use signals_core::{receiver, signal};
///
/// /// Not durable.
/// #[signal]
/// pub struct Clicked {}
///
/// // error: `Clicked` is not a durable signal, so it cannot have durable receivers
/// #[receiver(signal = Clicked, durable)]
/// async fn remember(_: &Clicked) {}
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a durable signal, so it cannot have durable receivers",
    label = "a durable receiver needs a durable signal",
    note = "declare the signal with `#[signal(durable)]` (its fields owned, with `#[derive(serde::Serialize, serde::Deserialize)]`), or remove `durable` to run the receiver during the send"
)]
pub trait DurableSignal: Signal {
    /// How the signal is written and read, from [`DurablePayload`]. Set by
    /// `#[signal(durable)]`.
    #[doc(hidden)]
    const __CODEC: Codec<Self>;

    /// The signal as a job's payload: JSON.
    fn to_payload(&self) -> Result<Vec<u8>, BoxError> {
        (Self::__CODEC.encode)(self)
            .map_err(|error| format!("signal `{}` does not serialise: {error}", Self::NAME).into())
    }

    /// A job's payload as the signal it was written from. The error names
    /// the signal and what kind of mismatch it is, with its line and column
    /// in the payload, never the payload's values: they may be personal
    /// data, and the error is stored with the job and logged.
    fn from_payload(payload: &[u8]) -> Result<Self, BoxError> {
        (Self::__CODEC.decode)(payload).map_err(|error| {
            format!("the payload does not decode into `{}`: {error}", Self::NAME).into()
        })
    }
}

/// What a durable signal's payload needs: implemented for every type that
/// implements `serde::Serialize` and `serde::de::DeserializeOwned` (feature
/// `durable`). It exists so that a `#[signal(durable)]` without them is one
/// error that says so.
#[cfg_attr(
    feature = "durable",
    diagnostic::on_unimplemented(
        message = "`{Self}` is a durable signal, so it must implement `serde::Serialize` and `serde::Deserialize`",
        label = "stored as JSON in each job",
        note = "add `#[derive(serde::Serialize, serde::Deserialize)]` below `#[signal(durable)]`; every field must implement both too"
    )
)]
#[cfg_attr(
    not(feature = "durable"),
    diagnostic::on_unimplemented(
        message = "`#[signal(durable)]` needs the `durable` feature of signals-core",
        label = "durable signals are stored as JSON, through serde",
        note = "add `signals-queue` to this crate's dependencies (it turns the feature on), or turn on the `durable` feature of `signals-core` in Cargo.toml"
    )
)]
pub trait DurablePayload: Sized {
    /// serde_json's writing and reading of this type.
    #[doc(hidden)]
    const CODEC: Codec<Self>;
}

// Not recommended in errors: rustc would otherwise list serde's bounds and
// every type that meets them, burying the message above.
#[cfg(feature = "durable")]
#[diagnostic::do_not_recommend]
impl<T: serde::Serialize + serde::de::DeserializeOwned> DurablePayload for T {
    const CODEC: Codec<Self> = Codec {
        encode: |value| serde_json::to_vec(value).map_err(|e| Redacted(&e).to_string().into()),
        decode: |payload| {
            serde_json::from_slice(payload).map_err(|e| Redacted(&e).to_string().into())
        },
    };
}

/// A durable signal's encoding and decoding. Not public API.
#[doc(hidden)]
pub struct Codec<T> {
    encode: fn(&T) -> Result<Vec<u8>, BoxError>,
    decode: fn(&[u8]) -> Result<T, BoxError>,
}

/// A serde_json error without the values it may quote (`invalid type:
/// string "ada@example.com"`): its category, the missing field's name (a
/// name of the signal's own fields, not from the payload), line and column.
#[cfg(feature = "durable")]
struct Redacted<'e>(&'e serde_json::Error);

#[cfg(feature = "durable")]
impl fmt::Display for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use serde_json::error::Category;
        let error = self.0;
        let what = match error.classify() {
            Category::Io => "it could not be read",
            Category::Syntax => "it is not valid JSON",
            Category::Eof => "it ends early",
            Category::Data => {
                "a value does not fit the signal (wrong type, unknown field or variant, bad length)"
            }
        };
        // serde's `missing field `name``: a field of the type, not a value.
        let message = error.to_string();
        let missing = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split_once('`'))
            .map(|(field, _)| field)
            .filter(|field| field.chars().all(|c| c.is_alphanumeric() || c == '_'));
        match missing {
            Some(field) => write!(f, "missing field `{field}`")?,
            None => f.write_str(what)?,
        }
        if error.line() != 0 {
            write!(f, " at line {} column {}", error.line(), error.column())?;
        }
        f.write_str(" (the payload's values are left out)")
    }
}

/// A durable receiver linked into this binary: what a worker needs to run
/// its jobs. `#[receiver(signal = S, durable)]` makes one; list them with
/// [`receivers`].
pub struct DurableReceiver {
    #[doc(hidden)]
    pub signal: &'static str,
    #[doc(hidden)]
    pub name: &'static str,
    #[doc(hidden)]
    pub module_path: &'static str,
    #[doc(hidden)]
    pub location: Location,
    #[doc(hidden)]
    pub retries: u32,
    #[doc(hidden)]
    pub is_async: bool,
    #[doc(hidden)]
    pub run: Runner,
}

impl DurableReceiver {
    /// The name of the signal it receives (`Signal::NAME`).
    pub fn signal_name(&self) -> &'static str {
        self.signal
    }

    /// The receiver's name: `module::path::function` unless `name = "..."`
    /// set one. A job names its receiver by this and the signal's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// How many times a failing job is retried before it is dead.
    pub fn retries(&self) -> u32 {
        self.retries
    }

    /// Where the receiver was written.
    pub fn location(&self) -> Location {
        self.location
    }

    /// Decodes `payload` (the signal as JSON) and starts the receiver on it.
    /// An `Err` means the payload does not decode into the signal any more
    /// (the type changed since the job was written): retrying cannot help.
    pub fn start(&self, payload: &[u8]) -> Result<JobFuture, BoxError> {
        (self.run)(payload)
    }

    fn info(&self) -> ReceiverInfo {
        ReceiverInfo {
            name: self.name.into(),
            module_path: Some(self.module_path),
            order: 0,
            location: self.location,
            kind: ReceiverKind::Static,
            is_async: self.is_async,
            is_filtered: false,
            durable: Some(self.retries),
        }
    }
}

impl fmt::Debug for DurableReceiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DurableReceiver")
            .field("signal", &self.signal)
            .field("name", &self.name)
            .field("retries", &self.retries)
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

crate::linkme_targets! {
    supported:
    #[linkme::distributed_slice]
    #[doc(hidden)]
    pub static DURABLE_RECEIVERS: [DurableReceiver];

    fn records() -> Vec<&'static DurableReceiver> {
        DURABLE_RECEIVERS.iter().collect()
    }
}

#[cfg(feature = "inventory")]
inventory::collect!(DurableReceiver);

#[cfg(feature = "inventory")]
fn records() -> Vec<&'static DurableReceiver> {
    inventory::iter::<DurableReceiver>.into_iter().collect()
}

crate::linkme_targets! {
    unsupported:
    fn records() -> Vec<&'static DurableReceiver> {
        Vec::new()
    }
}

/// Every durable receiver, sorted by (signal, name), and where each signal's
/// stretch starts and ends. Built once.
struct Index {
    all: Vec<&'static DurableReceiver>,
    by_signal: HashMap<&'static str, (usize, usize)>,
}

fn index() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut all = records();
        all.sort_by_key(|r| (r.signal, r.name, r.location));
        let mut by_signal = HashMap::new();
        let mut start = 0;
        while start < all.len() {
            let signal = all[start].signal;
            let end = start + all[start..].partition_point(|r| r.signal == signal);
            by_signal.insert(signal, (start, end));
            start = end;
        }
        Index { all, by_signal }
    })
}

/// Every durable receiver linked into this binary, sorted by signal name,
/// then receiver name.
pub fn receivers() -> &'static [&'static DurableReceiver] {
    &index().all
}

/// The durable receivers of the signal named `signal`, sorted by name.
pub fn receivers_of(signal: &str) -> &'static [&'static DurableReceiver] {
    let index = index();
    match index.by_signal.get(signal) {
        Some(&(start, end)) => &index.all[start..end],
        None => &[],
    }
}

/// Adds the durable receivers of `signal` to an introspection list: after
/// the inline ones, since a send enqueues them after those ran.
pub(crate) fn extend_infos(signal: &str, infos: &mut Vec<ReceiverInfo>) {
    infos.extend(receivers_of(signal).iter().map(|r| r.info()));
}

/// The jobs one send asks a [`JobQueue`] to store: one per receiver, all
/// with the same payload.
#[derive(Debug)]
pub struct NewJobs {
    signal: &'static str,
    payload: Vec<u8>,
    receivers: &'static [&'static DurableReceiver],
}

impl NewJobs {
    /// The jobs of `signal` for each of its durable receivers: `None` when
    /// it has none. Fails when the signal does not serialise.
    pub fn of<S: Signal>(signal: &S) -> Option<Result<NewJobs, BoxError>> {
        let receivers = receivers_of(S::NAME);
        if receivers.is_empty() {
            return None;
        }
        Some(signal.__encode().map(|payload| NewJobs {
            signal: S::NAME,
            payload,
            receivers,
        }))
    }

    /// The signal's name.
    pub fn signal_name(&self) -> &'static str {
        self.signal
    }

    /// The signal as JSON.
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// The receivers: one job each.
    pub fn receivers(&self) -> &'static [&'static DurableReceiver] {
        self.receivers
    }
}

/// Where sends without a transaction put their jobs: the queue the program
/// installed (`signals_queue::Queue::install` implements this).
pub trait JobQueue: Send + Sync + 'static {
    /// Stores the jobs; they are visible to workers once it returns `Ok`.
    fn enqueue(&self, jobs: NewJobs) -> JobFuture;

    /// Stores the jobs from synchronous code (a durable signal's `send`).
    fn enqueue_blocking(&self, jobs: NewJobs) -> Result<(), BoxError>;
}

struct Installed(Arc<dyn JobQueue>);

static QUEUE: ArcSwapOption<Installed> = ArcSwapOption::const_empty();

/// Makes `queue` the one sends of durable signals enqueue on, replacing any
/// queue installed before.
pub fn install(queue: Arc<dyn JobQueue>) {
    QUEUE.store(Some(Arc::new(Installed(queue))));
}

/// Removes the installed queue: sends of durable signals with durable
/// receivers fail again until one is installed. True if one was installed.
pub fn uninstall() -> bool {
    QUEUE.swap(None).is_some()
}

/// Whether a queue is installed.
pub fn is_installed() -> bool {
    QUEUE.load().is_some()
}

/// The error of a send whose durable receiver `receiver` could not get its
/// job. `signals_queue` builds its errors with it.
pub fn enqueue_error(signal: &'static str, receiver: &'static str, error: BoxError) -> SendError {
    let error = SendError::new(signal, ReceiverName::Static(receiver), error);
    crate::observe::receiver_failed(signal, error.receiver_name(), error.error());
    error
}

fn not_installed(signal: &'static str) -> BoxError {
    format!(
        "signal `{signal}` has durable receivers and no queue is installed: install one \
         (`signals_queue::Queue::install`) or send inside a transaction with \
         `signals_queue::send_in(&mut tx, &signal)`"
    )
    .into()
}

/// What [`send_inline`] did.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inline {
    /// The inline receivers ran (and succeeded).
    Sent,
    /// The signal is muted (feature `testing`): nothing ran, and no job may
    /// be written.
    Muted,
}

/// Runs the inline receivers of a durable signal only; the caller writes
/// the jobs (`signals_queue::send_in`). Not for other use: a send that
/// skips the jobs drops them.
#[doc(hidden)]
pub async fn send_inline<S: Signal>(signal: &S) -> Result<Inline, SendError> {
    if crate::dispatch::muted(signal) {
        return Ok(Inline::Muted);
    }
    if S::IS_ASYNC {
        crate::dispatch_async::send_async_unmuted(signal).await?;
    } else {
        crate::dispatch::send_unmuted(signal)?;
    }
    Ok(Inline::Sent)
}

/// The jobs of a send, and the queue to put them on; `Err` if the signal
/// has durable receivers and no queue is installed. Checked before any
/// receiver runs.
#[allow(clippy::type_complexity)]
fn prepare<S: Signal>(
    signal: &S,
) -> Result<Option<(Arc<Installed>, Result<NewJobs, BoxError>)>, SendError> {
    let Some(jobs) = NewJobs::of(signal) else {
        return Ok(None);
    };
    let receivers = receivers_of(S::NAME);
    match QUEUE.load_full() {
        Some(queue) => Ok(Some((queue, jobs))),
        None => Err(enqueue_error(
            S::NAME,
            receivers[0].name,
            not_installed(S::NAME),
        )),
    }
}

fn first_receiver(signal: &'static str) -> &'static str {
    receivers_of(signal).first().map_or("", |r| r.name)
}

/// `send` of a durable signal: the inline receivers, then the jobs.
pub(crate) fn send<S: Signal>(signal: &S) -> Result<S::Output, SendError> {
    let prepared = prepare(signal)?;
    let output = crate::dispatch::send_unmuted(signal)?;
    if let Some((queue, jobs)) = prepared {
        jobs.and_then(|jobs| queue.0.enqueue_blocking(jobs))
            .map_err(|error| enqueue_error(S::NAME, first_receiver(S::NAME), error))?;
    }
    Ok(output)
}

/// `send_async` of a durable signal.
pub(crate) async fn send_async<S: Signal>(signal: &S) -> Result<S::Output, SendError> {
    let prepared = prepare(signal)?;
    let output = crate::dispatch_async::send_async_unmuted(signal).await?;
    if let Some((queue, jobs)) = prepared {
        match jobs {
            Ok(jobs) => queue.0.enqueue(jobs).await,
            Err(error) => Err(error),
        }
        .map_err(|error| enqueue_error(S::NAME, first_receiver(S::NAME), error))?;
    }
    Ok(output)
}

/// Adds the durable receivers to a robust send's report: each counts as
/// called, and fails if its job could not be stored, or storing it panicked.
fn robust_jobs<S: Signal>(report: &mut Report<S::Response>, outcome: Result<(), FailureCause>) {
    let receivers = receivers_of(S::NAME);
    let failed = outcome.err().map(|cause| match cause {
        FailureCause::Error(error) => (error.to_string(), false),
        FailureCause::Panic(payload) => (panic_message(&*payload), true),
    });
    for receiver in receivers {
        report.count_call();
        if let Some((message, panicked)) = &failed {
            let position = report.len() - 1;
            let name = ReceiverName::Static(receiver.name);
            let failure = if *panicked {
                // One payload per receiver: the message, as a panic's own.
                Failure::panic(name, position, Box::new(message.clone()))
            } else {
                let error: BoxError = message.clone().into();
                crate::observe::receiver_failed(S::NAME, receiver.name, &*error);
                Failure::error(name, position, error)
            };
            report.fail(failure);
        }
    }
}

/// A panic's message, for the report of every durable receiver whose job it
/// kept from being stored.
fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

/// Runs `f`, catching a panic: in a robust send, encoding the signal
/// (its `Serialize`) and storing the jobs (the installed [`JobQueue`], the
/// futures it returns and their drops) are part of the dispatch, and never
/// unwind into the caller.
fn contained<T>(f: impl FnOnce() -> T) -> Result<T, FailureCause> {
    catch_unwind(AssertUnwindSafe(f)).map_err(FailureCause::Panic)
}

/// `send_robust` of a durable signal.
pub(crate) fn send_robust<S: Signal>(signal: &S) -> Report<S::Response> {
    let prepared = contained(|| prepare(signal));
    let mut report = crate::dispatch::send_robust_unmuted(signal);
    let outcome = match prepared {
        Ok(Ok(None)) => return report,
        // The queue is dropped inside too: it may be the last reference.
        Ok(Ok(Some((queue, jobs)))) => contained(move || {
            jobs.and_then(|jobs| queue.0.enqueue_blocking(jobs))
                .map_err(FailureCause::Error)
        })
        .and_then(|stored| stored),
        Ok(Err(_)) => Err(FailureCause::Error(not_installed(S::NAME))),
        Err(panicked) => Err(panicked),
    };
    robust_jobs::<S>(&mut report, outcome);
    report
}

/// `send_robust_async` or `send_robust_concurrent` of a durable signal:
/// `inline` is that send of its inline receivers, awaited once the jobs are
/// prepared.
pub(crate) async fn send_robust_async<S: Signal>(
    signal: &S,
    inline: impl Future<Output = Report<S::Response>>,
) -> Report<S::Response> {
    let prepared = contained(|| prepare(signal));
    let mut report = inline.await;
    let outcome = match prepared {
        Ok(Ok(None)) => return report,
        Ok(Ok(Some((queue, Ok(jobs))))) => {
            let started = contained(move || queue.0.enqueue(jobs));
            match started {
                // Polled, and dropped once done, under `catch_unwind`.
                Ok(future) => {
                    let future = Box::pin(async move { future.await.map(|()| None) });
                    CatchUnwind::new(future).await.map(|_| ())
                }
                Err(panicked) => Err(panicked),
            }
        }
        Ok(Ok(Some((queue, Err(error))))) => {
            let _ = contained(move || drop(queue));
            Err(FailureCause::Error(error))
        }
        Ok(Err(_)) => Err(FailureCause::Error(not_installed(S::NAME))),
        Err(panicked) => Err(panicked),
    };
    robust_jobs::<S>(&mut report, outcome);
    report
}
