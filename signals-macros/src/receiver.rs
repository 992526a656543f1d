//! `#[receiver]`: the function unchanged, plus a record of it in the signal's
//! registry.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{Error, FnArg, GenericParam, ItemFn, Path, ReturnType, Type};

use crate::attr::{Errors, ReceiverArgs};

pub(crate) fn expand(args: TokenStream, input: TokenStream) -> TokenStream {
    let function: ItemFn = match syn::parse2(input.clone()) {
        Ok(function) => function,
        Err(_) => {
            let error = Error::new(
                first_span(&input),
                "#[receiver] goes on a free function, as in `fn on_login(event: &UserLoggedIn) {}`",
            );
            return with_error(input, error);
        }
    };
    let args = match ReceiverArgs::parse(args) {
        Ok(args) => args,
        Err(error) => return with_error(function.into_token_stream(), error),
    };
    match check(&args, &function) {
        Ok(checked) => generate(&args, &function, checked),
        Err(error) => with_error(function.into_token_stream(), error),
    }
}

fn with_error(item: TokenStream, error: Error) -> TokenStream {
    let error = error.into_compile_error();
    quote!(#item #error)
}

fn first_span(tokens: &TokenStream) -> Span {
    tokens
        .clone()
        .into_iter()
        .next()
        .map_or_else(Span::call_site, |tree| tree.span())
}

/// What the checks found out about the function.
struct Checked<'f> {
    signal: &'f Path,
    /// The signal type as the user wrote it in the parameter (`Ping<'_>`).
    param: &'f Type,
}

fn check<'f>(args: &'f ReceiverArgs, function: &'f ItemFn) -> syn::Result<Checked<'f>> {
    let mut errors = Errors::default();
    let sig = &function.sig;
    if args.signal.is_none() {
        errors.push(Error::new(
            Span::call_site(),
            "#[receiver] needs the signal it listens to: `#[receiver(signal = path::to::Signal)]`",
        ));
    }
    if let Some(token) = &sig.unsafety {
        errors.push(Error::new(
            token.span,
            "a receiver cannot be an `unsafe fn`: the dispatch cannot uphold its contract",
        ));
    }
    if let Some(variadic) = &sig.variadic {
        errors.push(Error::new_spanned(
            variadic,
            "a receiver cannot be variadic",
        ));
    }
    for param in &sig.generics.params {
        match param {
            GenericParam::Lifetime(_) => {}
            GenericParam::Type(param) => errors.push(Error::new(
                param.ident.span(),
                "a receiver cannot be generic: it is registered for one signal, so write the signal's type",
            )),
            GenericParam::Const(param) => errors.push(Error::new(
                param.const_token.span,
                "a receiver cannot have const parameters: it is registered for one signal",
            )),
        }
    }
    let mut param = None;
    let mut inputs = sig.inputs.iter();
    match inputs.next() {
        None => errors.push(Error::new(
            sig.paren_token.span.join(),
            "a receiver takes exactly one parameter, a reference to its signal: `(event: &Signal)`",
        )),
        Some(FnArg::Receiver(receiver)) => errors.push(Error::new(
            receiver.self_token.span,
            "#[receiver] goes on a free function, not a method: move it out of the `impl` block",
        )),
        Some(FnArg::Typed(typed)) => match &*typed.ty {
            Type::Reference(reference) => match &reference.mutability {
                Some(token) => errors.push(Error::new(
                    token.span,
                    "receivers get a shared reference to the signal: write `&Signal`, not `&mut Signal`",
                )),
                None => param = Some(&*reference.elem),
            },
            other => errors.push(Error::new_spanned(
                other,
                "receivers take the signal by reference: write `&Signal` (a send hands the same signal to every receiver)",
            )),
        },
    }
    for extra in inputs {
        errors.push(Error::new_spanned(
            extra,
            "a receiver takes exactly one parameter, a reference to its signal; remove this one",
        ));
    }
    errors.finish()?;
    match (&args.signal, param) {
        (Some(signal), Some(param)) => Ok(Checked { signal, param }),
        // Both were reported above.
        _ => Err(Error::new(Span::call_site(), "invalid receiver")),
    }
}

