//! `#[receiver]`: the function unchanged, plus a record of it in the
//! signal's registry, whose handler is a shim that checks the function's
//! types at the user's tokens and calls it; one record and shim per signal
//! of `signals = [...]`.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::Path;

use super::{registered_name, Runtime, INVENTORY};
use crate::ast::{Output, Receiver};
use crate::text::unraw;
use crate::tokens::{elide, respan};

pub(super) fn expand(receiver: &Receiver<'_>) -> TokenStream {
    let function = receiver.original;
    let registrations = receiver.signals.iter().enumerate().map(|(index, signal)| {
        let expansion = Expansion::new(receiver, signal, index);
        match receiver.durable {
            Some(durable) => expansion.durable(durable),
            None => expansion.registered(),
        }
    });
    quote! {
        #function
        #(#registrations)*
    }
}

impl Expansion<'_> {
    /// The shim and the record of one signal.
    fn registered(&self) -> TokenStream {
        let shim = self.shim();
        let registration = self.registration();
        let block = self.named("__signals_receiver_");
        let uses = &self.uses;
        quote! {
            // `unsafe_code`: linkme places the record with `#[link_section]`,
            // which rustc counts as unsafe code, and the macro that does it is
            // the signal's, so local to the user's crate; the user wrote none.
            // Named, not `_`: on an associated function, by mistake, the error
            // is then only that the function is not in scope.
            #[allow(elided_lifetimes_in_paths, non_upper_case_globals, unsafe_code, dead_code)]
            const #block: () = {
                #uses
                #shim
                #registration
            };
        }
    }
}

/// A local of the shim. Its name cannot collide with the receiver's or the
/// filter's, which the shim calls. It carries one span wherever it appears:
/// a span taken from the user's tokens may come from a `macro_rules!`
/// expansion whose hygiene would not see a local declared at the call site.
/// `located_at` keeps the call site's hygiene but moves where an error in
/// that argument is reported.
fn local(name: &str, at: Span) -> Ident {
    Ident::new(name, Span::call_site().located_at(at))
}

/// What every generated piece of one receiver shares.
struct Expansion<'a> {
    receiver: &'a Receiver<'a>,
    /// The signal this registration is for.
    signal: &'a Path,
    /// Its place in `signals = [...]`, which the generated names carry.
    index: Option<usize>,
    runtime: Runtime,
    /// The import the block of generated items opens with (see
    /// `Runtime::aliased`); none for a durable receiver.
    uses: TokenStream,
    ident: &'a Ident,
    /// The function's lifetime parameters: the user's types are named inside
    /// the shim, where they are not declared, so they become `'_`.
    lifetimes: Vec<String>,
    /// The shim's name.
    shim: Ident,
}

impl<'a> Expansion<'a> {
    fn new(receiver: &'a Receiver<'a>, signal: &'a Path, index: usize) -> Self {
        let sig = &receiver.original.sig;
        let lifetimes = sig
            .generics
            .lifetimes()
            .map(|param| param.lifetime.ident.to_string())
            .collect();
        let runtime = Runtime::new(receiver.krate.as_ref());
        let (uses, runtime) = match receiver.durable {
            None => runtime.aliased(),
            Some(_) => (TokenStream::new(), runtime),
        };
        let mut expansion = Expansion {
            receiver,
            signal,
            index: receiver.generic.map(|_| index),
            runtime,
            uses,
            ident: &sig.ident,
            lifetimes,
            shim: sig.ident.clone(),
        };
        expansion.shim = expansion.named("__signals_shim_");
        expansion
    }

    /// A generated item's name: `prefix`, the function's name (so that it is
    /// never the function), and for `signals = [...]` the signal's place.
    fn named(&self, prefix: &str) -> Ident {
        let function = unraw(self.ident);
        match self.index {
            None => format_ident!("{prefix}{function}"),
            Some(index) => format_ident!("{prefix}{function}_{index}"),
        }
    }

