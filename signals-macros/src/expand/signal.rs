//! `#[signal]`: the struct unchanged, its `Signal` implementation, its
//! registry, the slice its static receivers are linked into, its inherent
//! API and its catalog record.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::{Ident, Lifetime};

use super::{backend, registered_name, Runtime, INVENTORY, TESTING};
use crate::ast::Signal;
use crate::text::{doc_summary, tidy, unraw};
use crate::tokens::respan;

pub(super) fn expand(signal: &Signal<'_>, seed: u64, at_module_level: bool) -> TokenStream {
    let expansion = Expansion::new(signal, seed);
    let bounded = signal
        .durable
        .and_then(|_| crate::serde_bounds::with_bounds(signal.original));
    let original = bounded.as_ref().unwrap_or(signal.original);
    let entry = expansion.entry_struct();
    let slice = expansion.slice();
    let catalog = expansion.catalog_record(at_module_level);
    let signal_impl = expansion.signal_impl();
    let flavour = expansion.flavour_impl();
    let inherent = expansion.inherent_impl();
    let testing = expansion.testing_impl();
    quote! {
        #original
        #entry
        #slice
        #catalog
        #signal_impl
        #flavour
        #inherent
        #testing
    }
}

/// The identifier of the linkme slice: linkme names a link section after
/// it, so it must be unique in the binary (see `site`).
fn slice_ident(seed: u64) -> Ident {
    format_ident!("__SIGNALS_SLICE_{:016x}", seed)
}

/// The identifier of the inventory backend's element type.
fn entry_ident(seed: u64) -> Ident {
    format_ident!("__SIGNALS_ENTRY_{:016x}", seed)
}

