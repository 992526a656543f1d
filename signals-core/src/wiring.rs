//! The wiring check: a test states what it relies on in the wiring of its
//! binary, and fails with what is missing and the likely cause.

use std::fmt;

use crate::catalog::{catalog, Catalog};
use crate::receiver::ReceiverKind;
use crate::signal::Signal;

/// What a test suite relies on in the wiring of its binary: which signals
/// have receivers from which crates, and which crates' signals all have
/// receivers. Every check also asserts that no two signals claim one name.
///
/// Link-time registration fails silently: a crate of receivers that the
/// binary never names is left out by the linker, and its receivers never
/// run (see [`link!`](crate::link)). An integration test binary
/// (`tests/*.rs`) is a binary of its own and needs its `link!` too. One
/// wiring check per test binary turns that silence into a failure that says
/// what is missing and why:
///
/// ```
/// use signals_core::{receiver, signal, Wiring};
///
/// /// Sent when an order ships.
/// #[signal(name = "shop.order_shipped")]
/// pub struct OrderShipped { pub order: u64 }
///
/// #[receiver(signal = OrderShipped)]
/// fn notify(_: &OrderShipped) {}
///
/// /// Sent when an order is cancelled; nobody listens yet.
/// #[signal(name = "shop.order_cancelled")]
/// pub struct OrderCancelled { pub order: u64 }
///
/// // In a test: `.assert()` panics with the message below.
/// Wiring::new().receivers_from::<OrderShipped>(["rust_out"]).assert();
///
/// let error = Wiring::new()
///     .receivers_from::<OrderShipped>(["mailer"])
///     .every_signal_received("rust_out")
///     .check()
///     .unwrap_err();
/// assert_eq!(error.problems().len(), 2);
/// let message = error.to_string();
/// assert!(message.contains("signal `shop.order_shipped` has no receiver from crate `mailer`"));
/// assert!(message.contains("signals_core::link!(mailer);"));
/// assert!(message.contains("signal `shop.order_cancelled` (crate `rust_out`) has no receivers"));
/// ```
///
/// Crates are named as in paths (`my_crate`, not `my-crate`; a hyphen is
/// read as an underscore). The check reads the [`catalog`] when it runs, so
/// it sees run-time connections made by then too.
#[derive(Clone, Debug, Default)]
#[must_use = "a wiring check does nothing until `.assert()` or `.check()`"]
pub struct Wiring {
    received: Vec<(&'static str, Vec<String>)>,
    all_received: Vec<String>,
}

impl Wiring {
    /// A check with no expectation yet; it already asserts that signal
    /// names are unique.
    pub fn new() -> Self {
        Wiring::default()
    }

    /// Expects signal `S` to have at least one receiver from each of
    /// `crates`.
    pub fn receivers_from<S: Signal>(
        mut self,
        crates: impl IntoIterator<Item = impl AsRef<str>>,
    ) -> Self {
        let crates = crates
            .into_iter()
            .map(|c| crate_ident(c.as_ref()))
            .collect();
        self.received.push((S::NAME, crates));
        self
    }

    /// Expects every signal that crate `krate` defines to have at least one
    /// receiver, and the crate to define at least one signal linked into the
    /// binary.
    pub fn every_signal_received(mut self, krate: impl AsRef<str>) -> Self {
        self.all_received.push(crate_ident(krate.as_ref()));
        self
    }

    /// Checks the expectations against the signals and receivers linked
    /// into (and connected in) this binary now.
    pub fn check(&self) -> Result<(), WiringError> {
        let problems = self.problems(&catalog());
        if problems.is_empty() {
            Ok(())
        } else {
            Err(WiringError { problems })
        }
    }

    /// Like [`check`](Wiring::check), but panics with the error's message:
    /// the one call a test makes.
    #[track_caller]
    pub fn assert(&self) {
        if let Err(error) = self.check() {
            panic!("{error}");
        }
    }

