//! README.md's map of the demo cannot go stale: this test binary includes
//! the demo (`examples/demo.rs`) as a module, so it links exactly the demo's
//! signals and receivers, and the Mermaid diagram under "The demo's wiring"
//! in README.md must be what the demo's `--map mermaid` prints, byte for
//! byte. It also checks the demo's `--map` arguments.
//!
//! This file is named `demo.rs` so that its crate is `demo`, as the example's
//! is: the diagram groups receivers by crate name. After an intended change,
//! `UPDATE_GOLDEN=1 cargo test -p signals-auth --test demo` rewrites the
//! diagram in README.md; read the diff.

// Only the receivers and `wiring_map` are used here, not the story.
#[allow(dead_code)]
#[path = "../examples/demo.rs"]
mod demo;

const README: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md");
const START: &str = "<!-- demo-map: the output of `cargo run -p signals-auth --example demo -- --map mermaid` -->\n```mermaid\n";
const END: &str = "```\n";

fn args(args: &[&str]) -> Vec<String> {
    args.iter().map(|arg| arg.to_string()).collect()
}

#[test]
fn the_readme_shows_the_demo_wiring_as_the_demo_draws_it() {
    let drawn = demo::wiring_map(&args(&["--map", "mermaid"]))
        .unwrap()
        .unwrap();
    // The fifteen allauth signals, and the demo's receivers.
    assert_eq!(drawn.matches("{{\"allauth.").count(), 15, "{drawn}");
    assert!(drawn.contains("[\"audit_log\"]"), "{drawn}");

    let readme = std::fs::read_to_string(README).unwrap();
    let start = readme
        .find(START)
        .unwrap_or_else(|| panic!("README.md lacks the demo map's opening lines:\n{START}"))
        + START.len();
    let end = start
        + readme[start..]
            .find(END)
            .expect("the demo map's code block is closed");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        let updated = format!("{}{drawn}{}", &readme[..start], &readme[end..]);
        std::fs::write(README, updated).unwrap();
        return;
    }
    assert!(
        readme[start..end] == drawn,
        "README.md's demo map is out of date; rerun with UPDATE_GOLDEN=1 and read the diff. \
         The demo draws:\n{drawn}"
    );
}

#[test]
fn the_demo_draws_dot_too_and_rejects_unknown_arguments() {
    let dot = demo::wiring_map(&args(&["--map", "dot"])).unwrap().unwrap();
    assert_eq!(dot, signals_core::catalog().to_dot());
    assert_eq!(demo::wiring_map(&[]), Ok(None));
    for wrong in [
        &["--map"][..],
        &["--map", "svg"],
        &["--mapp", "dot"],
        &["story"],
    ] {
        let usage = demo::wiring_map(&args(wrong)).unwrap_err();
        assert!(
            usage.ends_with("usage: demo [--map mermaid|dot]"),
            "{usage}"
        );
    }
}