/// What a signal's sends return: `Result<(), SendError>` and `Report` for a
/// signal without `response`, exactly as written before responses existed;
/// `Responses<T>` and `Report<T>` for one with.
fn sent_types(signal: &Signal<'_>, krate: &syn::Path) -> [TokenStream; 3] {
    match &signal.response {
        None => [quote!(()), quote!(()), quote!(#krate::Report)],
        Some(ty) => [
            quote!(#ty),
            quote!(#krate::Responses<#ty>),
            quote!(#krate::Report<#ty>),
        ],
    }
}

/// What every generated piece of one signal shares.
struct Expansion<'a> {
    signal: &'a Signal<'a>,
    runtime: Runtime,
    ident: &'a Ident,
    /// The registered name: an expression of type `&'static str`.
    name: TokenStream,
    slice: Ident,
    entry: Ident,
    /// The type with its lifetimes re-bound (`Ping<'__signals_l0>`).
    ty: TokenStream,
    /// `for<...>` over those lifetimes, or nothing.
    binder: TokenStream,
    /// The re-bound lifetimes.
    lifetimes: Vec<Lifetime>,
    /// The static handler type.
    handler: TokenStream,
    /// The type with `'static` for each lifetime: what the statics name it
    /// by (its handler types do not depend on its lifetimes).
    ty_static: TokenStream,
    /// The run-time handler type.
    dyn_handler: TokenStream,
    /// What each receiver answers: `()`, or `T`.
    response: TokenStream,
    /// What `send` returns on success: `()`, or `Responses<T>`.
    output: TokenStream,
    /// What `send_robust` returns: `Report`, or `Report<T>`.
    report: TokenStream,
}

impl<'a> Expansion<'a> {
    fn new(signal: &'a Signal<'a>, seed: u64) -> Self {
        let runtime = Runtime::new(signal.krate.as_ref());
        let private = &runtime.private;
        let ident = &signal.original.ident;
        // The struct's lifetimes, re-bound in `for<...>` so the handler
        // types do not depend on the impl's lifetimes and can be named in a
        // `static`.
        let lifetimes: Vec<Lifetime> = (0..signal.original.generics.lifetimes().count())
            .map(|i| Lifetime::new(&format!("'__signals_l{i}"), Span::call_site()))
            .collect();
        let (ty, binder, ty_static) = if lifetimes.is_empty() {
            (quote!(#ident), TokenStream::new(), quote!(#ident))
        } else {
            let statics = lifetimes.iter().map(|_| quote!('static));
            (
                quote!(#ident<#(#lifetimes),*>),
                quote!(for<#(#lifetimes),*>),
                quote!(#ident<#(#statics),*>),
            )
        };
        let handler = quote!(for<#(#lifetimes,)* '__signals_b> fn(&'__signals_b #ty) -> #private::Step<'__signals_b>);
        let dyn_handler =
            quote!(dyn #binder #private::Call<#ty> + ::core::marker::Send + ::core::marker::Sync);
        let [response, output, report] = sent_types(signal, &runtime.krate);
        Expansion {
            response,
            output,
            report,
            name: registered_name(signal.name.as_ref(), ident),
            slice: slice_ident(seed),
            entry: entry_ident(seed),
            signal,
            runtime,
            ident,
            ty,
            ty_static,
            binder,
            lifetimes,
            handler,
            dyn_handler,
        }
    }

    /// The bound of a run-time receiver closure returning `ret`: `&Sig` with
    /// its lifetime elided is already higher-ranked, so errors show
    /// `for<'a> fn(&'a Sig)` rather than a macro-made name. Spanned at the
    /// struct's name, which "required by this bound" notes then point at.
    fn fn_bound(&self, ret: TokenStream) -> TokenStream {
        let Expansion { binder, ty, .. } = self;
        quote_spanned!(self.ident.span()=> #binder ::core::ops::Fn(&#ty) -> #ret + ::core::marker::Send + ::core::marker::Sync + 'static)
    }

    /// The bounds of a run-time receiver `__F` that returns `__R`: what
    /// `connect`, `connect_with` and `connect_filtered` share.
    fn receiver_bounds(&self) -> TokenStream {
        let krate = &self.runtime.krate;
        let response = &self.response;
        let bound = self.fn_bound(quote!(__R));
        quote_spanned! {self.ident.span()=>
            __F: #bound,
            __R: #krate::IntoOutcome<#response>,
        }
    }

    /// The bound of the filter in a connect's options.
    fn filter_bound(&self) -> TokenStream {
        let Expansion { binder, ty, .. } = self;
        let krate = &self.runtime.krate;
        quote_spanned!(self.ident.span()=> #binder #krate::Filter<#ty> + 'static)
    }

    /// The body of the run-time method `method` of a signal without
    /// lifetimes: one call to the function of that name in
    /// `__private::lifetime_free`, which does the work once for every
    /// signal; `None` for a signal with lifetimes, whose methods do it
    /// themselves (see there).
    fn lifetime_free(
        &self,
        method: &str,
        params: TokenStream,
        args: TokenStream,
    ) -> Option<TokenStream> {
        let private = &self.runtime.private;
        let method = Ident::new(method, Span::call_site());
        self.lifetimes
            .is_empty()
            .then(|| quote_spanned!(self.ident.span()=> #private::lifetime_free::#method::<Self, #params>(#args)))
    }

    /// The type parameters and bounds of an async run-time receiver
    /// `__F`. For a signal without lifetimes its future may borrow the
    /// signal, so that `async |event: &Sig| ...` closures are accepted. With
    /// lifetimes, the future must be `'static`: a bound higher-ranked over
    /// both the signal's lifetimes and the borrow cannot be met on stable
    /// Rust, so the docs show the "copy what you need, then `async move`"
    /// pattern.
    fn async_bound(&self) -> (TokenStream, TokenStream, TokenStream) {
        let Expansion {
            lifetimes,
            ty,
            response,
            output,
            ..
        } = self;
        let krate = &self.runtime.krate;
        let private = &self.runtime.private;
        if lifetimes.is_empty() {
            let bounds = quote_spanned!(self.ident.span()=>
                __F: for<'__signals_b> #krate::AsyncReceiver<'__signals_b, #ty, #response> + ::core::marker::Send + ::core::marker::Sync + 'static,
            );
            (quote!(__F), bounds, quote!(#private::Async::<__F, #output>))
        } else {
            let bound = self.fn_bound(quote!(__Fut));
            let bounds = quote_spanned!(self.ident.span()=>
                __F: #bound,
                __Fut: #private::Future<Output = __R> + ::core::marker::Send + 'static,
                __R: #krate::IntoOutcome<#response>,
            );
            (
                quote!(__F, __Fut, __R),
                bounds,
                quote!(#private::AsyncStatic::<__F, #output>),
            )
        }
    }

    /// A signal stands at module level: only there is `self::Name` the
    /// struct itself. Inside a function (or a `const` block) its default
    /// name, the module's path and its own, could be another's. Spanned at
    /// the struct's name: a missing `self::Name` is one error there ("cannot
    /// find type `Name` in module `self`"), a module's other `Name` one type
    /// mismatch there. A statement of the catalog record's block, which
    /// costs the compiler less than a block of its own.
    fn module_level_check(&self) -> TokenStream {
        let ident = self.ident;
        quote_spanned! {ident.span()=>
            #[allow(unused_qualifications)]
            let _: [::core::marker::PhantomData<#ident>; 1] = [::core::marker::PhantomData::<self::#ident>];
        }
    }

    /// The inventory backend's element type: a newtype, since inventory
    /// collects by type. A receiver submits `Signal::__ENTRY.new(record)`
    /// (see `Signal::__ENTRY`); the empty `__ENTRY` itself is never
    /// submitted.
    fn entry_struct(&self) -> TokenStream {
        let Expansion {
            entry, ty_static, ..
        } = self;
        let private = &self.runtime.private;
        let vis = &self.signal.original.vis;
        if !INVENTORY {
            return TokenStream::new();
        }
        quote! {
            #[doc(hidden)]
            #[allow(non_camel_case_types, dead_code)]
            #vis struct #entry(::core::option::Option<#private::Record<#ty_static>>);

            impl #entry {
                #[doc(hidden)]
                pub const fn new(self, receiver: #private::Record<#ty_static>) -> Self {
                    #entry(::core::option::Option::Some(receiver))
                }
            }

            #private::inventory::collect!(#entry);
        }
    }

    /// The linkme slice static receivers are linked into.
    fn slice(&self) -> TokenStream {
        if INVENTORY {
            return TokenStream::new();
        }
        let (slice, ty_static, ident) = (&self.slice, &self.ty_static, self.ident);
        let private = &self.runtime.private;
        // Spanned at the struct's name, the slice's name too: a value or
        // macro of the module with the signal's name is then reported there
        // ("the name `Ping` is defined multiple times"), without the slice.
        let slice_at = Ident::new(&slice.to_string(), ident.span());
        let import = quote_spanned! {ident.span()=>
            #[doc(hidden)]
            #[allow(unused_imports, unreachable_pub)]
            pub use #slice_at as #ident;
        };
        // Both are `pub` whatever the struct's visibility: a receiver that
        // cannot see the struct then fails on the struct's privacy, in the
        // user's words, rather than on the slice's.
        quote! {
            #[#private::linkme::distributed_slice]
            #[linkme(crate = #private::linkme)]
            #[doc(hidden)]
            #[allow(unreachable_pub, private_interfaces)]
            pub static #slice: [#private::Record<#ty_static>];

            // `#[receiver(signal = path::Name)]` reaches the slice through the
            // signal's own path: the struct is in the type namespace, this
            // import brings the static (values) and linkme's macro (macros).
            #import
        }
    }

    /// `impl Signal`: the name, the flavour and the registry.
    fn signal_impl(&self) -> TokenStream {
        let Expansion {
            ident,
            name,
            handler,
            dyn_handler,
            entry,
            ..
        } = self;
        let Runtime { krate, private } = &self.runtime;
        let (impl_generics, ty_generics, where_clause) =
            self.signal.original.generics.split_for_impl();
        let is_async = self.signal.is_async;
        let entry_type = backend(quote!(()), quote!(#entry));
        let entry_empty = backend(quote!(()), quote!(#entry(::core::option::Option::None)));
        let records = self.records_fn();
        let (durable, durable_impl) = self.durable_items();
        let sends = self.sends();
        let Expansion {
            output, response, ..
        } = self;
        // `do_not_recommend` keeps "`X` is not a signal" errors from listing
        // every signal in the dependency graph.
        quote! {
            #[automatically_derived]
            #[diagnostic::do_not_recommend]
            #[allow(single_use_lifetimes)]
            impl #impl_generics #krate::Signal for #ident #ty_generics #where_clause {
                const NAME: &'static str = #name;
                const IS_ASYNC: bool = #is_async;
                type Response = #response;
                type Output = #output;
                type __Handler = #handler;
                type __Dyn = #dyn_handler;
                type __Entry = #entry_type;
                const __ENTRY: #entry_type = #entry_empty;
                #sends

                #[inline]
                fn __registry() -> &'static #private::Registry {
                    static REGISTRY: #private::Registry = #private::Registry::new();
                    &REGISTRY
                }

                #records

                #[inline(always)]
                fn __call<'__signals_b>(handler: Self::__Handler, signal: &'__signals_b Self) -> #private::Step<'__signals_b> {
                    handler(signal)
                }

                #durable
            }

            #durable_impl
        }
    }

    /// A durable signal's payload is itself as JSON: `IS_DURABLE`, the
    /// encoding (inside `impl Signal`) and `impl DurableSignal`, which
    /// brings the encoding and decoding. Spanned at `durable`, so that a
    /// signal serde cannot handle is reported there (and, by serde's derive,
    /// at the field), in the words of the public `DurableSignal`.
    fn durable_items(&self) -> (TokenStream, TokenStream) {
        let Some(span) = self.signal.durable else {
            return (TokenStream::new(), TokenStream::new());
        };
        let Runtime { krate, private } = &self.runtime;
        let ident = self.ident;
        let ty_at = respan(quote!(#ident), span);
        let in_signal = quote_spanned! {span=>
            const IS_DURABLE: bool = true;

            fn __encode(&self) -> ::core::result::Result<#private::Vec<u8>, #private::BoxError> {
                #krate::DurableSignal::to_payload(self)
            }
        };
        let durable_impl = quote_spanned! {span=>
            #[automatically_derived]
            impl #krate::DurableSignal for #ty_at {
                const __CODEC: #krate::durable::Codec<Self> = <Self as #krate::DurablePayload>::CODEC;
            }
        };
        (in_signal, durable_impl)
    }

    /// `Signal::__Sends` and `__sends`: the synchronous sends that walk the
    /// run-time list, as function pointers higher-ranked over the signal's
    /// lifetimes, which the first run-time connect stores. An async signal
    /// has none.
    fn sends(&self) -> TokenStream {
        if self.signal.is_async {
            return quote! {
                type __Sends = ();
                #[inline]
                fn __sends() {}
            };
        }
        let (ty, lifetimes) = (&self.ty, &self.lifetimes);
        let (output, report) = (&self.output, &self.report);
        let Runtime { krate, private } = &self.runtime;
        // Without lifetimes, the functions themselves, which cost the
        // compiler less than two closures; with lifetimes, closures, which
        // are higher-ranked over them where `send_merged::<Self>` is not.
        let sends = if lifetimes.is_empty() {
            quote!((#private::send_merged::<Self>, #private::send_robust_merged::<Self>))
        } else {
            quote! {
                (
                    |signal| #private::send_merged(signal),
                    |signal| #private::send_robust_merged(signal),
                )
            }
        };
        quote! {
            type __Sends = (
                for<#(#lifetimes,)* '__signals_b> fn(&'__signals_b #ty) -> ::core::result::Result<#output, #krate::SendError>,
                for<#(#lifetimes,)* '__signals_b> fn(&'__signals_b #ty) -> #report,
            );
            #[inline]
            fn __sends() -> Self::__Sends {
                #sends
            }
        }
    }

    /// `Signal::__records`: linkme's slice itself; what inventory collects,
    /// gathered once (its records are not contiguous).
    fn records_fn(&self) -> TokenStream {
        let (ty_static, slice, entry) = (&self.ty_static, &self.slice, &self.entry);
        let private = &self.runtime.private;
        let body = backend(
            quote!(#slice.static_slice()),
            quote! {
                fn gather(found: &mut #private::Vec<#private::Record<#ty_static>>) {
                    for entry in #private::inventory::iter::<#entry> {
                        if let ::core::option::Option::Some(record) = &entry.0 {
                            found.push(*record);
                        }
                    }
                }
                static RECORDS: #private::GatheredOf<#ty_static> = #private::Gathered::new();
                RECORDS.get(gather)
            },
        );
        quote! {
            #[inline]
            fn __records() -> &'static [#private::StaticReceiver<Self::__Handler>] {
                #body
            }
        }
    }

    /// `impl SyncSignal` or `impl AsyncSignal`. Each impl repeats the
    /// struct's lifetimes, with the user's spans, where
    /// `single_use_lifetimes` would ask for `'_`.
    fn flavour_impl(&self) -> TokenStream {
        let ident = self.ident;
        let krate = &self.runtime.krate;
        let (impl_generics, ty_generics, where_clause) =
            self.signal.original.generics.split_for_impl();
        let flavour = if self.signal.is_async {
            quote!(AsyncSignal)
        } else {
            quote!(SyncSignal)
        };
        quote! {
            #[automatically_derived]
            #[allow(single_use_lifetimes)]
            impl #impl_generics #krate::#flavour for #ident #ty_generics #where_clause {}
        }
    }

    /// The inherent API: sends, introspection, run-time connections. The
    /// methods spanned at the struct's name are `pub` like the rest of a
    /// signal's API, whatever the struct's visibility, which
    /// `unreachable_pub` would flag. Every method that is not generic is
    /// `#[inline]`, so that a library that declares a signal compiles only
    /// those its users call.
    fn inherent_impl(&self) -> TokenStream {
        let ident = self.ident;
        let Runtime { krate, private } = &self.runtime;
        let (impl_generics, ty_generics, where_clause) =
            self.signal.original.generics.split_for_impl();
        let sends = if self.signal.is_async {
            self.async_send_methods()
        } else {
            self.sync_send_methods()
        };
        let connect = self.connect_methods();
        let connect_weak = self.connect_weak_methods();
        let connect_filtered = self.connect_filtered();
        let connect_async = self.connect_async_methods();
        let has_receivers = self.runtime.forwarded_doc("Signal::has_receivers");
        let receivers = self.runtime.forwarded_doc("Signal::receivers");
        quote! {
            // Generated API a program uses only some of.
            #[allow(dead_code, single_use_lifetimes, unreachable_pub)]
            impl #impl_generics #ident #ty_generics #where_clause {
                #sends

                #[doc = #has_receivers]
                #[inline]
                pub fn has_receivers() -> bool {
                    <Self as #krate::Signal>::has_receivers()
                }

                #[doc = #receivers]
                #[inline]
                pub fn receivers() -> #private::Vec<#krate::ReceiverInfo> {
                    <Self as #krate::Signal>::receivers()
                }

                #connect

                #connect_weak

                #connect_filtered

                #connect_async
            }
        }
    }

    fn sync_send_methods(&self) -> TokenStream {
        let Expansion { output, report, .. } = self;
        let krate = &self.runtime.krate;
        let sent = quote!(::core::result::Result<#output, #krate::SendError>);
        let send = self.forwarded("SyncSignal", "send", false, &sent);
        let send_robust = self.forwarded("SyncSignal", "send_robust", false, report);
        quote!(#send #send_robust)
    }

    /// `pub fn method(&self) -> ret` (`async` if `is_async`), which calls
    /// the method of the same name of the trait `flavour` and is documented
    /// by a link to it.
    fn forwarded(
        &self,
        flavour: &str,
        method: &str,
        is_async: bool,
        ret: &TokenStream,
    ) -> TokenStream {
        let krate = &self.runtime.krate;
        let doc = self.runtime.forwarded_doc(&format!("{flavour}::{method}"));
        let flavour = Ident::new(flavour, Span::call_site());
        let method = Ident::new(method, Span::call_site());
        let (asyncness, awaited) = match is_async {
            true => (quote!(async), quote!(.await)),
            false => (TokenStream::new(), TokenStream::new()),
        };
        quote! {
            #[doc = #doc]
            #[inline]
            pub #asyncness fn #method(&self) -> #ret {
                <Self as #krate::#flavour>::#method(self) #awaited
            }
        }
    }

    fn async_send_methods(&self) -> TokenStream {
        let Expansion { output, report, .. } = self;
        let krate = &self.runtime.krate;
        let sent = quote!(::core::result::Result<#output, #krate::SendError>);
        let forwarded = [
            ("send_async", true, &sent),
            ("send_robust_async", true, report),
            ("send_robust_concurrent", true, report),
            ("send_blocking", false, &sent),
            ("send_robust_blocking", false, report),
        ]
        .map(|(method, is_async, ret)| self.forwarded("AsyncSignal", method, is_async, ret));
        quote! {
            #(#forwarded)*

            /// Not available: this is an async signal. Use `send_async`.
            #[doc(hidden)]
            #[inline]
            pub fn send<'__signals_s>(&'__signals_s self) -> ::core::result::Result<#output, #krate::SendError>
            where
                &'__signals_s Self: #krate::SyncSend,
            {
                <Self as #krate::AsyncSignal>::send_blocking(self)
            }

            /// Not available: this is an async signal. Use `send_robust_async`.
            #[doc(hidden)]
            #[inline]
            pub fn send_robust<'__signals_s>(&'__signals_s self) -> #report
            where
                &'__signals_s Self: #krate::SyncSend,
            {
                <Self as #krate::AsyncSignal>::send_robust_blocking(self)
            }
        }
    }

    fn connect_methods(&self) -> TokenStream {
        let Runtime { krate, private } = &self.runtime;
        let output = &self.output;
        let bounds = self.receiver_bounds();
        let filter = self.filter_bound();
        let connect = format!(
            " Connects a receiver at run time, at order 0. It stays connected\n until the returned {} is dropped.",
            self.runtime.doc_link("Connection", "Connection")
        );
        let options = self.runtime.doc_link("ConnectOptions", "ConnectOptions");
        let connect_with = format!(
            " Connects a receiver at run time with\n {options}: an order, a name, a\n key, a filter."
        );
        let connect_body = self
            .lifetime_free("connect", quote!(__F, __R), quote!(receiver))
            .unwrap_or_else(|| quote_spanned!(self.ident.span()=> Self::connect_with(#krate::ConnectOptions::new(), receiver)));
        let connect_with_body = self
            .lifetime_free("connect_with", quote!(__P, __F, __R), quote!(options, receiver))
            .unwrap_or_else(|| quote_spanned! {self.ident.span()=>
                let (options, name, handler) = #private::filtered::<__P, __F, _>(options, #private::Plain::<__F, #output>::new(receiver));
                #private::connect::<Self>(options, name, handler)
            });
        quote_spanned! {self.ident.span()=>
            #[doc = #connect]
            #[track_caller]
            pub fn connect<__F, __R>(receiver: __F) -> #krate::Connection
            where
                #bounds
            {
                #connect_body
            }

            #[doc = #connect_with]
            #[track_caller]
            pub fn connect_with<__P, __F, __R>(options: #krate::ConnectOptions<__P>, receiver: __F) -> #krate::Connection
            where
                __P: #filter,
                #bounds
            {
                #connect_with_body
            }
        }
    }

    fn connect_weak_methods(&self) -> TokenStream {
        let Runtime { krate, private } = &self.runtime;
        let Expansion {
            binder,
            ty,
            response,
            output,
            ..
        } = self;
        let filter = self.filter_bound();
        let connect_weak_with = format!(
            " `connect_weak` with {}.\n Returns false if it added nothing, because a receiver with the\n same key is connected.",
            self.runtime.doc_link("ConnectOptions", "ConnectOptions")
        );
        let connect_weak_body = self
            .lifetime_free("connect_weak", quote!(__T, __F, __R), quote!(target, receiver))
            .unwrap_or_else(|| quote_spanned! {self.ident.span()=>
                let _added = Self::connect_weak_with(#krate::ConnectOptions::new(), target, receiver);
            });
        let connect_weak_with_body = self
            .lifetime_free("connect_weak_with", quote!(__P, __T, __F, __R), quote!(options, target, receiver))
            .unwrap_or_else(|| quote_spanned! {self.ident.span()=>
                let (options, name, handler) = #private::filtered::<__P, __F, _>(options, #private::Weakly::<__T, __F, #output>::new(target, receiver));
                #private::added(#private::connect::<Self>(options, name, handler))
            });
        quote_spanned! {self.ident.span()=>
            /// Connects a receiver at run time that holds `target` weakly and
            /// is called with it (Django's and Blinker's weak receivers).
            /// Once the target's last `Arc` is dropped, the receiver is not
            /// called again and is gone by the end of the next send.
            #[track_caller]
            pub fn connect_weak<__T, __F, __R>(target: &#private::Arc<__T>, receiver: __F)
            where
                __T: ::core::marker::Send + ::core::marker::Sync + 'static,
                __F: #binder ::core::ops::Fn(&__T, &#ty) -> __R + ::core::marker::Send + ::core::marker::Sync + 'static,
                __R: #krate::IntoOutcome<#response>,
            {
                #connect_weak_body
            }

            #[doc = #connect_weak_with]
            #[track_caller]
            pub fn connect_weak_with<__P, __T, __F, __R>(
                options: #krate::ConnectOptions<__P>,
                target: &#private::Arc<__T>,
                receiver: __F,
            ) -> bool
            where
                __P: #filter,
                __T: ::core::marker::Send + ::core::marker::Sync + 'static,
                __F: #binder ::core::ops::Fn(&__T, &#ty) -> __R + ::core::marker::Send + ::core::marker::Sync + 'static,
                __R: #krate::IntoOutcome<#response>,
            {
                #connect_weak_with_body
            }
        }
    }

    fn connect_filtered(&self) -> TokenStream {
        let krate = &self.runtime.krate;
        let filter_bound = self.fn_bound(quote!(bool));
        let bounds = self.receiver_bounds();
        let body = self
            .lifetime_free("connect_filtered", quote!(__P, __F, __R), quote!(filter, receiver))
            .unwrap_or_else(|| quote_spanned!(self.ident.span()=> Self::connect_with(#krate::ConnectOptions::new().filter(filter), receiver)));
        quote_spanned! {self.ident.span()=>
            /// Connects a receiver at run time that runs only for the sends
            /// `filter` accepts (Django's `sender=`, Spring's `condition`).
            /// Short for `connect_with(ConnectOptions::new().filter(filter), receiver)`,
            /// which also takes an order, a name and a key.
            #[track_caller]
            pub fn connect_filtered<__P, __F, __R>(filter: __P, receiver: __F) -> #krate::Connection
            where
                __P: #filter_bound,
                #bounds
            {
                #body
            }
        }
    }

    fn connect_async_methods(&self) -> TokenStream {
        if !self.signal.is_async {
            return TokenStream::new();
        }
        let Runtime { krate, private } = &self.runtime;
        let (params, bounds, wrapper) = self.async_bound();
        let filter = self.filter_bound();
        let what = if self.lifetimes.is_empty() {
            "an async closure that captures nothing (`async |event: &Sig| ...`, \
             its future may borrow the signal) or a closure returning a `Send` future. \
             A closure with state copies what it needs, then returns `async move { ... }`: \
             `move |event: &Sig| { let id = event.id; let db = db.clone(); async move { db.touch(id).await } }`."
        } else {
            "a closure returning a `Send + 'static` future: this signal has lifetimes, so \
             the future cannot borrow it. Copy what you need, then return `async move { ... }`: \
             `|event: &Sig| { let id = event.id; async move { touch(id).await } }`."
        };
        let connect_async = format!(
            " Connects an async receiver at run time. It stays connected\n until the returned {} is\n dropped. The receiver is {what}",
            self.runtime.doc_link("Connection", "Connection")
        );
        let connect_async_with = format!(
            " Connects an async receiver at run time with\n {}: an order, a name, a\n key, a filter.",
            self.runtime.doc_link("ConnectOptions", "ConnectOptions")
        );
        let connect_async_body = self
            .lifetime_free("connect_async", quote!(__F), quote!(receiver))
            .unwrap_or_else(|| quote_spanned!(self.ident.span()=> Self::connect_async_with(#krate::ConnectOptions::new(), receiver)));
        let connect_async_with_body = self
            .lifetime_free("connect_async_with", quote!(__P, __F), quote!(options, receiver))
            .unwrap_or_else(|| quote_spanned! {self.ident.span()=>
                let (options, name, handler) = #private::filtered::<__P, __F, _>(options, #wrapper::new(receiver));
                #private::connect_async::<Self>(options, name, handler)
            });
        quote_spanned! {self.ident.span()=>
            #[doc = #connect_async]
            #[track_caller]
            pub fn connect_async<#params>(receiver: __F) -> #krate::Connection
            where
                #bounds
            {
                #connect_async_body
            }

            #[doc = #connect_async_with]
            #[track_caller]
            pub fn connect_async_with<__P, #params>(options: #krate::ConnectOptions<__P>, receiver: __F) -> #krate::Connection
            where
                __P: #filter,
                #bounds
            {
                #connect_async_with_body
            }
        }
    }

    /// The `testing` feature's recording and muting methods.
    fn testing_impl(&self) -> TokenStream {
        if !TESTING {
            return TokenStream::new();
        }
        let ident = self.ident;
        let Runtime { krate, private } = &self.runtime;
        let (impl_generics, ty_generics, where_clause) =
            self.signal.original.generics.split_for_impl();
        let bound = self.fn_bound(quote!(__T));
        let recorder = |name: &str, doc: &str| {
            let name = Ident::new(name, ident.span());
            quote_spanned! {ident.span()=>
                #[doc = #doc]
                pub fn #name<__T, __F>(projection: __F) -> #krate::testing::Recording<__T>
                where
                    __T: ::core::marker::Send + 'static,
                    __F: #bound,
                {
                    let handler = #private::Project::new(projection);
                    let values = handler.sink();
                    #private::#name::<Self, __T>(values, #private::Arc::new(handler))
                }
            }
        };
        let record = recorder(
            "record",
            " Records a projection of every send of this signal on the current\n thread while the returned recording lives (feature `testing`).",
        );
        let record_all_threads = recorder(
            "record_all_threads",
            " Like `record`, for the sends of every thread.",
        );
        let [mute, mute_all_threads] = ["testing::mute", "testing::mute_all_threads"]
            .map(|item| format!(" {} for this signal.", self.runtime.doc_link(item, item)));
        quote_spanned! {ident.span()=>
            // Generated helpers a test suite uses only some of.
            #[allow(dead_code, single_use_lifetimes, unreachable_pub)]
            impl #impl_generics #ident #ty_generics #where_clause {
                #record
                #record_all_threads

                #[doc = #mute]
                #[inline]
                pub fn mute() -> #krate::testing::Muted {
                    #krate::testing::mute::<Self>()
                }

                #[doc = #mute_all_threads]
                #[inline]
                pub fn mute_all_threads() -> #krate::testing::Muted {
                    #krate::testing::mute_all_threads::<Self>()
                }
            }
        }
    }

    /// The signal's entry in `signals_core::catalog()`, and the check that
    /// the signal stands at module level if `at_module_level`.
    fn catalog_record(&self, at_module_level: bool) -> TokenStream {
        let Expansion { ident, name, .. } = self;
        let Runtime { krate, private } = &self.runtime;
        let type_name = unraw(ident);
        let doc = doc_summary(&self.signal.original.attrs);
        let is_async = self.signal.is_async;
        let fields = self.signal.fields.iter().map(|field| {
            let name = unraw(field.ident);
            let ty = tidy(&quote::ToTokens::to_token_stream(&field.original.ty).to_string());
            let cfgs = &field.cfgs;
            quote!(#(#cfgs)* (#name, #ty))
        });
        let location = self.runtime.location(ident);
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
        // The record itself, not a `const` of it: one item less to check.
        let placed = self
            .runtime
            .place_record("SIGNALS", "SignalRecord", &record);
        let placement = at_module_level.then(|| self.module_level_check());
        quote! {
            #[allow(elided_lifetimes_in_paths)]
            const _: () = {
                #placement
                #placed
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slice_and_entry_names_carry_the_seed_in_hex() {
        assert_eq!(
            slice_ident(0x1f).to_string(),
            "__SIGNALS_SLICE_000000000000001f"
        );
        assert_eq!(
            entry_ident(u64::MAX).to_string(),
            "__SIGNALS_ENTRY_ffffffffffffffff"
        );
    }
}