    fn problems(&self, catalog: &Catalog) -> Vec<String> {
        let mut problems = Vec::new();
        for name in catalog.duplicate_names() {
            let claims: Vec<String> = catalog
                .iter()
                .filter(|entry| entry.name() == name)
                .map(|entry| format!("`{}` ({})", entry.type_path(), entry.location()))
                .collect();
            problems.push(format!(
                "more than one signal is named `{name}`: {}. A signal's name must be unique \
                 in the binary: give each its own `#[signal(name = \"...\")]`",
                claims.join(", ")
            ));
        }
        for (signal, crates) in &self.received {
            let entries: Vec<_> = catalog.iter().filter(|e| e.name() == *signal).collect();
            for krate in crates {
                let has = entries.iter().any(|entry| {
                    entry
                        .receivers()
                        .iter()
                        .any(|r| r.crate_name() == Some(krate.as_str()))
                });
                if !has {
                    problems.push(missing_receiver(catalog, signal, krate));
                }
            }
        }
        for krate in &self.all_received {
            let mut defined = 0;
            for entry in catalog.iter().filter(|e| e.crate_name() == krate) {
                defined += 1;
                if entry.receivers().is_empty() {
                    problems.push(format!(
                        "signal `{}` (crate `{krate}`) has no receivers. If a crate that holds \
                         only receivers should listen to it, that crate is most likely not \
                         linked: the linker leaves out a crate the binary never names; {}",
                        entry.name(),
                        link_advice("the_crate")
                    ));
                }
            }
            if defined == 0 {
                problems.push(format!(
                    "crate `{krate}` defines no signal linked into this binary: check the \
                     crate's name (as in paths: `my_crate`), or name it with \
                     `signals_core::link!({krate});`"
                ));
            }
        }
        problems
    }
}

/// How to link a crate the linker left out.
fn link_advice(krate: &str) -> String {
    format!(
        "name it once in the binary with `signals_core::link!({krate});` (an integration test, \
         `tests/*.rs`, is a binary of its own and needs its own `link!`)"
    )
}

/// Why signal `signal` has no receiver from crate `krate`, in words.
fn missing_receiver(catalog: &Catalog, signal: &str, krate: &str) -> String {
    let Some(entry) = catalog.get(signal) else {
        return format!(
            "signal `{signal}` is not in the catalog: the crate that defines it is not linked \
             into this binary"
        );
    };
    let receives: Vec<&str> = catalog
        .iter()
        .filter(|e| {
            e.receivers()
                .iter()
                .any(|r| r.kind() == ReceiverKind::Static && r.crate_name() == Some(krate))
        })
        .map(|e| e.name())
        .collect();
    let has = match entry.receivers().len() {
        0 => "it has no receivers at all".to_owned(),
        n => {
            let mut crates: Vec<&str> = entry
                .receivers()
                .iter()
                .map(|r| r.crate_name().unwrap_or("(run time)"))
                .collect();
            crates.sort_unstable();
            crates.dedup();
            format!("it has {n} from {}", crates.join(", "))
        }
    };
    let defines_signals = catalog.iter().any(|e| e.crate_name() == krate);
    if receives.is_empty() && !defines_signals {
        format!(
            "signal `{signal}` has no receiver from crate `{krate}` ({has}), and nothing of \
             crate `{krate}` is linked into this binary: most likely the crate is not linked; \
             {}. If it is, check the crate's name (as in paths: `my_crate`)",
            link_advice(krate)
        )
    } else {
        let linked = if receives.is_empty() {
            "it defines signals".to_owned()
        } else {
            let receives: Vec<String> = receives.iter().map(|n| format!("`{n}`")).collect();
            format!("it receives {}", receives.join(", "))
        };
        format!(
            "signal `{signal}` has no receiver from crate `{krate}` ({has}), although crate \
             `{krate}` is linked ({linked}): check its `#[receiver(signal = ...)]` attributes \
             and any `#[cfg]` around them"
        )
    }
}

/// A crate's name as paths write it.
fn crate_ident(name: &str) -> String {
    name.replace('-', "_")
}

/// What a [`Wiring`] check found missing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WiringError {
    problems: Vec<String>,
}

impl WiringError {
    /// Each problem in words, with its likely cause.
    pub fn problems(&self) -> &[String] {
        &self.problems
    }
}

impl fmt::Display for WiringError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the signals' wiring is not what this test expects:")?;
        for problem in &self.problems {
            write!(f, "\n  - {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for WiringError {}
