//! The pitfall `link!` exists for: this test binary depends on
//! `receivers-only` (through the package) but never names it, so the linker
//! leaves it out and its receivers never run. The wiring check and the
//! catalog's table say so, naming `link!`.

use shared_signals::{Shared, RECEIVED_ELSEWHERE};
use signals_core::Wiring;
use std::sync::atomic::Ordering;

#[test]
fn receivers_of_a_crate_nobody_names_are_not_linked() {
    assert!(Shared::receivers().is_empty());
    assert!(!Shared::has_receivers());
    Shared { from: "test" }.send().unwrap();
    assert_eq!(RECEIVED_ELSEWHERE.load(Ordering::SeqCst), 0);
}

#[test]
fn the_wiring_check_names_the_crate_to_link() {
    let error = Wiring::new()
        .receivers_from::<Shared>(["receivers-only"])
        .check()
        .unwrap_err();
    assert_eq!(
        error.problems(),
        [
            "signal `shared_signals::Shared` has no receiver from crate `receivers_only` (it has \
          no receivers at all), and nothing of crate `receivers_only` is linked into this \
          binary: most likely the crate is not linked; name it once in the binary with \
          `signals_core::link!(receivers_only);` (an integration test, `tests/*.rs`, is a \
          binary of its own and needs its own `link!`). If it is, check the crate's name (as \
          in paths: `my_crate`)"
        ]
    );
    assert!(error
        .to_string()
        .starts_with("the signals' wiring is not what this test expects:\n  - signal"));

    let error = Wiring::new()
        .every_signal_received("shared_signals")
        .check()
        .unwrap_err();
    assert_eq!(error.problems().len(), 2, "{error}");
    assert!(error.problems()[0].starts_with(
        "signal `shared_signals::Quiet` (crate `shared_signals`) has no receivers. If a crate \
         that holds only receivers should listen to it, that crate is most likely not linked"
    ));
    assert!(error.problems()[1].contains("signal `shared_signals::Shared`"));
    assert!(error.problems()[1].contains("`signals_core::link!(the_crate);`"));
}

#[test]
#[should_panic(expected = "`signals_core::link!(receivers_only);`")]
fn the_one_line_check_fails_the_test() {
    Wiring::new()
        .receivers_from::<Shared>(["receivers_only"])
        .assert();
}

#[test]
fn the_catalog_table_hints_at_link_for_a_crate_nobody_receives() {
    let table = signals_core::catalog().to_string();
    let shared = table
        .split("\n\n")
        .find(|block| block.starts_with("signal shared_signals::Shared "))
        .expect("listed");
    assert!(
        shared.trim_end().ends_with(
            "  receivers: none linked (no crate but `shared_signals` receives its signals \
             here: a crate that holds only receivers must be named with `signals_core::link!`)"
        ),
        "{shared}"
    );
}
