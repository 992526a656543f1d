//! Naming the signal: receivers in nested modules reach a signal through
//! `super::`, `crate::` and `self::` paths and through `use` aliases of the
//! signal and of its module; every one of them is registered, runs, and is
//! listed under its own module path.

use std::sync::Mutex;

pub mod signals {
    use signals_core::signal;

    /// Defined one module down, with a lifetime.
    #[signal]
    pub struct Deep<'a> {
        pub log: &'a std::sync::Mutex<Vec<&'static str>>,
    }
}

mod outer {
    use signals_core::receiver;

    #[receiver(signal = super::signals::Deep, order = 1)]
    fn via_super(signal: &super::signals::Deep) {
        signal.log.lock().unwrap().push("via_super");
    }

    pub mod inner {
        use crate::signals as sigs;
        use crate::signals::Deep as Renamed;
        use signals_core::receiver;

        #[receiver(signal = crate::signals::Deep, order = 2)]
        fn via_crate(signal: &crate::signals::Deep<'_>) {
            signal.log.lock().unwrap().push("via_crate");
        }

        #[receiver(signal = super::super::signals::Deep, order = 3)]
        fn via_super_super(signal: &Renamed) {
            signal.log.lock().unwrap().push("via_super_super");
        }

        #[receiver(signal = Renamed, order = 4)]
        fn via_alias(signal: &Renamed) {
            signal.log.lock().unwrap().push("via_alias");
        }

        #[receiver(signal = sigs::Deep, order = 5)]
        fn via_module_alias(signal: &sigs::Deep) {
            signal.log.lock().unwrap().push("via_module_alias");
        }

        pub mod innermost {
            use super::Renamed;
            use signals_core::receiver;

            #[receiver(signal = self::Renamed, order = 6)]
            fn via_self_reexported_alias(signal: &Renamed) {
                signal.log.lock().unwrap().push("via_self_reexported_alias");
            }
        }
    }
}

/// Receivers declared inside a function body, too.
#[test]
fn receivers_in_nested_modules_reach_the_signal_through_any_path() {
    use signals::Deep;

    #[signals_core::receiver(signal = Deep, order = 7)]
    fn in_a_function(signal: &Deep) {
        signal.log.lock().unwrap().push("in_a_function");
    }

    let log = Mutex::new(Vec::new());
    Deep { log: &log }.send().unwrap();
    let expected = [
        "via_super",
        "via_crate",
        "via_super_super",
        "via_alias",
        "via_module_alias",
        "via_self_reexported_alias",
        "in_a_function",
    ];
    assert_eq!(*log.lock().unwrap(), expected);

    let receivers = Deep::receivers();
    let listed: Vec<(&str, Option<&str>)> = receivers
        .iter()
        .map(|r| (r.name(), r.module_path()))
        .collect();
    assert_eq!(
        listed,
        [
            ("paths::outer::via_super", Some("paths::outer")),
            (
                "paths::outer::inner::via_crate",
                Some("paths::outer::inner")
            ),
            (
                "paths::outer::inner::via_super_super",
                Some("paths::outer::inner")
            ),
            (
                "paths::outer::inner::via_alias",
                Some("paths::outer::inner")
            ),
            (
                "paths::outer::inner::via_module_alias",
                Some("paths::outer::inner")
            ),
            (
                "paths::outer::inner::innermost::via_self_reexported_alias",
                Some("paths::outer::inner::innermost")
            ),
            // `module_path!()` inside a function names the module, not the
            // function.
            ("paths::in_a_function", Some("paths")),
        ]
    );
    assert!(receivers.iter().all(|r| r.crate_name() == Some("paths")));
    assert_eq!(<Deep as signals_core::Signal>::NAME, "paths::signals::Deep");
}

/// Receivers and signals written by a `macro_rules!`, with the names passed
/// in as metavariables: the generated locals must not depend on whose span
/// they carry.
mod by_macro_rules {
    use signals_core::{receiver, signal};
    use std::sync::atomic::{AtomicUsize, Ordering};

    pub static RUNS: AtomicUsize = AtomicUsize::new(0);

    macro_rules! declare_signal {
        ($name:ident) => {
            /// A signal a macro declared.
            #[signal]
            pub struct $name<'a> {
                pub text: &'a str,
            }
        };
    }

    macro_rules! on {
        ($signal:ident, $f:ident, $filter:ident) => {
            #[receiver(signal = $signal, filter = $filter)]
            fn $f(event: &$signal) -> Result<(), String> {
                RUNS.fetch_add(event.text.len(), Ordering::SeqCst);
                Ok(())
            }
        };
    }

    fn always(_: &Generated) -> bool {
        true
    }

    declare_signal!(Generated);
    on!(Generated, first, always);
    on!(Generated, second, always);

    #[test]
    fn receivers_written_by_macro_rules_register_and_run() {
        assert_eq!(Generated::receivers().len(), 2);
        Generated { text: "abc" }.send().unwrap();
        assert_eq!(RUNS.load(Ordering::SeqCst), 6);
    }
}
