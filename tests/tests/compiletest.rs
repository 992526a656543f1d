//! Compile-time guarantees: every misuse of `#[signal]` and `#[receiver]`
//! (durable signals and receivers included, `durable-*`) is
//! an error at the user's token (`tests/ui/fail`, each with its `.stderr`),
//! and every supported shape compiles (`tests/ui/pass`).
//!
//! Regenerate the `.stderr` files with `TRYBUILD=overwrite`, then read them.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("ui/pass/*.rs");
    cases.compile_fail("ui/fail/*.rs");
}
