//! The catalog as a picture: for a known set of signals and receivers (two
//! crates of signals, static receivers in two crates, one receiver name
//! shared by three signals, async, durable and filtered receivers, run-time
//! connections), `to_dot()` and `to_mermaid()` print exactly the golden files
//! in `tests/golden/`, twice in a row; with the `serde` feature the catalog
//! serializes to the documented JSON.
//!
//! After an intended change of the drawings, `UPDATE_GOLDEN=1 cargo test -p
//! signals-tests --test map` rewrites the golden files; read the diff.

signals_core::link!(receivers_only);

use signals_core::{catalog, receiver, signal};

/// Sent when a page is viewed.
#[signal(name = "map.page_viewed")]
pub struct PageViewed<'a> {
    pub path: &'a str,
}

/// Sent when a user signs up.
#[signal(async, name = "map.signed_up")]
pub struct SignedUp {
    pub user: u64,
}

/// Nobody listens to this one.
#[signal(name = "map.unheard")]
pub struct Unheard {}

#[receiver(signal = PageViewed, order = -10, name = "audit \"log\"")]
fn audit_page(_: &PageViewed) {}

#[receiver(signal = SignedUp, order = -10, name = "audit \"log\"")]
fn audit_signup(_: &SignedUp) {}

fn is_admin(page: &PageViewed) -> bool {
    page.path.starts_with("/admin")
}

#[receiver(signal = PageViewed, filter = is_admin)]
fn admin_page(_: &PageViewed) {}

#[receiver(signal = SignedUp, order = 5)]
async fn welcome(_: &SignedUp) {}

/// Sent when an order is placed; a worker mails the receipt.
#[signal(async, durable, name = "map.order_placed")]
#[derive(serde::Serialize, serde::Deserialize)]
pub struct OrderPlaced {
    pub order: u64,
}

#[receiver(signal = OrderPlaced, durable, retries = 2, name = "receipt")]
async fn receipt(_: &OrderPlaced) {}

#[receiver(signal = OrderPlaced, order = -10, name = "audit \"log\"")]
fn audit_order(_: &OrderPlaced) {}

fn golden(file: &str, actual: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(file);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_GOLDEN=1 writes it)", path.display()));
    assert!(
        actual == expected,
        "{} differs from what the catalog draws; after an intended change, \
         rerun with UPDATE_GOLDEN=1 and read the diff.\n--- drawn:\n{actual}",
        path.display()
    );
}

#[test]
fn dot_and_mermaid_draw_the_known_wiring_exactly() {
    let _tick = PageViewed::connect(|_: &PageViewed| {});
    let _named = PageViewed::connect_with(
        signals_core::ConnectOptions::new()
            .order(1)
            .name("page <counter>"),
        |_: &PageViewed| {},
    );
    let _only_home =
        PageViewed::connect_filtered(|p: &PageViewed| p.path == "/", |_: &PageViewed| {});
    let _later = SignedUp::connect_async(|_: &SignedUp| async {});

    let catalog = catalog();
    let dot = catalog.to_dot();
    let mermaid = catalog.to_mermaid();
    // Same catalog, same text.
    assert_eq!(dot, signals_core::catalog().to_dot());
    assert_eq!(mermaid, catalog.to_mermaid());
    golden("map.dot", &dot);
    golden("map.mmd", &mermaid);
}

#[test]
fn the_catalog_serializes_to_json() {
    let json = serde_json::to_value(catalog()).unwrap();
    let shared = json["signals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["type"] == "shared_signals::Shared")
        .expect("linked");
    let expected = serde_json::json!({
        "name": "shared_signals::Shared",
        "type": "shared_signals::Shared",
        "crate": "shared_signals",
        "doc": "Sent by the cross-crate tests.",
        "async": false,
        "fields": [{ "name": "from", "type": "&'a str" }],
        "location": { "file": "tests/shared-signals/src/lib.rs", "line": 8, "column": 12 },
        "receivers": [
            {
                "name": "receivers_only::named", "crate": "receivers_only", "order": 0,
                "kind": "static", "async": false, "filtered": false, "durable": false, "retries": null,
                "location": { "file": "tests/receivers-only/src/lib.rs", "line": 15, "column": 4 }
            },
            {
                "name": "receivers_only::count_shared", "crate": "receivers_only", "order": 3,
                "kind": "static", "async": false, "filtered": false, "durable": false, "retries": null,
                "location": { "file": "tests/receivers-only/src/lib.rs", "line": 10, "column": 4 }
            }
        ]
    });
    assert_eq!(*shared, expected);
}
