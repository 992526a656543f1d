//! Code generation, after `ast` has validated the input: one module per
//! macro, one function per generated piece.

mod receiver;
mod signal;

use proc_macro2::{Ident, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::{Error, Item, LitStr, Path};

use crate::ast::{self, ReceiverFn};
use crate::attr::{ReceiverArgs, SignalArgs};
use crate::errors::{first_span, with_error, Errors};
use crate::text::unraw;

/// `#[signal]`: the struct unchanged plus everything it generates, or the
/// struct plus every error found in it and in its arguments.
/// `at_module_level`: whether to check that the struct stands at module
/// level (not in a doctest, see `site::in_doctest`).
pub(crate) fn signal(
    args: TokenStream,
    input: TokenStream,
    seed: u64,
    at_module_level: bool,
) -> TokenStream {
    let mut errors = Errors::default();
    let args = SignalArgs::parse(args, &mut errors);
    let item: Item = match syn::parse2(input.clone()) {
        Ok(item) => item,
        Err(error) => return with_error(input, errors.fail(error)),
    };
    match ast::Signal::from_syn(&item, args, errors) {
        Ok(model) => signal::expand(&model, seed, at_module_level),
        Err(error) => with_error(item.into_token_stream(), error),
    }
}

/// `#[receiver]`: the function unchanged plus its record, or the function
/// plus every error found in it and in its arguments.
pub(crate) fn receiver(args: TokenStream, input: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let args = ReceiverArgs::parse(args, &mut errors);
    let function = match ReceiverFn::parse(input.clone()) {
        Ok(function) => function,
        Err(_) => {
            let error = Error::new(
                first_span(input.clone()),
                "#[receiver] goes on a free function, as in `fn on_login(event: &UserLoggedIn) {}`",
            );
            return with_error(input, errors.fail(error));
        }
    };
    match ast::Receiver::from_syn(&function, args, errors) {
        Ok(model) => receiver::expand(&model),
        Err(error) => with_error(function.into_token_stream(), error),
    }
}

/// Whether signals-core registers static receivers through inventory
/// rather than linkme: its feature `inventory` turns on this crate's, so
/// that an expansion holds only the selected backend's items.
const INVENTORY: bool = cfg!(feature = "inventory");

/// Whether signals-core's feature `testing` is on (it turns on this
/// crate's): the recording and muting methods are generated only then.
const TESTING: bool = cfg!(feature = "testing");

/// `linkme`'s items under the linkme backend, `inventory`'s under inventory.
fn backend(linkme: TokenStream, inventory: TokenStream) -> TokenStream {
    if INVENTORY {
        inventory
    } else {
        linkme
    }
}

/// The paths into the runtime crate: `::signals_core` unless
/// `crate = path` names a re-export.
struct Runtime {
    krate: Path,
    private: TokenStream,
}

impl Runtime {
    fn new(krate: Option<&Path>) -> Self {
        let krate = krate
            .cloned()
            .unwrap_or_else(|| syn::parse_quote!(::signals_core));
        let private = private_module();
        let private = quote!(#krate::#private);
        Runtime { krate, private }
    }

    /// The same paths for items generated inside one block: the block
    /// opens with `uses`, one import of the private module under a short
    /// name, which the paths of `aliased` then start with.
    fn aliased(&self) -> (TokenStream, Runtime) {
        let krate = &self.krate;
        let module = private_module();
        let alias = Ident::new("__signals_rt", proc_macro2::Span::call_site());
        let uses = quote!(use #krate::#module as #alias;);
        let aliased = Runtime {
            krate: krate.clone(),
            private: alias.into_token_stream(),
        };
        (uses, aliased)
    }

    /// `record`, of type `__private::#ty`, placed in signals-core's slice
    /// `__private::#slice` (linkme) or submitted (inventory). Placed as
    /// `#[receiver]` places its records (see
    /// `receiver::Expansion::registration`), without the check that the
    /// slice holds `ty`: both are signals-core's.
    fn place_record(&self, slice: &str, ty: &str, record: &TokenStream) -> TokenStream {
        let private = &self.private;
        let slice = Ident::new(slice, proc_macro2::Span::call_site());
        let ty = Ident::new(ty, proc_macro2::Span::call_site());
        backend(
            linked(
                &quote!(#private::#slice),
                &quote!(__SIGNALS_PLACED),
                &quote!(#private::#ty),
                record,
            ),
            quote!(#private::inventory::submit! { #record }),
        )
    }

    /// [`linked`], and the `let` that checks what linkme's element attribute
    /// checks: that the slice holds `ty`.
    fn in_slice(
        &self,
        slice: &TokenStream,
        name: &TokenStream,
        ty: &TokenStream,
        value: &TokenStream,
    ) -> TokenStream {
        let private = &self.private;
        let checked = quote! {
            {
                let _: &#private::linkme::DistributedSlice<[#ty]> = &#slice;
                #value
            }
        };
        linked(slice, name, ty, &checked)
    }

    /// A rustdoc link to `item` of the runtime crate, shown as `text`. The
    /// path is written out: `quote!` does not interpolate inside a doc
    /// comment, so `#krate` there would reach the user's docs as is.
    fn doc_link(&self, text: &str, item: &str) -> String {
        let mut path = String::new();
        for segment in &self.krate.segments {
            path.push_str(&segment.ident.to_string());
            path.push_str("::");
        }
        format!("[`{text}`]({path}{item})")
    }

    /// The doc of a generated method that forwards to the trait method
    /// `item` (`SyncSignal::send`): its docs are written once, there.
    fn forwarded_doc(&self, item: &str) -> String {
        format!(
            " {}, callable without importing the trait.",
            self.doc_link(item, item)
        )
    }

    /// Where the item is written, spanned at its name, so that `line!()`
    /// and `column!()` point there.
    fn location(&self, at: &Ident) -> TokenStream {
        let private = &self.private;
        quote_spanned! {at.span()=>
            #private::location(::core::file!(), ::core::line!(), ::core::column!())
        }
    }
}

/// The static `name: ty = value` in the linkme slice `slice`, through the
/// macro linkme's `#[distributed_slice]` declares beside the slice under the
/// slice's name, which gives the static the slice's link section: what
/// linkme's element attribute expands to, without its type check (a function
/// and two closures per element, the largest part of a receiver's compile
/// time).
fn linked(
    slice: &TokenStream,
    name: &TokenStream,
    ty: &TokenStream,
    value: &TokenStream,
) -> TokenStream {
    quote! {
        #slice! {
            #![linkme_macro = #slice]
            static #name: #ty = #value;
        }
    }
}

/// `__private_X_Y_Z`, after this crate's version, which `signals-core`
/// pins exactly: a mismatch fails to compile.
fn private_module() -> Ident {
    let version: String = env!("CARGO_PKG_VERSION")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    Ident::new(
        &format!("__private_{version}"),
        proc_macro2::Span::call_site(),
    )
}

/// The name a signal or receiver is registered under: `name = "..."`, or
/// its module path and identifier.
fn registered_name(name: Option<&LitStr>, ident: &Ident) -> TokenStream {
    match name {
        Some(name) => quote!(#name),
        None => {
            let ident = unraw(ident);
            quote!(::core::concat!(::core::module_path!(), "::", #ident))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_names() {
        let ident: Ident = syn::parse_str("r#type").unwrap();
        assert_eq!(
            registered_name(None, &ident).to_string(),
            quote!(::core::concat!(::core::module_path!(), "::", "type")).to_string()
        );
        let name: LitStr = syn::parse_str("\"app.tick\"").unwrap();
        assert_eq!(
            registered_name(Some(&name), &ident).to_string(),
            "\"app.tick\""
        );
    }

    #[test]
    fn runtime_paths() {
        assert_eq!(
            Runtime::new(None).private.to_string(),
            ":: signals_core :: __private_0_1_0"
        );
        let krate: Path = syn::parse_str("my::signals").unwrap();
        assert_eq!(
            Runtime::new(Some(&krate)).private.to_string(),
            "my :: signals :: __private_0_1_0"
        );
    }

    #[test]
    fn doc_links_name_the_runtime_crate() {
        assert_eq!(
            Runtime::new(None).doc_link("Connection", "Connection"),
            "[`Connection`](signals_core::Connection)"
        );
        let krate: Path = syn::parse_str("my::signals").unwrap();
        assert_eq!(
            Runtime::new(Some(&krate)).forwarded_doc("SyncSignal::send"),
            " [`SyncSignal::send`](my::signals::SyncSignal::send), callable without importing the trait."
        );
    }
}
