//! Every signal linked into the binary, with its receivers: link-time
//! registration made visible.

use std::fmt;

use crate::receiver::{Kind, Location, ReceiverInfo};

/// What `#[signal]` records about a signal for the catalog. Not public API.
#[doc(hidden)]
pub struct SignalRecord {
    pub name: &'static str,
    pub type_name: &'static str,
    pub module_path: &'static str,
    pub doc: &'static str,
    pub fields: &'static [(&'static str, &'static str)],
    pub is_async: bool,
    pub location: Location,
    pub receivers: fn() -> Vec<ReceiverInfo>,
}

// Only where linkme works, so that an unsupported target without the
// `inventory` feature sees the one error in lib.rs that names the way out.
crate::linkme_targets! {
    supported:
    #[linkme::distributed_slice]
    #[doc(hidden)]
    pub static SIGNALS: [SignalRecord];

    fn records() -> Vec<&'static SignalRecord> {
        SIGNALS.iter().collect()
    }
}

#[cfg(feature = "inventory")]
inventory::collect!(SignalRecord);

#[cfg(feature = "inventory")]
fn records() -> Vec<&'static SignalRecord> {
    inventory::iter::<SignalRecord>.into_iter().collect()
}

crate::linkme_targets! {
    unsupported:
    fn records() -> Vec<&'static SignalRecord> {
        Vec::new()
    }
}

/// Every signal linked into this binary, sorted by name.
///
/// ```
/// use signals_core::{catalog, receiver, signal};
///
/// /// Sent when an order ships.
/// #[signal(name = "shop.order_shipped")]
/// pub struct OrderShipped { pub order: u64 }
///
/// #[receiver(signal = OrderShipped)]
/// fn notify(_: &OrderShipped) {}
///
/// let catalog = catalog();
/// let entry = catalog.iter().find(|s| s.name() == "shop.order_shipped").unwrap();
/// assert_eq!(entry.doc(), "Sent when an order ships.");
/// assert_eq!(entry.fields(), [("order", "u64")]);
/// assert_eq!(entry.receivers().len(), 1);
/// println!("{catalog}"); // a readable table
/// ```
pub fn catalog() -> Catalog {
    let mut entries: Vec<CatalogEntry> = records()
        .into_iter()
        .map(|record| CatalogEntry {
            record,
            receivers: (record.receivers)(),
        })
        .collect();
    entries.sort_by(|a, b| a.name().cmp(b.name()));
    Catalog { entries }
}

/// The signals linked into the binary; [`catalog`] makes one. Iterate it, or
/// print it as a table.
#[derive(Debug)]
pub struct Catalog {
    entries: Vec<CatalogEntry>,
}

impl Catalog {
    /// The signals, sorted by name.
    pub fn iter(&self) -> std::slice::Iter<'_, CatalogEntry> {
        self.entries.iter()
    }

    /// How many signals are linked in.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no signal is linked in.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Names that more than one signal claims. `Signal::NAME` must be unique
    /// in a binary, but two crates can each write the same
    /// `#[signal(name = "...")]`; the catalog is where that shows.
    pub fn duplicate_names(&self) -> Vec<&'static str> {
        let mut duplicates: Vec<&'static str> = self
            .entries
            .windows(2)
            .filter(|pair| pair[0].name() == pair[1].name())
            .map(|pair| pair[0].name())
            .collect();
        duplicates.dedup();
        duplicates
    }

    /// The signal with this name.
    pub fn get(&self, name: &str) -> Option<&CatalogEntry> {
        self.entries.iter().find(|entry| entry.name() == name)
    }
}

impl<'c> IntoIterator for &'c Catalog {
    type Item = &'c CatalogEntry;
    type IntoIter = std::slice::Iter<'c, CatalogEntry>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter()
    }
}

impl IntoIterator for Catalog {
    type Item = CatalogEntry;
    type IntoIter = std::vec::IntoIter<CatalogEntry>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

/// One signal of the [`Catalog`].
pub struct CatalogEntry {
    record: &'static SignalRecord,
    receivers: Vec<ReceiverInfo>,
}

impl CatalogEntry {
    /// The signal's name (`Signal::NAME`).
    pub fn name(&self) -> &'static str {
        self.record.name
    }

    /// The Rust path of the signal's type.
    pub fn type_path(&self) -> String {
        format!("{}::{}", self.record.module_path, self.record.type_name)
    }

    /// The crate that defines the signal.
    pub fn crate_name(&self) -> &'static str {
        first_segment(self.record.module_path)
    }

    /// The summary of the signal's documentation: its first paragraph, on
    /// one line ("" when undocumented).
    pub fn doc(&self) -> &'static str {
        self.record.doc
    }

    /// The fields, as (name, type) written in the source.
    pub fn fields(&self) -> &'static [(&'static str, &'static str)] {
        self.record.fields
    }

    /// Whether it is an async signal.
    pub fn is_async(&self) -> bool {
        self.record.is_async
    }

    /// Where the signal is defined.
    pub fn location(&self) -> Location {
        self.record.location
    }

    /// Its receivers in call order, as they were when the catalog was made.
    pub fn receivers(&self) -> &[ReceiverInfo] {
        &self.receivers
    }
}

impl fmt::Debug for CatalogEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CatalogEntry")
            .field("name", &self.name())
            .field("type", &self.type_path())
            .field("async", &self.is_async())
            .field("fields", &self.fields())
            .field("receivers", &self.receivers)
            .finish()
    }
}

fn first_segment(path: &str) -> &str {
    path.split("::").next().unwrap_or(path)
}

impl fmt::Display for CatalogEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let flavour = if self.is_async() { "async " } else { "" };
        writeln!(f, "{flavour}signal {}  ({})", self.name(), self.location())?;
        if !self.doc().is_empty() {
            writeln!(f, "  {}", self.doc())?;
        }
        let fields: Vec<String> = self
            .fields()
            .iter()
            .map(|(name, ty)| format!("{name}: {ty}"))
            .collect();
        writeln!(
            f,
            "  fields: {}",
            if fields.is_empty() {
                "none".to_string()
            } else {
                fields.join(", ")
            }
        )?;
        if self.receivers.is_empty() {
            writeln!(
                f,
                "  receivers: none linked (a receivers-only crate needs `signals_core::link!`)"
            )?;
            return Ok(());
        }
        writeln!(
            f,
            "  {:>6}  {:<10} {:<14} {:<44} location",
            "order", "kind", "crate", "receiver"
        )?;
        for receiver in &self.receivers {
            let kind = match (receiver.kind(), receiver.is_async()) {
                (Kind::Static, false) => "static",
                (Kind::Static, true) => "static+async",
                (Kind::Dynamic, false) => "dynamic",
                (Kind::Dynamic, true) => "dynamic+async",
            };
            writeln!(
                f,
                "  {:>6}  {:<10} {:<14} {:<44} {}",
                receiver.order(),
                kind,
                receiver.crate_name().unwrap_or("(run time)"),
                receiver.name(),
                receiver.location()
            )?;
        }
        Ok(())
    }
}

impl fmt::Display for Catalog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} signal(s) linked into this binary",
            self.entries.len()
        )?;
        for name in self.duplicate_names() {
            writeln!(
                f,
                "warning: more than one signal is named `{name}`; names must be unique"
            )?;
        }
        for entry in &self.entries {
            writeln!(f)?;
            write!(f, "{entry}")?;
        }
        Ok(())
    }
}
