//! `#[signal]`: the struct unchanged, its `Signal` implementation, its
//! registry, and the slice its static receivers are linked into.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::{Error, Fields, GenericParam, Item, ItemStruct, Lifetime, Path};

use crate::attr::{Errors, SignalArgs};

pub(crate) fn expand(args: TokenStream, input: TokenStream, seed: u64) -> TokenStream {
    let item: Item = match syn::parse2(input.clone()) {
        Ok(item) => item,
        Err(error) => return with_error(input, error),
    };
    let checked = SignalArgs::parse(args).and_then(|args| check(&item).map(|item| (args, item)));
    match checked {
        Ok((args, strukt)) => generate(&args, strukt, seed),
        Err(error) => with_error(item.into_token_stream(), error),
    }
}

/// The user's item as written, plus the errors: one mistake must not cascade
/// into errors about a missing item.
fn with_error(item: TokenStream, error: Error) -> TokenStream {
    let error = error.into_compile_error();
    quote!(#item #error)
}

fn check(item: &Item) -> syn::Result<&ItemStruct> {
    let strukt = match item {
        Item::Struct(strukt) => strukt,
        Item::Enum(item) => return Err(not_a_struct(item.enum_token.span, "an enum")),
        Item::Union(item) => return Err(not_a_struct(item.union_token.span, "a union")),
        Item::Fn(item) => return Err(not_a_struct(item.sig.fn_token.span, "a function")),
        other => return Err(Error::new(
            first_span(other),
            "#[signal] goes on a braced struct, as in `pub struct UserLoggedIn { pub user: User }`",
        )),
    };
    let mut errors = Errors::default();
    match &strukt.fields {
        Fields::Named(_) => {}
        Fields::Unnamed(fields) => errors.push(Error::new(
            fields.paren_token.span.join(),
            "#[signal] needs named fields: write `struct Name { field: Type }` instead of a tuple struct",
        )),
        Fields::Unit => errors.push(Error::new(
            strukt.ident.span(),
            "#[signal] needs a braced struct: write `struct Name {}` for a signal without fields",
        )),
    }
    for param in &strukt.generics.params {
        match param {
            GenericParam::Lifetime(_) => {}
            GenericParam::Type(param) => errors.push(Error::new(
                param.ident.span(),
                "a signal cannot have type parameters: each signal is one concrete type (lifetime parameters are allowed)",
            )),
            GenericParam::Const(param) => errors.push(Error::new(
                param.const_token.span,
                "a signal cannot have const parameters: each signal is one concrete type (lifetime parameters are allowed)",
            )),
        }
    }
    errors.finish()?;
    Ok(strukt)
}

fn not_a_struct(span: Span, what: &str) -> Error {
    Error::new(
        span,
        format!("#[signal] goes on a braced struct, not {what}: a signal is one struct whose fields are what receivers get"),
    )
}

fn first_span(item: &Item) -> Span {
    item.to_token_stream()
        .into_iter()
        .next()
        .map_or_else(Span::call_site, |tree| tree.span())
}

fn generate(args: &SignalArgs, strukt: &ItemStruct, seed: u64) -> TokenStream {
    let krate: Path = args
        .krate
        .clone()
        .unwrap_or_else(|| syn::parse_quote!(::signals_core));
    let private = quote!(#krate::__private);
    let vis = &strukt.vis;
    let ident = &strukt.ident;
    let (impl_generics, ty_generics, where_clause) = strukt.generics.split_for_impl();

    // The struct's lifetimes, re-bound in `for<...>` so the handler types do
    // not depend on the impl's lifetimes and can be named in a `static`.
    let lifetimes: Vec<Lifetime> = (0..strukt.generics.lifetimes().count())
        .map(|i| Lifetime::new(&format!("'__signals_l{i}"), Span::call_site()))
        .collect();
    let b = Lifetime::new("'__signals_b", Span::call_site());
    let ty = if lifetimes.is_empty() {
        quote!(#ident)
    } else {
        quote!(#ident<#(#lifetimes),*>)
    };
    let handler = quote!(for<#(#lifetimes,)* #b> fn(&#b #ty) -> #private::Step<#b>);
    let binder = if lifetimes.is_empty() {
        TokenStream::new()
    } else {
        quote!(for<#(#lifetimes),*>)
    };
    let dyn_handler =
        quote!(dyn #binder #private::Call<#ty> + ::core::marker::Send + ::core::marker::Sync);
    // The bound of a run-time receiver closure: `&Sig` with its lifetime
    // elided is already higher-ranked, so errors show `for<'a> fn(&'a Sig)`
    // rather than a macro-made name. Spanned at the struct's name, which
    // "required by this bound" notes then point at.
    let fn_bound = |ret: TokenStream| quote_spanned!(ident.span()=> #binder ::core::ops::Fn(&#ty) -> #ret + ::core::marker::Send + ::core::marker::Sync + 'static);

    let slice = format_ident!("__SIGNALS_SLICE_{:016x}", seed);
    let entry = format_ident!("__SIGNALS_ENTRY_{:016x}", seed);
    let name = match &args.name {
        Some(name) => quote!(#name),
        None => {
            let unraw = ident.to_string().trim_start_matches("r#").to_string();
            quote!(::core::concat!(::core::module_path!(), "::", #unraw))
        }
    };
    let is_async = args.is_async;
    // Lints that the generated impls would trip on the user's behalf: each
    // impl repeats the struct's lifetimes, with the user's spans, where
    // `single_use_lifetimes` would ask for `'_`; the methods spanned at the
    // struct's name are `pub` like the rest of a signal's API, whatever the
    // struct's visibility, which `unreachable_pub` would flag.
    let flavour = if is_async {
        quote!(#[automatically_derived] #[allow(single_use_lifetimes)] impl #impl_generics #private::AsyncSignal for #ident #ty_generics #where_clause {})
    } else {
        quote!(#[automatically_derived] #[allow(single_use_lifetimes)] impl #impl_generics #private::SyncSignal for #ident #ty_generics #where_clause {})
    };
    let sends = if is_async {
        quote! {
            /// Calls the receivers in order, awaiting async ones, and stops
            /// at the first `Err`, which it returns; a panic propagates. The
            /// future is `Send` when the signal is `Sync`.
            #[inline]
            pub async fn send_async(&self) -> ::core::result::Result<(), #krate::SendError> {
                #private::send_async(self).await
            }

            /// Calls every receiver in order, awaiting async ones, catching
            /// errors and panics (also inside a receiver's future).
            #[inline]
            pub async fn send_robust_async(&self) -> #krate::Report {
                #private::send_robust_async(self).await
            }

            /// Like `send_robust_async`, but polls all async receivers
            /// together; failures are still reported in receiver order.
            #[inline]
            pub async fn send_robust_concurrent(&self) -> #krate::Report {
                #private::send_robust_concurrent(self).await
            }

            /// Sends from synchronous code, polling the send to completion on
            /// this thread. Never call it inside an async task; receivers that
            /// need a runtime's reactor fail or hang without one.
            pub fn send_blocking(&self) -> ::core::result::Result<(), #krate::SendError> {
                #private::send_blocking(self)
            }

            /// `send_robust_async` from synchronous code, with the caveats of
            /// `send_blocking`.
            pub fn send_robust_blocking(&self) -> #krate::Report {
                #private::send_robust_blocking(self)
            }

            /// Not available: this is an async signal. Use `send_async`.
            #[doc(hidden)]
            pub fn send<'__signals_s>(&'__signals_s self) -> ::core::result::Result<(), #krate::SendError>
            where
                &'__signals_s Self: #private::SyncSend,
            {
                #private::send_blocking(self)
            }

            /// Not available: this is an async signal. Use `send_robust_async`.
            #[doc(hidden)]
            pub fn send_robust<'__signals_s>(&'__signals_s self) -> #krate::Report
            where
                &'__signals_s Self: #private::SyncSend,
            {
                #private::send_robust_blocking(self)
            }
        }
    } else {
        quote! {
            /// Calls the receivers in order and stops at the first `Err`,
            /// which it returns; a panicking receiver's panic propagates.
            #[inline]
            pub fn send(&self) -> ::core::result::Result<(), #krate::SendError> {
                #private::send(self)
            }

            /// Calls every receiver, catching errors and panics, and reports
            /// each failure.
            #[inline]
            pub fn send_robust(&self) -> #krate::Report {
                #private::send_robust(self)
            }
        }
    };
    let sync_bound = fn_bound(quote!(__R));
    let connect = quote_spanned! {ident.span()=>
        /// Connects a receiver at run time, at order 0. It stays connected
        /// until the returned [`Connection`](#krate::Connection) is dropped.
        #[track_caller]
        pub fn connect<__F, __R>(receiver: __F) -> #krate::Connection
        where
            __F: #sync_bound,
            __R: #krate::IntoOutcome,
        {
            Self::connect_with(#krate::ConnectOptions::new(), receiver)
        }

        /// Connects a receiver at run time with an order and a name.
        #[track_caller]
        pub fn connect_with<__F, __R>(options: #krate::ConnectOptions, receiver: __F) -> #krate::Connection
        where
            __F: #sync_bound,
            __R: #krate::IntoOutcome,
        {
            let name = ::core::any::type_name::<__F>();
            #private::connect::<Self>(options, name, false, #private::Arc::new(#private::Plain::new(receiver)))
        }
    };
    let filter_bound = fn_bound(quote!(bool));
    let connect_filtered = quote_spanned! {ident.span()=>
        /// Connects a receiver at run time that runs only for the sends
        /// `filter` accepts (Django's `sender=`, Spring's `condition`).
        #[track_caller]
        pub fn connect_filtered<__P, __F, __R>(filter: __P, receiver: __F) -> #krate::Connection
        where
            __P: #filter_bound,
            __F: #sync_bound,
            __R: #krate::IntoOutcome,
        {
            let name = ::core::any::type_name::<__F>();
            let handler = #private::Filtered::new(filter, receiver);
            #private::connect::<Self>(#krate::ConnectOptions::new(), name, false, #private::Arc::new(handler))
        }
    };
    let record_bound = fn_bound(quote!(__T));
    let testing = quote_spanned! {ident.span()=>
        #private::if_testing! {
            // Generated helpers a test suite uses only some of.
            #[allow(dead_code, single_use_lifetimes, unreachable_pub)]
            impl #impl_generics #ident #ty_generics #where_clause {
                /// Records a projection of every send of this signal on the
                /// current thread while the returned recording lives
                /// (feature `testing`).
                pub fn record<__T, __F>(projection: __F) -> #krate::testing::Recording<__T>
                where
                    __T: ::core::marker::Send + 'static,
                    __F: #record_bound,
                {
                    Self::__signals_record(projection, false)
                }

                /// Like `record`, for the sends of every thread.
                pub fn record_all_threads<__T, __F>(projection: __F) -> #krate::testing::Recording<__T>
                where
                    __T: ::core::marker::Send + 'static,
                    __F: #record_bound,
                {
                    Self::__signals_record(projection, true)
                }

                fn __signals_record<__T, __F>(projection: __F, all_threads: bool) -> #krate::testing::Recording<__T>
                where
                    __T: ::core::marker::Send + 'static,
                    __F: #record_bound,
                {
                    let handler = #private::Project::new(projection);
                    let values = handler.sink();
                    #krate::testing::__record::<Self, __T>(values, #private::Arc::new(handler), all_threads)
                }

                /// Mutes this signal's receivers on the current thread while
                /// the returned guard lives (feature `testing`).
                pub fn mute() -> #krate::testing::Muted {
                    #krate::testing::mute::<Self>()
                }

                /// Mutes this signal's receivers on every thread while the
                /// returned guard lives (feature `testing`).
                pub fn mute_all_threads() -> #krate::testing::Muted {
                    #krate::testing::mute_all_threads::<Self>()
                }
            }
        }
    };
    let connect_async = if is_async {
        let async_bound = fn_bound(quote!(__Fut));
        quote_spanned! {ident.span()=>
            /// Connects an async receiver at run time: a closure that takes
            /// what it needs from the signal and returns a `Send + 'static`
            /// future. It stays connected until the returned
            /// [`Connection`](#krate::Connection) is dropped.
            #[track_caller]
            pub fn connect_async<__F, __Fut, __R>(receiver: __F) -> #krate::Connection
            where
                __F: #async_bound,
                __Fut: #private::Future<Output = __R> + ::core::marker::Send + 'static,
                __R: #krate::IntoOutcome,
            {
                Self::connect_async_with(#krate::ConnectOptions::new(), receiver)
            }

            /// Connects an async receiver at run time with an order and a name.
            #[track_caller]
            pub fn connect_async_with<__F, __Fut, __R>(options: #krate::ConnectOptions, receiver: __F) -> #krate::Connection
            where
                __F: #async_bound,
                __Fut: #private::Future<Output = __R> + ::core::marker::Send + 'static,
                __R: #krate::IntoOutcome,
            {
                let name = ::core::any::type_name::<__F>();
                let handler = #private::Async::new(receiver);
                #private::connect::<Self>(options, name, true, #private::Arc::new(handler))
            }
        }
    } else {
        TokenStream::new()
    };

    let catalog = catalog_record(strukt, &krate, &name, is_async);

    quote! {
        #strukt

        #[doc(hidden)]
        #[allow(non_camel_case_types, dead_code)]
        #vis struct #entry(#private::StaticReceiver<#handler>);

        impl #entry {
            #[doc(hidden)]
            pub const fn new(receiver: #private::StaticReceiver<#handler>) -> Self {
                #entry(receiver)
            }
        }

        #private::if_linkme! {
            #[#private::linkme::distributed_slice]
            #[linkme(crate = #private::linkme)]
            #[doc(hidden)]
            #vis static #slice: [#private::StaticReceiver<#handler>];

            // `#[receiver(signal = path::Name)]` reaches the slice through the
            // signal's own path: the struct is in the type namespace, this
            // import brings the static (values) and linkme's macro (macros).
            #[doc(hidden)]
            #[allow(unused_imports)]
            #vis use #slice as #ident;
        }

        #private::if_inventory! {
            #private::inventory::collect!(#entry);
        }

        #catalog

        // Keeps "`X` is not a signal" errors from listing every signal in
        // the dependency graph.
        #[automatically_derived]
        #[diagnostic::do_not_recommend]
        #[allow(single_use_lifetimes)]
        impl #impl_generics #krate::Signal for #ident #ty_generics #where_clause {
            const NAME: &'static str = #name;
            const IS_ASYNC: bool = #is_async;
            type __Handler = #handler;
            type __Dyn = #dyn_handler;
            type __Entry = #entry;

            #[inline]
            fn __registry() -> &'static #private::Registry<#handler, #dyn_handler> {
                // Loops rather than iterator adapters: this is compiled once
                // per signal.
                #private::if_linkme! {
                    fn collect(found: &mut #private::Collector<#handler>) {
                        let records = #slice.static_slice();
                        let mut at = 0;
                        while at < records.len() {
                            found.add(&records[at]);
                            at += 1;
                        }
                    }
                }
                #private::if_inventory! {
                    fn collect(found: &mut #private::Collector<#handler>) {
                        for entry in #private::inventory::iter::<#entry> {
                            found.add(&entry.0);
                        }
                    }
                }
                static REGISTRY: #private::Registry<#handler, #dyn_handler> = #private::Registry::new(collect);
                &REGISTRY
            }

            #[inline(always)]
            fn __call<#b>(handler: Self::__Handler, signal: &#b Self) -> #private::Step<#b> {
                handler(signal)
            }
        }

        #flavour

        // Generated API a program uses only some of.
        #[allow(dead_code, single_use_lifetimes, unreachable_pub)]
        impl #impl_generics #ident #ty_generics #where_clause {
            #sends

            /// True if at least one receiver (static or connected) would be
            /// called.
            #[inline]
            pub fn has_receivers() -> bool {
                <Self as #krate::Signal>::has_receivers()
            }

            /// Every receiver, in the order a send calls them.
            pub fn receivers() -> #private::Vec<#krate::ReceiverInfo> {
                <Self as #krate::Signal>::receivers()
            }

            #connect

            #connect_filtered

            #connect_async
        }

        #testing
    }
}

