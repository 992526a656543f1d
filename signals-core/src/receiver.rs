//! What is known about one receiver: the static record `#[receiver]` emits,
//! and the public view of every receiver that introspection returns.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

/// Where a receiver was written (static receivers) or connected (run-time
/// receivers).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Location {
    file: &'static str,
    line: u32,
    column: u32,
}

impl Location {
    pub(crate) const fn new(file: &'static str, line: u32, column: u32) -> Self {
        Location { file, line, column }
    }

    pub(crate) fn from_caller(caller: &'static std::panic::Location<'static>) -> Self {
        Location::new(caller.file(), caller.line(), caller.column())
    }

    /// The source file, as `file!()` gives it.
    pub fn file(&self) -> &'static str {
        self.file
    }

    /// The line, starting at 1.
    pub fn line(&self) -> u32 {
        self.line
    }

    /// The column, starting at 1.
    pub fn column(&self) -> u32 {
        self.column
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// The record `#[receiver]` places in a signal's registry at link time.
///
/// `H` is the signal's handler type, a higher-ranked function pointer
/// `for<'b> fn(&'b Sig) -> Step<'b>`. Everything else is a [`Meta`], the
/// same type for every signal, so that sorting, naming and describing
/// static receivers is compiled once rather than once per signal. Not
/// public API.
#[doc(hidden)]
#[derive(Debug)]
pub struct StaticReceiver<H: 'static> {
    pub(crate) meta: Meta,
    pub(crate) handler: H,
}

/// What is known about a static receiver besides its handler. Not public
/// API.
#[doc(hidden)]
#[derive(Clone, Copy, Debug)]
pub struct Meta {
    pub(crate) name: &'static str,
    pub(crate) module_path: &'static str,
    pub(crate) order: i32,
    pub(crate) location: Location,
    pub(crate) is_async: bool,
    pub(crate) is_filtered: bool,
}

// Written by hand: a derive would require `H: Clone`, which a higher-ranked
// function pointer satisfies only through `Copy`.
impl<H: Copy + 'static> Clone for StaticReceiver<H> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<H: Copy + 'static> Copy for StaticReceiver<H> {}

/// The name of a receiver, as reports and errors carry it: borrowed for static
/// receivers and shared for run-time ones, so that naming a receiver in a
/// failure never copies the string.
#[derive(Clone, Debug, PartialEq, Eq)]
#[doc(hidden)]
pub enum ReceiverName {
    Static(&'static str),
    Shared(Arc<str>),
}

impl ReceiverName {
    pub(crate) fn as_str(&self) -> &str {
        match self {
            ReceiverName::Static(name) => name,
            ReceiverName::Shared(name) => name,
        }
    }
}

/// Whether a receiver was registered at link time or connected at run time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReceiverKind {
    /// Registered by `#[receiver]`: lives as long as the program.
    Static,
    /// Connected at run time with `connect`; lives until its
    /// [`Connection`](crate::Connection) is dropped.
    Dynamic,
}

/// One receiver of a signal, as [`receivers()`](crate::Signal) lists them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceiverInfo {
    pub(crate) name: Cow<'static, str>,
    pub(crate) module_path: Option<&'static str>,
    pub(crate) order: i32,
    pub(crate) location: Location,
    pub(crate) kind: ReceiverKind,
    pub(crate) is_async: bool,
    pub(crate) is_filtered: bool,
    /// `Some(retries)` for a durable receiver.
    pub(crate) durable: Option<u32>,
}

impl ReceiverInfo {
    /// The receiver's name: `module::path::function` unless `name = "..."`
    /// (or [`ConnectOptions::name`](crate::ConnectOptions::name)) set one.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its order: lower runs first; 0 unless set.
    pub fn order(&self) -> i32 {
        self.order
    }

    /// Where it was written (static) or connected (dynamic).
    pub fn location(&self) -> Location {
        self.location
    }

    /// The module path of a static receiver (its first segment is the crate);
    /// `None` for a run-time receiver.
    pub fn module_path(&self) -> Option<&'static str> {
        self.module_path
    }

    /// The crate a static receiver is defined in; `None` for a run-time one.
    pub fn crate_name(&self) -> Option<&'static str> {
        self.module_path
            .map(|path| path.split("::").next().unwrap_or(path))
    }

    /// Static (`#[receiver]`) or dynamic (`connect`).
    pub fn kind(&self) -> ReceiverKind {
        self.kind
    }

    /// Whether the receiver is an `async fn` (or a connected future-returning
    /// closure).
    pub fn is_async(&self) -> bool {
        self.is_async
    }

    /// Whether the receiver runs only for the sends a filter accepts
    /// (`#[receiver(filter = ...)]`, `connect_filtered`).
    pub fn is_filtered(&self) -> bool {
        self.is_filtered
    }

    /// Whether the receiver is durable (`#[receiver(signal = S, durable)]`):
    /// a send does not call it but writes a job that a worker of
    /// `signals-queue` runs, after the sender's transaction commits.
    pub fn is_durable(&self) -> bool {
        self.durable.is_some()
    }

    /// How many times a durable receiver's failing job is retried; `None`
    /// for a receiver that is not durable.
    pub fn retries(&self) -> Option<u32> {
        self.durable
    }
}

impl fmt::Display for ReceiverInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            ReceiverKind::Static => "static",
            ReceiverKind::Dynamic => "dynamic",
        };
        let flavour = if self.is_async { " async" } else { "" };
        let filtered = if self.is_filtered { " filtered" } else { "" };
        let durable = if self.is_durable() { " durable" } else { "" };
        write!(
            f,
            "{:>5}  {}  ({kind}{flavour}{filtered}{durable}, {})",
            self.order, self.name, self.location
        )
    }
}
