//! Errors collected across a macro's arguments and its item, reported
//! together, with the user's item still emitted so that one mistake does not
//! cascade into errors about a missing item.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::Error;

/// Every error found so far, combined into one `syn::Error`.
#[derive(Default)]
pub(crate) struct Errors(Option<Error>);

impl Errors {
    pub(crate) fn push(&mut self, error: Error) {
        match &mut self.0 {
            Some(errors) => errors.combine(error),
            None => self.0 = Some(error),
        }
    }

    /// Records the error of a check whose value is needed later, keeping
    /// errors in the order they were found.
    pub(crate) fn note<T>(&mut self, result: &syn::Result<T>) {
        if let Err(error) = result {
            self.push(error.clone());
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    pub(crate) fn append(&mut self, other: Errors) {
        if let Some(error) = other.0 {
            self.push(error);
        }
    }

    /// Every error so far, with `error` last.
    pub(crate) fn fail(self, error: Error) -> Error {
        match self.0 {
            Some(mut errors) => {
                errors.combine(error);
                errors
            }
            None => error,
        }
    }

    pub(crate) fn finish(self) -> syn::Result<()> {
        match self.0 {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}

/// The user's item as written, plus the errors.
pub(crate) fn with_error(item: TokenStream, error: Error) -> TokenStream {
    let error = error.into_compile_error();
    quote!(#item #error)
}

/// Where an error about the whole item goes: its first token.
pub(crate) fn first_span(tokens: TokenStream) -> Span {
    tokens
        .into_iter()
        .next()
        .map_or_else(Span::call_site, |tree| tree.span())
}
