//! The arguments of `#[signal(...)]` and `#[receiver(...)]`.
//!
//! Parsed by hand with syn: every argument is `key = value` or a bare
//! keyword, each may appear once (one `Slot::set` reports duplicates
//! everywhere), and all mistakes are reported together with the item's.

use proc_macro2::{Span, TokenStream};
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{Error, Ident, LitInt, LitStr, Path, PathArguments, Token};

use crate::errors::Errors;

/// `#[signal]`, `#[signal(async)]`,
/// `#[signal(name = "...", response = Type, crate = path)]`.
pub(crate) struct SignalArgs {
    pub(crate) is_async: bool,
    /// The `durable` keyword, where it was written.
    pub(crate) durable: Option<Span>,
    pub(crate) name: Option<LitStr>,
    pub(crate) response: Option<syn::Type>,
    pub(crate) krate: Option<Path>,
}

/// `#[receiver(signal = Path, order = N, name = "...", filter = path, crate = path)]`,
/// or `signals = [A, B, ...]` in place of `signal = Path`.
pub(crate) struct ReceiverArgs {
    /// `Err` when `signal = ...` (or `signals = [...]`) is missing, or was
    /// given but invalid (then the error is already reported, so this one is
    /// not).
    pub(crate) signal: syn::Result<Signals>,
    pub(crate) order: Option<i32>,
    pub(crate) name: Option<LitStr>,
    pub(crate) filter: Option<Path>,
    pub(crate) krate: Option<Path>,
    /// The `durable` keyword, where it was written.
    pub(crate) durable: Option<Span>,
    pub(crate) retries: Option<u32>,
}

const SIGNAL_ARGS: &str = "`async`, `durable`, `name = \"...\"`, `response = Type`, `crate = path`";
const RECEIVER_ARGS: &str =
    "`signal = Path`, `signals = [A, B]`, `order = N`, `name = \"...\"`, `filter = path`, `durable`, `retries = N`, `crate = path`";

/// The signals a receiver is registered for.
pub(crate) enum Signals {
    /// `signal = Path`.
    One(Path),
    /// `signals = [A, B, ...]`, for a function generic over the signal; the
    /// span is the key's.
    Many(Span, Vec<Path>),
}

impl SignalArgs {
    pub(crate) fn parse(tokens: TokenStream, errors: &mut Errors) -> Self {
        let mut is_async = Slot::new("async");
        let mut durable = Slot::new("durable");
        let mut name = Slot::new("name");
        let mut response = Slot::new("response");
        let mut krate = Slot::new("crate");
        for raw in parse_list(tokens, errors) {
            match raw {
                Raw::Async(token) => is_async.set(errors, token.span, Ok(())),
                Raw::Bare(key) if key == "durable" => {
                    durable.set(errors, key.span(), Ok(key.span()))
                }
                Raw::Pair(key, value) if key == "name" => {
                    name.set(errors, key.span(), parse_name(&key, value));
                }
                Raw::Pair(key, value) if key == "response" => {
                    let what =
                        "the type every receiver answers with, as in `response = Vec<String>`";
                    response.set(errors, key.span(), parse_value(&key, value, what));
                }
                Raw::Pair(key, value) if key == "crate" => {
                    krate.set(errors, key.span(), parse_crate(&key, value));
                }
                Raw::Pair(key, _) | Raw::Bare(key) => {
                    errors.push(unknown(&key, "signal", SIGNAL_ARGS));
                }
            }
        }
        SignalArgs {
            is_async: is_async.value.is_some(),
            durable: durable.value,
            name: name.value,
            response: response.value,
            krate: krate.value,
        }
    }
}