fn generate(args: &ReceiverArgs, function: &ItemFn, checked: Checked<'_>) -> TokenStream {
    let krate: Path = args
        .krate
        .clone()
        .unwrap_or_else(|| syn::parse_quote!(::signals_core));
    let private = quote!(#krate::__private);
    let signal = checked.signal;
    let ident = &function.sig.ident;
    let b = quote!('__signals_b);

    let name = match &args.name {
        Some(name) => quote!(#name),
        None => {
            let unraw = ident.to_string().trim_start_matches("r#").to_string();
            quote!(::core::concat!(::core::module_path!(), "::", #unraw))
        }
    };
    let order = args.order.unwrap_or(0);
    let is_async = function.sig.asyncness.is_some();

    // Each check is spanned on the user's own token, so that its error lands
    // there and not on the attribute.
    let param = checked.param;
    let param_check = quote_spanned!(param.span()=> #private::assert_param::<#signal, #param>(););
    let ret_span = match &function.sig.output {
        ReturnType::Default => ident.span(),
        ReturnType::Type(_, ty) => ty.span(),
    };
    let filter = args.filter.as_ref().map(|filter| {
        quote_spanned! {filter.span()=>
            if !#filter(signal) {
                return #private::Step::Skipped;
            }
        }
    });
    let call = if let Some(token) = &function.sig.asyncness {
        // The signal path is respanned too: rustc reports an unmet bound at
        // the type argument, and the mistake is the `async`, not the path.
        let signal_at_async = respan(signal.to_token_stream(), token.span);
        let async_check =
            quote_spanned!(token.span=> #private::assert_async_signal::<#signal_at_async>(););
        let outcome = quote_spanned!(ret_span=> #private::into_outcome(#ident(signal).await));
        quote! {
            #async_check
            #private::Step::Pending(#private::Box::pin(async move { #outcome }))
        }
    } else {
        let outcome = quote_spanned!(ret_span=> #private::into_outcome(#ident(signal)));
        quote!(#private::Step::Done(#outcome))
    };
    let location = quote_spanned! {ident.span()=>
        #private::Location::new(::core::file!(), ::core::line!(), ::core::column!())
    };
    let record = quote! {
        #private::StaticReceiver {
            name: #name,
            module_path: ::core::module_path!(),
            order: #order,
            location: #location,
            is_async: #is_async,
            handler: __signals_shim,
        }
    };
    let handler = quote!(for<#b> fn(&#b #signal) -> #private::Step<#b>);

    quote! {
        #function

        #[allow(elided_lifetimes_in_paths, non_upper_case_globals)]
        const _: () = {
            #[inline]
            fn __signals_shim<#b>(signal: &#b #signal) -> #private::Step<#b> {
                #param_check
                #filter
                #call
            }

            #private::if_linkme! {
                #[#private::linkme::distributed_slice(#signal)]
                #[linkme(crate = #private::linkme)]
                static __SIGNALS_RECEIVER: #private::StaticReceiver<#handler> = #record;
            }

            #private::if_inventory! {
                #private::inventory::submit! {
                    <<#signal as #krate::Signal>::__Entry>::new(#record)
                }
            }
        };
    }
}

/// The same tokens, every one of them spanned at `span`.
fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut tree| {
            if let proc_macro2::TokenTree::Group(group) = &tree {
                let mut inner =
                    proc_macro2::Group::new(group.delimiter(), respan(group.stream(), span));
                inner.set_span(span);
                tree = proc_macro2::TokenTree::Group(inner);
            } else {
                tree.set_span(span);
            }
            tree
        })
        .collect()
}
