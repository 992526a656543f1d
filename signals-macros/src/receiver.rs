//! `#[receiver]`: the function unchanged, plus a record of it in the signal's
//! registry.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{Attribute, Error, FnArg, GenericParam, Path, ReturnType, Signature, Type, Visibility};

use crate::attr::{Errors, ReceiverArgs};

/// A function as `#[receiver]` needs it: the signature parsed, the body
/// left as tokens. The body is never parsed: a syntax error in it is rustc's
/// to report, once, when the function is emitted as written, and it is no
/// reason to say that this is not a function.
struct ReceiverFn {
    sig: Signature,
    /// The item exactly as the user wrote it.
    tokens: TokenStream,
}

impl Parse for ReceiverFn {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let tokens = input.fork().parse::<TokenStream>()?;
        input.call(Attribute::parse_outer)?;
        input.parse::<Visibility>()?;
        let sig: Signature = input.parse()?;
        let body: proc_macro2::Group = input.parse()?;
        if body.delimiter() != proc_macro2::Delimiter::Brace || !input.is_empty() {
            return Err(input.error("expected a function body"));
        }
        Ok(ReceiverFn { sig, tokens })
    }
}

impl ToTokens for ReceiverFn {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        tokens.extend(self.tokens.clone());
    }
}

pub(crate) fn expand(args: TokenStream, input: TokenStream) -> TokenStream {
    let function: ReceiverFn = match syn::parse2(input.clone()) {
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

fn check<'f>(args: &'f ReceiverArgs, function: &'f ReceiverFn) -> syn::Result<Checked<'f>> {
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
    // How the messages name the signal: as the user did, when they did.
    let signal_name = args.signal.as_ref().map_or_else(
        || "Signal".to_string(),
        |path| {
            let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
            let leading = if path.leading_colon.is_some() {
                "::"
            } else {
                ""
            };
            format!("{leading}{}", segments.join("::"))
        },
    );
    let mut param = None;
    let mut is_method = false;
    let mut inputs = sig.inputs.iter();
    match inputs.next() {
        None => errors.push(Error::new(
            sig.paren_token.span.join(),
            format!("a receiver takes exactly one parameter, a reference to its signal: `(event: &{signal_name})`"),
        )),
        Some(FnArg::Receiver(receiver)) => {
            is_method = true;
            errors.push(Error::new(
                receiver.self_token.span,
                "#[receiver] goes on a free function, not a method: move it out of the `impl` block",
            ));
        }
        Some(FnArg::Typed(typed)) => match &*typed.ty {
            Type::Reference(reference) => match &reference.mutability {
                Some(token) => errors.push(Error::new(
                    token.span,
                    format!("receivers get a shared reference to the signal: write `&{signal_name}`, not `&mut {signal_name}`"),
                )),
                None if mentions_impl(reference.elem.to_token_stream()) => errors.push(Error::new_spanned(
                    &reference.elem,
                    "a receiver cannot be generic: it is registered for one signal, so write the signal's type",
                )),
                None => param = Some(&*reference.elem),
            },
            other => errors.push(Error::new_spanned(
                other,
                format!("receivers take the signal by reference: write `&{signal_name}` (a send hands the same signal to every receiver)"),
            )),
        },
    }
    // A method's next parameter is probably the signal: once `self` is
    // gone it is right, so only `self` is reported.
    for extra in inputs.filter(|_| !is_method) {
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

fn generate(args: &ReceiverArgs, function: &ReceiverFn, checked: Checked<'_>) -> TokenStream {
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
    let is_filtered = args.filter.is_some();

    // Each check is spanned on the user's own token, so that its error lands
    // there and not on the attribute: rustc reports an unmet bound at the
    // type argument that fails it. The user's types are named inside the
    // shim, where the function's own lifetimes are not declared, so those
    // become `'_`.
    let lifetimes: Vec<String> = function
        .sig
        .generics
        .lifetimes()
        .map(|param| param.lifetime.ident.to_string())
        .collect();
    // The shim's locals carry one span wherever they appear: a span taken
    // from the user's tokens may come from a `macro_rules!` expansion whose
    // hygiene would not see a local declared at the call site.
    // `located_at` keeps the call site's hygiene but moves where an error in
    // that argument is reported.
    let local =
        |name: &str, at: Span| proc_macro2::Ident::new(name, Span::call_site().located_at(at));
    let event = local("__signals_event", Span::call_site());
    let param_local = local("__signals_param", Span::call_site());
    let param_span = checked.param.span();
    let param = elide(checked.param.to_token_stream(), &lifetimes);
    let event_at_param = local("__signals_event", param_span);
    let param_cast =
        quote_spanned!(param_span=> #private::assert_param::<#signal, #param>(#event_at_param));
    let (ret_span, ret_check) = match &function.sig.output {
        ReturnType::Default => (ident.span(), None),
        // `impl Trait` cannot be named in a type argument; the call below
        // still checks it, only less precisely.
        ReturnType::Type(_, ty) if mentions_impl(ty.to_token_stream()) => (ty.span(), None),
        // `!` cannot be named on stable; it coerces to `()`.
        ReturnType::Type(_, ty) if matches!(**ty, Type::Never(_)) => {
            (ty.span(), Some(quote_spanned!(ty.span()=> ::<()>)))
        }
        ReturnType::Type(_, ty) => {
            let ty_tokens = elide(ty.to_token_stream(), &lifetimes);
            (ty.span(), Some(quote_spanned!(ty.span()=> ::<#ty_tokens>)))
        }
    };
    let filter = args.filter.as_ref().map(|filter| {
        let event = local("__signals_event", filter.span());
        quote_spanned! {filter.span()=>
            if !#filter(#event) {
                return #private::Step::skipped();
            }
        }
    });
    // A receiver that returns `()` needs no conversion: passing its unit
    // result to `into_outcome` would trip clippy's `unit_arg` in the user's
    // crate, since the call carries the user's span.
    let returns_unit = match &function.sig.output {
        ReturnType::Default => true,
        ReturnType::Type(_, ty) => matches!(&**ty, Type::Tuple(tuple) if tuple.elems.is_empty()),
    };
    let ok = quote!(::core::result::Result::Ok(()));
    let call = if let Some(token) = &function.sig.asyncness {
        // The signal path is respanned too: rustc reports an unmet bound at
        // the type argument, and the mistake is the `async`, not the path.
        let signal_at_async = respan(signal.to_token_stream(), token.span);
        let async_check =
            quote_spanned!(token.span=> #private::assert_async_signal::<#signal_at_async>(););
        let outcome = if returns_unit {
            quote!(#ident(#param_local).await; #ok)
        } else {
            let param_local = local("__signals_param", ret_span);
            quote_spanned!(ret_span=> #private::into_outcome #ret_check (#ident(#param_local).await))
        };
        quote! {
            #async_check
            #private::Step::pending(async move { #outcome })
        }
    } else if returns_unit {
        quote! {
            #ident(#param_local);
            #private::Step::DONE
        }
    } else {
        let param_local = local("__signals_param", ret_span);
        let outcome =
            quote_spanned!(ret_span=> #private::into_outcome #ret_check (#ident(#param_local)));
        quote!(#private::Step::done(#outcome))
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
            is_filtered: #is_filtered,
            handler: __signals_shim,
        }
    };
    let handler = quote!(for<#b> fn(&#b #signal) -> #private::Step<#b>);

    quote! {
        #function

        // `unsafe_code`: linkme places the record with `#[link_section]`,
        // which rustc counts as unsafe code, and the macro that does it is
        // the signal's, so local to the user's crate; the user wrote none.
        #[allow(elided_lifetimes_in_paths, non_upper_case_globals, unsafe_code)]
        const _: () = {
            #[inline]
            // The locals' names cannot collide with the receiver's or the
            // filter's name, which the shim calls.
            fn __signals_shim<#b>(#event: &#b #signal) -> #private::Step<#b> {
                #filter
                let #param_local = #param_cast;
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

/// The tokens with each of `lifetimes` replaced by `'_`.
fn elide(tokens: TokenStream, lifetimes: &[String]) -> TokenStream {
    let mut out = Vec::new();
    let mut after_quote = false;
    for tree in tokens {
        let tree = match tree {
            proc_macro2::TokenTree::Group(group) => {
                let mut inner =
                    proc_macro2::Group::new(group.delimiter(), elide(group.stream(), lifetimes));
                inner.set_span(group.span());
                proc_macro2::TokenTree::Group(inner)
            }
            proc_macro2::TokenTree::Ident(ident)
                if after_quote && lifetimes.iter().any(|lifetime| ident == lifetime) =>
            {
                proc_macro2::TokenTree::Ident(proc_macro2::Ident::new("_", ident.span()))
            }
            other => other,
        };
        after_quote =
            matches!(&tree, proc_macro2::TokenTree::Punct(punct) if punct.as_char() == '\'');
        out.push(tree);
    }
    out.into_iter().collect()
}

/// Whether a type contains `impl Trait` anywhere.
fn mentions_impl(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|tree| match tree {
        proc_macro2::TokenTree::Ident(ident) => ident == "impl",
        proc_macro2::TokenTree::Group(group) => mentions_impl(group.stream()),
        _ => false,
    })
}