impl ReceiverArgs {
    pub(crate) fn parse(tokens: TokenStream, errors: &mut Errors) -> Self {
        let mut found = Errors::default();
        let mut signal = Slot::new("signal");
        let mut signals = Slot::new("signals");
        let mut order = Slot::new("order");
        let mut name = Slot::new("name");
        let mut filter = Slot::new("filter");
        let mut krate = Slot::new("crate");
        let mut durable = Slot::new("durable");
        let mut retries = Slot::new("retries");
        // Where `order`, `filter` and `retries` were written, for the rules
        // that combine them with `durable`.
        let mut keys: Vec<(&'static str, Span)> = Vec::new();
        for raw in parse_list(tokens, &mut found) {
            let errors = &mut found;
            match &raw {
                Raw::Pair(key, _) if key == "order" => keys.push(("order", key.span())),
                Raw::Pair(key, _) if key == "filter" => keys.push(("filter", key.span())),
                Raw::Pair(key, _) if key == "retries" => keys.push(("retries", key.span())),
                _ => {}
            }
            match raw {
                Raw::Bare(key) if key == "durable" => durable.set(errors, key.span(), Ok(key.span())),
                Raw::Pair(key, value) if key == "retries" => {
                    retries.set(errors, key.span(), parse_retries(&key, value));
                }
                Raw::Pair(key, value) if key == "signal" => {
                    signal.set(errors, key.span(), parse_signal(&key, value));
                }
                Raw::Pair(key, value) if key == "signals" => {
                    signals.set(errors, key.span(), parse_signal_list(&key, value));
                }
                Raw::Pair(key, value) if key == "order" => {
                    order.set(errors, key.span(), parse_order(&key, value));
                }
                Raw::Pair(key, value) if key == "name" => {
                    name.set(errors, key.span(), parse_name(&key, value));
                }
                Raw::Pair(key, value) if key == "filter" => {
                    let what = "the path of a function `fn(&Signal) -> bool`";
                    let path = parse_path(&key, value, what, Use::Filter);
                    filter.set(errors, key.span(), path);
                }
                Raw::Pair(key, value) if key == "crate" => {
                    krate.set(errors, key.span(), parse_crate(&key, value));
                }
                Raw::Async(token) => errors.push(Error::new(
                    token.span,
                    "`async` belongs on the function (`async fn`) and the signal (`#[signal(async)]`), not on `#[receiver]`",
                )),
                Raw::Pair(key, _) | Raw::Bare(key) => {
                    errors.push(unknown(&key, "receiver", RECEIVER_ARGS));
                }
            }
        }
        reject_durable_conflicts(&keys, durable.value.is_some(), &mut found);
        // A missing signal is reported only when the arguments are otherwise
        // right: after `signal =` or a typo, it would repeat that error.
        let report_missing = found.is_empty();
        errors.append(found);
        let signal = choose_signals(signal.value, signals.value, report_missing, errors);
        ReceiverArgs {
            signal,
            order: order.value,
            name: name.value,
            filter: filter.value,
            krate: krate.value,
            durable: durable.value,
            retries: retries.value,
        }
    }
}

/// `retries` without `durable`; `order` or `filter` with it.
fn reject_durable_conflicts(keys: &[(&'static str, Span)], durable: bool, errors: &mut Errors) {
    for (key, span) in keys {
        let message = match (*key, durable) {
            ("retries", false) => "`retries` is for durable receivers: write `durable, retries = N` (a receiver that runs during the send is not retried)",
            ("order", true) => "a durable receiver has no `order`: it runs as a job after the send, not among the inline receivers",
            ("filter", true) => "a durable receiver has no `filter`: every send makes its job; decide inside the receiver",
            _ => continue,
        };
        errors.push(Error::new(*span, message));
    }
}

/// `signal = Path` or `signals = [...]`: exactly one of them. A missing one
/// is reported only when `report_missing`.
fn choose_signals(
    signal: Option<Signals>,
    signals: Option<Signals>,
    report_missing: bool,
    errors: &mut Errors,
) -> syn::Result<Signals> {
    let both = match (&signal, &signals) {
        (Some(_), Some(Signals::Many(key, _))) => Some(*key),
        _ => None,
    };
    if let Some(key) = both {
        let message = "give either `signal = Path` or `signals = [A, B]`, not both";
        errors.push(Error::new(key, message));
    }
    let chosen = match both {
        Some(_) => None,
        None => signal.or(signals),
    };
    chosen.ok_or_else(|| {
        let error = Error::new(
            Span::call_site(),
            "#[receiver] needs the signal it listens to: `#[receiver(signal = path::to::Signal)]` (or `signals = [A, B]` on a function generic over the signal)",
        );
        if report_missing && both.is_none() {
            errors.push(error.clone());
        }
        error
    })
}

/// One argument that may be given once.
struct Slot<T> {
    name: &'static str,
    value: Option<T>,
}

impl<T> Slot<T> {
    fn new(name: &'static str) -> Self {
        Slot { name, value: None }
    }

    /// Records a valid value, reports an invalid one, and reports a
    /// duplicate at its second occurrence.
    fn set(&mut self, errors: &mut Errors, key: Span, value: syn::Result<T>) {
        match value {
            Err(error) => errors.push(error),
            Ok(_) if self.value.is_some() => {
                errors.push(Error::new(
                    key,
                    format!("duplicate argument `{}`", self.name),
                ));
            }
            Ok(value) => self.value = Some(value),
        }
    }
}

/// One `key = value` or bare key, before it is interpreted.
enum Raw {
    Async(Token![async]),
    Pair(Ident, TokenStream),
    Bare(Ident),
}

impl Parse for Raw {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.peek(Token![async]) {
            return Ok(Raw::Async(input.parse()?));
        }
        let key = if input.peek(Token![crate]) {
            let token: Token![crate] = input.parse()?;
            Ident::new("crate", token.span)
        } else {
            input.call(syn::ext::IdentExt::parse_any)?
        };
        if !input.peek(Token![=]) {
            return Ok(Raw::Bare(key));
        }
        let eq: Token![=] = input.parse()?;
        // The value runs to the next top-level comma.
        let mut value = TokenStream::new();
        while !input.is_empty() && !input.peek(Token![,]) {
            let tree: proc_macro2::TokenTree = input.parse()?;
            value.extend(std::iter::once(tree));
        }
        if value.is_empty() {
            // At `key =`: the end of the input would be the whole attribute.
            return Err(Error::new_spanned(
                quote::quote!(#key #eq),
                format!("expected a value after `{key} =`"),
            ));
        }
        Ok(Raw::Pair(key, value))
    }
}

/// The arguments, or none after reporting why they do not parse.
fn parse_list(tokens: TokenStream, errors: &mut Errors) -> Vec<Raw> {
    match Punctuated::<Raw, Token![,]>::parse_terminated.parse2(tokens) {
        Ok(list) => list.into_iter().collect(),
        Err(error) => {
            errors.push(error);
            Vec::new()
        }
    }
}

fn parse_value<T: Parse>(key: &Ident, value: TokenStream, what: &str) -> syn::Result<T> {
    syn::parse2::<T>(value.clone())
        .map_err(|_| Error::new_spanned(value, format!("`{key}` expects {what}")))
}

fn parse_name(key: &Ident, value: TokenStream) -> syn::Result<LitStr> {
    let what = "a string literal, as in `name = \"my_app.event\"`";
    let name: LitStr = parse_value(key, value, what)?;
    if name.value().trim().is_empty() {
        return Err(Error::new_spanned(&name, "`name` must not be empty"));
    }
    Ok(name)
}

fn parse_crate(key: &Ident, value: TokenStream) -> syn::Result<Path> {
    let what = "a path to signals_core, as in `crate = my_crate::signals`";
    parse_path(key, value, what, Use::Crate)
}

fn parse_path(key: &Ident, value: TokenStream, what: &str, use_: Use) -> syn::Result<Path> {
    let path: Path = parse_value(key, value, what)?;
    check_path(&path, use_)?;
    Ok(path)
}

fn parse_retries(key: &Ident, value: TokenStream) -> syn::Result<u32> {
    let lit: LitInt = parse_value(key, value, "a number of retries, as in `retries = 5`")?;
    if !lit.suffix().is_empty() && lit.suffix() != "u32" {
        return Err(Error::new_spanned(
            &lit,
            "`retries` is a `u32`: drop the suffix",
        ));
    }
    lit.base10_parse::<u32>().map_err(|_| {
        Error::new_spanned(
            &lit,
            format!("`retries` must fit in a u32 (0 to {})", u32::MAX),
        )
    })
}

/// `signal = Path`.
fn parse_signal(key: &Ident, value: TokenStream) -> syn::Result<Signals> {
    let what = "the path of a signal, as in `signal = crate::events::UserLoggedIn`";
    parse_path(key, value, what, Use::Signal).map(Signals::One)
}

/// `[A, B, ...]`: at least one signal path, none twice.
fn parse_signal_list(key: &Ident, value: TokenStream) -> syn::Result<Signals> {
    let what = "a list of signal paths, as in `signals = [UserLoggedIn, UserLoggedOut]`";
    let list: syn::ExprArray = parse_value(key, value.clone(), what)?;
    let mut paths: Vec<Path> = Vec::new();
    for element in &list.elems {
        let syn::Expr::Path(syn::ExprPath {
            path, qself: None, ..
        }) = element
        else {
            return Err(Error::new_spanned(
                element,
                format!("`{key}` expects {what}"),
            ));
        };
        check_path(path, Use::Signal)?;
        let text = crate::text::path_text(path);
        if paths
            .iter()
            .any(|seen| crate::text::path_text(seen) == text)
        {
            return Err(Error::new_spanned(
                path,
                format!("`{text}` is listed twice"),
            ));
        }
        paths.push(path.clone());
    }
    if paths.is_empty() {
        return Err(Error::new_spanned(
            value,
            format!("`{key}` needs at least one signal, as in `signals = [UserLoggedIn]`"),
        ));
    }
    Ok(Signals::Many(key.span(), paths))
}

fn parse_order(key: &Ident, value: TokenStream) -> syn::Result<i32> {
    let what = "an integer, as in `order = -5`";
    let parser = |input: ParseStream| {
        let minus: Option<Token![-]> = input.parse()?;
        let lit: LitInt = input.parse()?;
        Ok((minus, lit))
    };
    let (minus, lit) = parser
        .parse2(value.clone())
        .map_err(|_| Error::new_spanned(&value, format!("`{key}` expects {what}")))?;
    if !lit.suffix().is_empty() && lit.suffix() != "i32" {
        return Err(Error::new_spanned(
            &lit,
            "`order` is an `i32`: drop the suffix",
        ));
    }
    let digits = lit.base10_digits();
    let text = if minus.is_some() {
        format!("-{digits}")
    } else {
        digits.to_string()
    };
    text.parse::<i32>().map_err(|_| {
        Error::new_spanned(
            &value,
            format!("`order` must fit in an i32 ({} to {})", i32::MIN, i32::MAX),
        )
    })
}

fn unknown(key: &Ident, attr: &str, known: &str) -> Error {
    Error::new(
        key.span(),
        format!("unknown argument `{key}` of #[{attr}]; expected {known}"),
    )
}

/// Where the generated code puts a path the user gave.
#[derive(Clone, Copy)]
enum Use {
    /// A type, a value and a macro name (linkme calls it): no arguments.
    Signal,
    /// The start of paths to types, functions and macros: no arguments.
    Crate,
    /// A function called in an expression: arguments need `::<>`.
    Filter,
}

/// Rejects paths that would only fail later, and less clearly, in the
/// generated code (where `Self` means nothing: it is outside any impl).
fn check_path(path: &Path, use_: Use) -> syn::Result<()> {
    for segment in &path.segments {
        if segment.ident == "Self" {
            return Err(Error::new_spanned(
                &segment.ident,
                "`Self` cannot be used here: write the full path",
            ));
        }
        let message = match (&segment.arguments, use_) {
            (PathArguments::None, _) => continue,
            (_, Use::Signal) => {
                "name the signal without generic or lifetime arguments, as in `signal = Ping`"
            }
            (_, Use::Crate) => "`crate` is a path to signals_core, without generic arguments",
            (PathArguments::AngleBracketed(args), Use::Filter) if args.colon2_token.is_some() => {
                continue
            }
            (PathArguments::AngleBracketed(_), Use::Filter) => {
                "a filter is called as a function: write its generic arguments as `::<...>`"
            }
            (PathArguments::Parenthesized(_), Use::Filter) => {
                "`filter` expects the path of a function `fn(&Signal) -> bool`"
            }
        };
        return Err(Error::new_spanned(&segment.arguments, message));
    }
    Ok(())
}
