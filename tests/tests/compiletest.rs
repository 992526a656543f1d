//! Compile-time guarantees: every misuse of `#[signal]` and `#[receiver]`
//! (durable signals and receivers included, `durable-*`) is
//! an error at the user's token (`tests/ui/fail`, each with its `.stderr`),
//! and every supported shape compiles (`tests/ui/pass`), under the backend
//! this crate is built with (`--features inventory` for inventory: trybuild's
//! project carries over this crate's features only).
//!
//! The backends differ where linkme's mechanism shows: it finds a signal's
//! slice through the signal's path as a macro and a value too, so a path that
//! is not a signal also fails there, and a signal takes its name among its
//! module's values and macros. Those cases ([`LINKME_ONLY`]) are skipped under
//! inventory, which checks them from `tests/ui/fail-inventory` (each `.rs` a
//! symbolic link to the `fail` case, so that the source is written once and
//! the output keeps its line numbers, with a `.stderr` of its own) and
//! `tests/ui/pass-inventory`.
//!
//! Regenerate the `.stderr` files with `TRYBUILD=overwrite`, under both
//! backends, then read them.

/// The `tests/ui/fail` cases whose output is linkme's own.
const LINKME_ONLY: &[&str] = &[
    "receiver-signal-does-not-exist",
    "receiver-signal-is-fn",
    "receiver-signal-not-a-signal",
    "signal-defined-twice",
    "signal-named-like-fn",
];

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("ui/pass/*.rs");
    if cfg!(feature = "inventory") {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/fail");
        let mut fail: Vec<_> = std::fs::read_dir(&dir)
            .expect("tests/ui/fail")
            .map(|entry| entry.expect("tests/ui/fail").path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "rs"))
            .collect();
        fail.sort();
        for path in fail {
            let case = path.file_stem().and_then(|stem| stem.to_str());
            if !LINKME_ONLY.contains(&case.expect("a UTF-8 file name")) {
                cases.compile_fail(std::path::Path::new("ui/fail").join(path.file_name().unwrap()));
            }
        }
        cases.pass("ui/pass-inventory/*.rs");
        cases.compile_fail("ui/fail-inventory/*.rs");
    } else {
        cases.compile_fail("ui/fail/*.rs");
    }
}

/// Every linkme-only case exists, and has its inventory counterpart: a
/// renamed or removed case must not leave a stale entry that skips nothing.
#[test]
fn linkme_only_cases_have_inventory_counterparts() {
    let ui = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ui");
    for case in LINKME_ONLY {
        let file = format!("{case}.rs");
        assert!(
            ui.join("fail").join(&file).is_file(),
            "tests/ui/fail/{file} is missing"
        );
        assert!(
            ui.join("fail-inventory").join(&file).is_file()
                || ui.join("pass-inventory").join(&file).is_file(),
            "tests/ui/fail-inventory/{file} or tests/ui/pass-inventory/{file} is missing",
        );
    }
}