/// The signal's entry in `signals_core::catalog()`.
fn catalog_record(
    strukt: &ItemStruct,
    krate: &Path,
    name: &TokenStream,
    is_async: bool,
) -> TokenStream {
    let private = quote!(#krate::__private);
    let type_name = strukt
        .ident
        .to_string()
        .trim_start_matches("r#")
        .to_string();
    let doc = doc_summary(&strukt.attrs);
    let fields = strukt.fields.iter().filter_map(|field| {
        let name = field
            .ident
            .as_ref()?
            .to_string()
            .trim_start_matches("r#")
            .to_string();
        let ty = tidy(&field.ty.to_token_stream().to_string());
        Some(quote!((#name, #ty)))
    });
    let ident = &strukt.ident;
    let location = quote_spanned! {ident.span()=>
        #private::Location::new(::core::file!(), ::core::line!(), ::core::column!())
    };
    let record = quote! {
        #private::SignalRecord {
            name: #name,
            type_name: #type_name,
            module_path: ::core::module_path!(),
            doc: #doc,
            fields: &[#(#fields),*],
            is_async: #is_async,
            location: #location,
            receivers: <#ident as #krate::Signal>::receivers,
        }
    };
    quote! {
        #[allow(elided_lifetimes_in_paths)]
        const _: () = {
            #private::if_linkme! {
                #[#private::linkme::distributed_slice(#private::SIGNALS)]
                #[linkme(crate = #private::linkme)]
                static __SIGNALS_RECORD: #private::SignalRecord = #record;
            }
            #private::if_inventory! {
                #private::inventory::submit! { #record }
            }
        };
    }
}

/// The summary of the item's `///` docs: its first paragraph, on one line
/// (what rustdoc shows in item lists).
fn doc_summary(attrs: &[syn::Attribute]) -> String {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|attr| attr.path().is_ident("doc"))
        .filter_map(|attr| match &attr.meta {
            syn::Meta::NameValue(syn::MetaNameValue {
                value:
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(doc),
                        ..
                    }),
                ..
            }) => Some(doc.value()),
            _ => None,
        })
        // `split`, not `lines`: a blank `///` line is an empty string, which
        // `lines` would drop, and it is what ends the first paragraph.
        .flat_map(|doc| {
            doc.split('\n')
                .map(|line| line.trim().to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    lines
        .iter()
        .skip_while(|line| line.is_empty())
        .take_while(|line| !line.is_empty())
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(" ")
}

/// A type as the source would write it, from its token string
/// (`& 'a str` becomes `&'a str`, `Option < u8 >` becomes `Option<u8>`).
fn tidy(tokens: &str) -> String {
    let mut out = String::with_capacity(tokens.len());
    let mut chars = tokens.chars().peekable();
    while let Some(c) = chars.next() {
        if c == ' ' {
            let prev = out.chars().last();
            let next = chars.peek().copied();
            let glue_prev = matches!(prev, Some('&' | '<' | '(' | '[' | ':' | '\'') | None);
            let glue_next = matches!(next, Some('<' | '>' | ',' | ')' | ']' | ':' | ';') | None);
            if glue_prev || glue_next {
                continue;
            }
        }
        out.push(c);
    }
    out
}
