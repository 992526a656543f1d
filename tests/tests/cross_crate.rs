//! Receivers in other crates, and same-name signals that must not collide.

signals_core::link!(receivers_only);

use shared_signals::{Shared, RECEIVED_ELSEWHERE};
use std::sync::atomic::Ordering;

#[test]
fn receivers_in_a_linked_receivers_only_crate_run() {
    let names: Vec<String> = Shared::receivers()
        .iter()
        .map(|r| r.name().to_string())
        .collect();
    assert_eq!(
        names,
        ["receivers_only::named", "receivers_only::count_shared"]
    );
    let before = RECEIVED_ELSEWHERE.load(Ordering::SeqCst);
    Shared { from: "test" }.send().unwrap();
    assert_eq!(RECEIVED_ELSEWHERE.load(Ordering::SeqCst), before + 1);
}

#[test]
fn same_name_signals_in_two_crates_and_two_modules_stay_apart() {
    same_name_a::Clicked { button: 1 }.send().unwrap();
    same_name_a::left::Clicked {}.send().unwrap();
    same_name_a::left::Clicked {}.send().unwrap();
    same_name_a::right::Clicked {}.send().unwrap();
    same_name_a::right::Clicked {}.send().unwrap();
    same_name_a::right::Clicked {}.send().unwrap();
    for _ in 0..4 {
        same_name_b::Clicked { x: 0 }.send().unwrap();
    }
    assert_eq!(same_name_a::CLICKS.load(Ordering::SeqCst), 1);
    assert_eq!(same_name_a::left::CLICKS.load(Ordering::SeqCst), 2);
    assert_eq!(same_name_a::right::CLICKS.load(Ordering::SeqCst), 3);
    assert_eq!(same_name_b::CLICKS.load(Ordering::SeqCst), 4);
    assert_ne!(
        <same_name_a::Clicked as signals_core::Signal>::NAME,
        <same_name_b::Clicked as signals_core::Signal>::NAME
    );
    assert_eq!(
        <same_name_a::left::Clicked as signals_core::Signal>::NAME,
        "same_name_a::left::Clicked"
    );
}

#[test]
fn a_signal_with_a_non_ascii_name_works() {
    same_name_b::Ñandú { metres: 3 }.send().unwrap();
    assert_eq!(same_name_b::ÑANDÚ_RUNS.load(Ordering::SeqCst), 1);
    assert_eq!(
        <same_name_b::Ñandú as signals_core::Signal>::NAME,
        "same_name_b::Ñandú"
    );
}

#[test]
fn a_crate_that_reaches_signals_core_through_a_reexport_works_with_crate_override() {
    assert_eq!(via_reexport::send_both(), 2);
    assert_eq!(via_reexport::Reexported::receivers().len(), 1);
}
