//! The wiring check a test suite makes: it passes when the signals it names
//! have receivers from the crates it names, and otherwise fails with each
//! missing piece and its likely cause (a crate linked but not receiving that
//! signal, a signal nobody receives, a crate that defines no signal here).

signals_core::link!(receivers_only);

use shared_signals::{Quiet, Shared};
use signals_core::{receiver, signal, Wiring};

/// Sent by this test binary.
#[signal(name = "wiring.local")]
pub struct Local {}

#[receiver(signal = Local)]
fn on_local(_: &Local) {}

#[test]
fn what_is_linked_passes() {
    Wiring::new()
        .receivers_from::<Shared>(["receivers_only"])
        .receivers_from::<Local>(["wiring"])
        .every_signal_received("wiring")
        .assert();
}

#[test]
fn each_missing_piece_is_named_with_its_likely_cause() {
    let error = Wiring::new()
        .receivers_from::<Quiet>(["receivers_only"])
        .receivers_from::<Shared>(["wiring", "receivers_only"])
        .every_signal_received("shared-signals")
        .every_signal_received("no_such_crate")
        .check()
        .unwrap_err();
    assert_eq!(
        error.problems(),
        [
            "signal `shared_signals::Quiet` has no receiver from crate `receivers_only` (it has \
             no receivers at all), although crate `receivers_only` is linked (it receives \
             `shared_signals::Shared`): check its `#[receiver(signal = ...)]` attributes and \
             any `#[cfg]` around them",
            "signal `shared_signals::Shared` has no receiver from crate `wiring` (it has 2 from \
             receivers_only), although crate `wiring` is linked (it receives `wiring.local`): \
             check its `#[receiver(signal = ...)]` attributes and any `#[cfg]` around them",
            "signal `shared_signals::Quiet` (crate `shared_signals`) has no receivers. If a \
             crate that holds only receivers should listen to it, that crate is most likely \
             not linked: the linker leaves out a crate the binary never names; name it once in \
             the binary with `signals_core::link!(the_crate);` (an integration test, \
             `tests/*.rs`, is a binary of its own and needs its own `link!`)",
            "crate `no_such_crate` defines no signal linked into this binary: check the crate's \
             name (as in paths: `my_crate`), or name it with \
             `signals_core::link!(no_such_crate);`",
        ]
    );
}
