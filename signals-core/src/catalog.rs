//! Every signal linked into the binary, with its receivers: link-time
//! registration made visible.

use std::collections::BTreeSet;
use std::fmt;

use crate::receiver::{Location, ReceiverInfo, ReceiverKind};

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
    // Signals that claim one name (a mistake `duplicate_names` reports) are
    // ordered by where they are defined: the same on every backend.
    entries.sort_by(|a, b| (a.name(), a.location()).cmp(&(b.name(), b.location())));
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

    /// The wiring as a Graphviz graph (render it with `dot -Tsvg`).
    ///
    /// Signals are hexagons, grouped in a cluster per crate that defines
    /// them; receivers are boxes (rounded when async, cylinders when durable:
    /// run by a `signals-queue` worker), grouped per crate that holds them, and run-time connections sit in a dashed cluster of their
    /// own. Each registration is an edge from the signal to the receiver,
    /// labelled with its order, dashed when a filter decides whether it
    /// runs. A receiver registered for several signals under one name is one
    /// node with several edges.
    ///
    /// The text depends only on what is linked and connected: the same
    /// binary gives the same text, so it can be committed and diffed.
    ///
    /// ```
    /// use signals_core::{catalog, receiver, signal};
    ///
    /// /// Sent when an order ships.
    /// #[signal(name = "shop.order_shipped")]
    /// pub struct OrderShipped { pub order: u64 }
    ///
    /// #[receiver(signal = OrderShipped, order = -1, name = "notify")]
    /// fn notify(_: &OrderShipped) {}
    ///
    /// let dot = catalog().to_dot();
    /// assert!(dot.starts_with("digraph signals {"));
    /// assert!(dot.contains(r#"s0 [label="shop.order_shipped", shape=hexagon"#));
    /// assert!(dot.contains(r#"r0 [label="notify", shape=box];"#));
    /// assert!(dot.contains(r#"s0 -> r0 [label="-1"];"#));
    /// ```
    pub fn to_dot(&self) -> String {
        crate::map::dot(self)
    }

    /// The wiring as a Mermaid flowchart, which GitHub and most
    /// documentation sites render inside a ` ```mermaid ` block.
    ///
    /// The same picture as [`to_dot`](Catalog::to_dot): signals are
    /// hexagons, receivers rectangles (stadiums when async, cylinders when
    /// durable), each group is a
    /// `subgraph`, run-time connections have a dashed outline, and a
    /// filtered registration is a dotted edge. Deterministic like
    /// `to_dot`.
    ///
    /// ```
    /// use signals_core::{catalog, receiver, signal};
    ///
    /// /// Sent when an order ships.
    /// #[signal(name = "shop.order_shipped")]
    /// pub struct OrderShipped { pub order: u64 }
    ///
    /// #[receiver(signal = OrderShipped, name = "notify")]
    /// fn notify(_: &OrderShipped) {}
    ///
    /// let mermaid = catalog().to_mermaid();
    /// assert!(mermaid.starts_with("flowchart LR\n"));
    /// assert!(mermaid.contains(r#"s0{{"shop.order_shipped"}}"#));
    /// assert!(mermaid.contains(r#"s0 -->|"0"| r0"#));
    /// ```
    pub fn to_mermaid(&self) -> String {
        crate::map::mermaid(self)
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
        self.write(f, false)
    }
}

impl CatalogEntry {
    /// Writes the entry as the catalog's table does; `link_hint` adds the
    /// reminder about `link!` when the signal has no receivers.
    fn write(&self, f: &mut fmt::Formatter<'_>, link_hint: bool) -> fmt::Result {
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
            if link_hint {
                return writeln!(
                    f,
                    "  receivers: none linked (no crate but `{}` receives its signals here: \
                     a crate that holds only receivers must be named with `signals_core::link!`)",
                    self.crate_name()
                );
            }
            return writeln!(f, "  receivers: none");
        }
        let rows: Vec<[String; 4]> = self
            .receivers
            .iter()
            .map(|receiver| {
                [
                    receiver.order().to_string(),
                    kind(receiver),
                    receiver.crate_name().unwrap_or("(run time)").to_owned(),
                    receiver.name().to_owned(),
                ]
            })
            .collect();
        let header = ["order", "kind", "crate", "receiver"];
        let mut widths = header.map(str::len);
        for row in &rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let [order, kind, krate, name] = widths;
        writeln!(
            f,
            "  {:>order$}  {:<kind$}  {:<krate$}  {:<name$}  location",
            header[0], header[1], header[2], header[3]
        )?;
        for (row, receiver) in rows.iter().zip(&self.receivers) {
            writeln!(
                f,
                "  {:>order$}  {:<kind$}  {:<krate$}  {:<name$}  {}",
                row[0],
                row[1],
                row[2],
                row[3],
                receiver.location()
            )?;
        }
        Ok(())
    }
}

/// `static` or `dynamic`, then what else sets the receiver apart:
/// `static+async+filtered`, `static+durable`.
fn kind(receiver: &ReceiverInfo) -> String {
    let mut kind = String::from(match receiver.kind() {
        ReceiverKind::Static => "static",
        ReceiverKind::Dynamic => "dynamic",
    });
    if receiver.is_async() {
        kind.push_str("+async");
    }
    if receiver.is_filtered() {
        kind.push_str("+filtered");
    }
    if receiver.is_durable() {
        kind.push_str("+durable");
    }
    kind
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
        // A signal without receivers is usually one nobody listens to. The
        // forgotten `link!` looks different: no other crate has a static
        // receiver for any signal of that crate.
        let received_elsewhere: BTreeSet<&str> = self
            .entries
            .iter()
            .filter(|entry| {
                entry
                    .receivers
                    .iter()
                    .any(|r| r.crate_name().is_some_and(|c| c != entry.crate_name()))
            })
            .map(|entry| entry.crate_name())
            .collect();
        for entry in &self.entries {
            writeln!(f)?;
            entry.write(f, !received_elsewhere.contains(entry.crate_name()))?;
        }
        Ok(())
    }
}