    /// The function as the shim calls it: a generic one with its type
    /// parameter set to this registration's signal, spanned at the listed
    /// path, so that a signal its bounds do not accept is reported there.
    fn callee(&self) -> TokenStream {
        let ident = self.ident;
        match self.receiver.generic {
            None => quote!(#ident),
            Some(_) => {
                let signal = self.signal;
                quote!(#ident::<#signal>)
            }
        }
    }

    /// The static handler: filters, hands the signal on typed as the
    /// parameter, calls the function and turns its result into a `Step`
    /// (whose `<#signal as Signal>` checks that the path names a signal).
    /// Its name contains the function's, so it is never the function it
    /// calls.
    fn shim(&self) -> TokenStream {
        let private = &self.runtime.private;
        let signal = &self.signal;
        let shim = &self.shim;
        let event = local("__signals_event", Span::call_site());
        let filter = self.filter();
        let param = self.param();
        let call = self.call();
        // `!` makes the conversion after the call unreachable.
        let allow = matches!(self.receiver.output, Output::Never(_))
            .then(|| quote!(#[allow(unreachable_code)]));
        quote! {
            #[inline]
            #allow
            fn #shim<'__signals_b>(#event: &'__signals_b #signal) -> #private::Step<'__signals_b> {
                #filter
                #param
                #call
            }
        }
    }

    fn filter(&self) -> Option<TokenStream> {
        let private = &self.runtime.private;
        self.receiver.filter.as_ref().map(|filter| {
            let event = local("__signals_event", filter.span());
            quote_spanned! {filter.span()=>
                if !#filter(#event) {
                    return #private::Step::skipped();
                }
            }
        })
    }

    /// The signal, typed as the user's parameter: spanned at the parameter's
    /// type, so that a different type is reported there, once (the call
    /// below then type-checks).
    fn param(&self) -> TokenStream {
        let span = self.receiver.param.span();
        let param = elide(self.receiver.param.to_token_stream(), &self.lifetimes);
        let event = local("__signals_event", span);
        let param_local = local("__signals_param", Span::call_site());
        if self.receiver.generic.is_some() {
            // `&S`, checked in `ast`: the call sets `S` to the signal.
            return quote!(let #param_local = #event;);
        }
        // `&*`: a fresh borrow, so that a mismatch shows `&Ping`, not the
        // shim's lifetime.
        quote_spanned!(span=> let #param_local: &#param = &*#event;)
    }

    /// The call of the user's function, and its result as a `Step`: what it
    /// returned, converted by `IntoOutcome` into the signal's response, then
    /// by the signal's `Collect`, both named through the signal's
    /// `Signal` impl, so that no error note names a function of the runtime.
    fn call(&self) -> TokenStream {
        let Runtime { krate, private } = &self.runtime;
        let signal = self.signal;
        let collect = quote!(<<#signal as #krate::Signal>::Output as #private::Collect>);
        let Some(token) = &self.receiver.original.sig.asyncness else {
            let outcome = self.converted(None);
            return quote!(#collect::step(#outcome));
        };
        // The signal path is respanned too: rustc reports an unmet bound at
        // the type argument, and the mistake is the `async`, not the path.
        let signal_at_async = respan(self.signal.to_token_stream(), token.span);
        let async_check = quote_spanned!(token.span=> let _ = <#signal_at_async as #krate::AsyncSignal>::send_blocking;);
        let outcome = self.converted(Some(quote_spanned!(token.span=> .await)));
        quote! {
            #async_check
            #private::Step::pending(async move { #collect::output(#outcome) })
        }
    }

    /// The call of the user's function (`awaited` if async) as a
    /// `Result<Response, BoxError>`, converted by the `IntoOutcome`
    /// implementation named with its return type, which makes a wrong type
    /// an error there. A receiver that returns `()` converts `()`, checked
    /// at its name, where the missing return type would be (its unit result
    /// passed on would trip clippy's `unit_arg` in the user's crate, since
    /// the call carries the user's span).
    fn converted(&self, awaited: Option<TokenStream>) -> TokenStream {
        let krate = &self.runtime.krate;
        let signal = self.signal;
        let callee = self.callee();
        let response = quote!(<#signal as #krate::Signal>::Response);
        let Some((span, ty)) = self.returned_type() else {
            let param = local("__signals_param", Span::call_site());
            let unit = quote_spanned!(self.ident.span()=> <() as #krate::IntoOutcome<#response>>::into_outcome(()));
            return quote!({ #callee(#param) #awaited; #unit });
        };
        let check = match ty {
            Some(ty) => quote_spanned!(span=> <#ty as #krate::IntoOutcome<#response>>),
            None => quote_spanned!(span=> #krate::IntoOutcome::<#response>),
        };
        let param = local("__signals_param", span);
        quote_spanned!(span=> #check::into_outcome(#callee(#param) #awaited))
    }

    /// A durable receiver's call as its job's `Result<(), BoxError>`: a job
    /// answers nothing.
    fn outcome(&self, awaited: Option<TokenStream>) -> TokenStream {
        let krate = &self.runtime.krate;
        let ident = self.ident;
        let Some((span, ty)) = self.returned_type() else {
            let param = local("__signals_param", Span::call_site());
            return quote!(#ident(#param) #awaited; ::core::result::Result::Ok(()));
        };
        let check = match ty {
            Some(ty) => quote_spanned!(span=> <#ty as #krate::IntoOutcome>),
            None => quote_spanned!(span=> #krate::IntoOutcome),
        };
        let param = local("__signals_param", span);
        quote_spanned!(span=> #check::into_outcome(#ident(#param) #awaited))
    }

    /// A durable receiver: the function unchanged, plus a record in the
    /// binary's list of durable receivers, whose runner decodes a job's
    /// payload into the signal and calls the function on it. It is not in
    /// the signal's slice: a send does not call it. The decoding is spanned
    /// at `durable`, so that a signal that is not durable is reported there.
    fn durable(&self, durable: Span) -> TokenStream {
        let Runtime { krate, private } = &self.runtime;
        let signal = &self.signal;
        let ident = self.ident;
        let event = local("__signals_event", Span::call_site());
        let param_let = self.param();
        let awaited = self
            .receiver
            .original
            .sig
            .asyncness
            .map(|token| quote_spanned!(token.span=> .await));
        let outcome = self.outcome(awaited);
        let retries = match self.receiver.retries {
            Some(n) => quote!(#n),
            None => quote!(#private::DEFAULT_RETRIES),
        };
        let name = registered_name(self.receiver.name.as_ref(), ident);
        let location = self.runtime.location(ident);
        let is_async = self.receiver.original.sig.asyncness.is_some();
        let signal_at = respan(signal.to_token_stream(), durable);
        // Named after the function, like the shim, so that it never is the
        // function it calls.
        let run = self.named("__signals_run_");
        let decode = quote_spanned!(durable=> <#signal_at as #krate::DurableSignal>::from_payload(__signals_payload));
        let record = quote! {
            #private::DurableReceiver {
                signal: <#signal as #krate::Signal>::NAME,
                name: #name,
                module_path: ::core::module_path!(),
                location: #location,
                retries: #retries,
                is_async: #is_async,
                run: #run,
            }
        };
        let placed = self.runtime.place_record(
            "DURABLE_RECEIVERS",
            "DurableReceiver",
            &quote!(__SIGNALS_RECORD),
        );
        quote! {
            // `unsafe_code`: linkme places the record with `#[link_section]`.
            #[allow(elided_lifetimes_in_paths, non_upper_case_globals, unsafe_code)]
            const _: () = {
                fn #run(
                    __signals_payload: &[u8],
                ) -> ::core::result::Result<#private::BoxFuture<'static>, #private::BoxError> {
                    let __signals_signal: #signal = #decode?;
                    ::core::result::Result::Ok(#private::Box::pin(async move {
                        let #event = &__signals_signal;
                        #param_let
                        #outcome
                    }))
                }

                const __SIGNALS_RECORD: #private::DurableReceiver = #record;
                #placed
            };
        }
    }

    /// For a function that returns a value: where its type is written, and
    /// the type the conversion is named with, which makes a wrong type an
    /// error there; `None` where it cannot be named: `impl Trait`, and a
    /// generic receiver's type, which may name its type parameter, unknown
    /// to the shim (the call still checks them, only less precisely). `!`
    /// cannot be named on stable, and it coerces to `()`.
    fn returned_type(&self) -> Option<(Span, Option<TokenStream>)> {
        let (ty, named) = match self.receiver.output {
            Output::Unit => return None,
            Output::Never(ty) => (ty, Some(quote!(()))),
            Output::Opaque(ty) => (ty, None),
            Output::Type(ty) if self.receiver.generic.is_some() => (ty, None),
            Output::Type(ty) => (ty, Some(elide(ty.to_token_stream(), &self.lifetimes))),
        };
        Some((ty.span(), named))
    }

    /// The receiver's record, of type `ty`: what differs from the defaults
    /// only, fewer tokens per receiver. Built through its type, so that the
    /// shim coerces to the handler type before the methods below.
    fn record(&self, ty: &TokenStream) -> TokenStream {
        let name = registered_name(self.receiver.name.as_ref(), self.ident);
        let location = self.runtime.location(self.ident);
        let shim = &self.shim;
        let mut record = quote!(#ty::new(#name, ::core::module_path!(), #location, #shim));
        let order = self.receiver.order;
        if order != 0 {
            record.extend(quote!(.order(#order)));
        }
        if self.receiver.original.sig.asyncness.is_some() {
            record.extend(quote!(.asynchronous()));
        }
        if self.receiver.filter.is_some() {
            record.extend(quote!(.filtered()));
        }
        record
    }

    /// The record, placed in the signal's slice (linkme) or submitted
    /// (inventory). Under linkme, through the macro the slice's declaration
    /// defines, reached like the slice through the signal's path (see
    /// `Runtime::in_slice`). The static's name contains the function's, so
    /// that the shim's call of the function cannot find it instead.
    fn registration(&self) -> TokenStream {
        let Runtime { krate, private } = &self.runtime;
        let signal = self.signal;
        if !INVENTORY {
            let static_ident = self.named("__SIGNALS_RECEIVER_");
            let ty = quote!(#private::Record<#signal>);
            let record = self.record(&quote!(#private::Record::<#signal>));
            return (self.runtime).in_slice(&quote!(#signal), &quote!(#static_ident), &ty, &record);
        }
        // Spelled out under inventory, where a path that is not a type is
        // reported once, by the shim, only if no generic argument names it.
        let handler =
            quote!(for<'__signals_b> fn(&'__signals_b #signal) -> #private::Step<'__signals_b>);
        let record = self.record(&quote!(#private::StaticReceiver::<#handler>));
        quote! {
            #private::inventory::submit! {
                <#signal as #krate::Signal>::__ENTRY.new(#record)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::ReceiverFn;
    use crate::attr::ReceiverArgs;
    use crate::errors::Errors;

    /// The names `named` builds for each registration of a receiver.
    fn names(args: &str, source: &str, prefix: &str) -> Vec<String> {
        let mut errors = Errors::default();
        let args = ReceiverArgs::parse(args.parse().unwrap(), &mut errors);
        let Ok(function) = ReceiverFn::parse(source.parse().unwrap()) else {
            panic!("`{source}` parses");
        };
        let Ok(receiver) = Receiver::from_syn(&function, args, errors) else {
            panic!("`{source}` is a valid receiver");
        };
        let receiver = &receiver;
        (receiver.signals.iter().enumerate())
            .map(|(index, signal)| {
                Expansion::new(receiver, signal, index)
                    .named(prefix)
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn generated_names_carry_the_function_and_the_signal_index() {
        assert_eq!(
            names(
                "signal = Ping",
                "fn on_ping(_: &Ping) {}",
                "__signals_shim_"
            ),
            ["__signals_shim_on_ping"]
        );
        // A raw identifier loses its `r#`, which could not follow a prefix.
        assert_eq!(
            names(
                "signal = Ping",
                "fn r#type(_: &Ping) {}",
                "__signals_receiver_"
            ),
            ["__signals_receiver_type"]
        );
        // One name per listed signal, told apart by its place in the list.
        assert_eq!(
            names(
                "signals = [A, b::B]",
                "fn audit<S: Signal>(_: &S) {}",
                "__signals_shim_"
            ),
            ["__signals_shim_audit_0", "__signals_shim_audit_1"]
        );
    }
}
