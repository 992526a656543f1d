//! A seed that tells one `#[signal]` apart from every other in the binary.
//!
//! linkme derives a link section from the slice's identifier, and two slices
//! with one identifier anywhere in a binary make linkme panic at run time
//! ("duplicate #[distributed_slice]"). Two crates, or two modules of one
//! crate, may each define `Clicked`, so the identifier cannot be the type's
//! name: it is a hash of the crate, its version, and where the struct is
//! written. Hashing also keeps non-ASCII and raw identifiers out of section
//! names.

use proc_macro::{TokenStream, TokenTree};

/// FNV-1a, 64 bits: stable across Rust versions, unlike `DefaultHasher`.
pub(crate) struct Fnv(u64);

impl Fnv {
    pub(crate) fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    pub(crate) fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 ^= u64::from(*byte);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
        // A separator, so that ("ab", "c") and ("a", "bc") differ.
        self.0 ^= 0xff;
        self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
    }

    pub(crate) fn finish(&self) -> u64 {
        self.0
    }
}

/// The seed of the `#[signal]` being expanded: crate, version, the call site
/// and the location of every identifier in the item (the struct's name comes
/// from the user even when a `macro_rules!` writes the attribute).
pub(crate) fn seed(input: &TokenStream) -> u64 {
    let mut hash = Fnv::new();
    for var in ["CARGO_CRATE_NAME", "CARGO_PKG_NAME", "CARGO_PKG_VERSION"] {
        hash.write(std::env::var(var).unwrap_or_default().as_bytes());
    }
    let call_site = proc_macro::Span::call_site();
    write_span(&mut hash, call_site);
    for tree in input.clone() {
        if let TokenTree::Ident(ident) = tree {
            hash.write(ident.to_string().as_bytes());
            write_span(&mut hash, ident.span());
        }
    }
    hash.finish()
}

fn write_span(hash: &mut Fnv, span: proc_macro::Span) {
    hash.write(span.file().as_bytes());
    hash.write(&span.line().to_le_bytes());
    hash.write(&span.column().to_le_bytes());
}

/// Whether rustdoc is compiling a doctest: the one place where a signal
/// legitimately stands inside a function, the `fn main` rustdoc wraps a
/// doctest's code in. rustdoc sets `UNSTABLE_RUSTDOC_TEST_PATH` for the
/// rustc that compiles a standalone doctest; edition 2024 first compiles
/// the crate's doctests merged into one file, `doctest_bundle_<edition>.rs`,
/// without the variable (were that name to change, a merged build that
/// fails is retried doctest by doctest, with the variable set).
pub(crate) fn in_doctest() -> bool {
    if std::env::var_os("UNSTABLE_RUSTDOC_TEST_PATH").is_some() {
        return true;
    }
    let file = proc_macro::Span::call_site().file();
    std::path::Path::new(&file)
        .file_name()
        .and_then(|name| name.to_str())
        .is_some_and(|name| name.starts_with("doctest_bundle_"))
}
