//! A framework that re-exports signals-core under its own path, as a web
//! framework built on it would.

pub use signals_core as signals;
