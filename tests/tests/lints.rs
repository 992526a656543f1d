//! The code `#[signal]` and `#[receiver]` generate compiles without a warning
//! under the lints careful crates deny, rustc's and clippy's: CI runs
//! `cargo clippy --all-targets -- -D warnings`, which turns the
//! `clippy::pedantic` warnings below into errors.
//!
//! Every shape of signal and receiver appears once, in public and private
//! modules, so that a lint on any generated item fails this file.

#![deny(
    warnings,
    rust_2018_idioms,
    missing_docs,
    missing_debug_implementations,
    unreachable_pub,
    unsafe_code,
    unused,
    unused_qualifications,
    unused_lifetimes,
    single_use_lifetimes,
    trivial_casts,
    trivial_numeric_casts,
    non_ascii_idents,
    rust_2024_compatibility,
    let_underscore_drop,
    meta_variable_misuse,
    unused_results,
    variant_size_differences,
    clippy::all
)]
#![warn(clippy::pedantic)]

use std::fmt;

/// Public signals, as a library would export them.
pub mod events {
    use signals_core::signal;

    /// A signal without fields.
    #[signal]
    #[derive(Debug)]
    pub struct Started {}

    /// A signal that borrows.
    #[signal(name = "lints.logged_in")]
    #[derive(Debug)]
    pub struct LoggedIn<'a> {
        /// Who logged in.
        pub user: &'a str,
    }

    /// A signal with two lifetimes.
    #[signal]
    #[derive(Debug)]
    pub struct Moved<'a, 'b> {
        /// From where.
        pub from: &'a str,
        /// To where.
        pub to: &'b str,
    }

    /// An async signal.
    #[signal(async)]
    #[derive(Debug)]
    pub struct Uploaded {
        /// How many bytes.
        pub bytes: u64,
    }

    /// A signal only this crate sees.
    #[signal]
    #[derive(Debug)]
    pub(crate) struct Internal {
        pub(crate) value: u32,
    }
}

mod private {
    use signals_core::signal;

    #[signal]
    #[derive(Debug)]
    pub(super) struct Hidden {
        pub(super) value: u32,
    }
}

/// Why a receiver failed.
#[derive(Debug)]
pub struct Refused;

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("refused")
    }
}

impl std::error::Error for Refused {}

mod receivers {
    use super::events::{Internal, LoggedIn, Started, Uploaded};
    use super::private::Hidden;
    use super::Refused;
    use signals_core::receiver;

    const fn is_admin(event: &LoggedIn<'_>) -> bool {
        event.user.len() == 5
    }

    #[receiver(signal = Started)]
    fn started(_: &Started) {}

    #[receiver(signal = LoggedIn, order = -5, name = "lints.check")]
    fn check(event: &LoggedIn<'_>) -> Result<(), Refused> {
        if event.user.is_empty() {
            Err(Refused)
        } else {
            Ok(())
        }
    }

    #[receiver(signal = LoggedIn, filter = is_admin)]
    fn admin(event: &LoggedIn<'_>) {
        assert_eq!(event.user, "admin");
    }

    #[receiver(signal = super::events::Moved)]
    fn moved(event: &super::events::Moved<'_, '_>) {
        assert_ne!(event.from, event.to);
    }

    #[receiver(signal = Uploaded)]
    async fn uploaded(event: &Uploaded) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        std::future::ready(()).await;
        if event.bytes == 0 {
            return Err("empty upload".into());
        }
        Ok(())
    }

    #[receiver(signal = Uploaded, order = 1)]
    fn uploaded_sync(_: &Uploaded) {}

    #[receiver(signal = Internal)]
    fn internal(event: &Internal) {
        assert_eq!(event.value, 1);
    }

    #[receiver(signal = Hidden)]
    fn hidden(event: &Hidden) {
        assert_eq!(event.value, 2);
    }

    mod nested {
        #[signals_core::receiver(signal = crate::events::Started, crate = signals_core)]
        fn r#type(_: &crate::events::Started) {}
    }
}

#[test]
fn generated_code_is_lint_clean_and_works() {
    use events::{Internal, LoggedIn, Moved, Started, Uploaded};

    Started {}.send().unwrap();
    LoggedIn { user: "admin" }.send().unwrap();
    assert!(LoggedIn { user: "" }.send().is_err());
    Moved { from: "a", to: "b" }.send().unwrap();
    Uploaded { bytes: 1 }.send_blocking().unwrap();
    Internal { value: 1 }.send().unwrap();
    private::Hidden { value: 2 }.send().unwrap();
    assert_eq!(Started::receivers().len(), 2);
    let connection = Started::connect(|_: &Started| {});
    drop(connection);
}
