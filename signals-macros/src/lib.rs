//! The procedural macros of `signals-core`: `#[signal]` and `#[receiver]`.
//!
//! Depend on `signals-core` and use them from there: the code they generate
//! calls into `::signals_core::__private_X_Y_Z`, which this crate's version is
//! pinned to. The documentation lives on the re-exports in `signals-core`.

mod ast;
mod attr;
mod errors;
mod expand;
#[cfg(test)]
mod fuzz;
mod serde_bounds;
mod site;
mod text;
mod tokens;

use proc_macro::TokenStream;

#[proc_macro_attribute]
pub fn signal(args: TokenStream, input: TokenStream) -> TokenStream {
    let seed = site::seed(&input);
    let at_module_level = !site::in_doctest();
    expand::signal(args.into(), input.into(), seed, at_module_level).into()
}

#[proc_macro_attribute]
pub fn receiver(args: TokenStream, input: TokenStream) -> TokenStream {
    expand::receiver(args.into(), input.into()).into()
}
