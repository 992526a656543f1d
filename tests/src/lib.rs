//! Integration tests of signals-core live in `tests/`; this library only
//! gathers the helper crates they use.
