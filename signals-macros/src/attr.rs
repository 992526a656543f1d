//! The arguments of `#[signal(...)]` and `#[receiver(...)]`.
//!
//! Parsed by hand with syn: every argument is `key = value` or a bare
//! keyword, each may appear once (one `set` reports duplicates everywhere),
//! and all mistakes are reported together.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::parse::{ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{Error, Ident, LitInt, LitStr, Path, PathArguments, Token};

/// Collects errors so that all of them are reported at once.
#[derive(Default)]
pub(crate) struct Errors(Option<Error>);

impl Errors {
    pub(crate) fn push(&mut self, error: Error) {
        match &mut self.0 {
            Some(errors) => errors.combine(error),
            None => self.0 = Some(error),
        }
    }

    pub(crate) fn finish(self) -> Result<(), Error> {
        match self.0 {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}

/// One argument that may be given once.
pub(crate) struct Arg<T> {
    name: &'static str,
    value: Option<(Span, T)>,
}

impl<T> Arg<T> {
    pub(crate) fn new(name: &'static str) -> Self {
        Arg { name, value: None }
    }

    /// Records the value, or reports a duplicate at its second occurrence.
    pub(crate) fn set(&mut self, errors: &mut Errors, span: Span, value: T) {
        if self.value.is_some() {
            errors.push(Error::new(
                span,
                format!("duplicate argument `{}`", self.name),
            ));
        } else {
            self.value = Some((span, value));
        }
    }

    pub(crate) fn get(self) -> Option<T> {
        self.value.map(|(_, value)| value)
    }
}

/// `#[signal]`, `#[signal(async)]`, `#[signal(name = "...", crate = path)]`.
pub(crate) struct SignalArgs {
    pub(crate) is_async: bool,
    pub(crate) name: Option<LitStr>,
    pub(crate) krate: Option<Path>,
}

/// `#[receiver(signal = Path, order = N, name = "...", filter = path, crate = path)]`.
pub(crate) struct ReceiverArgs {
    pub(crate) signal: Option<Path>,
    pub(crate) order: Option<i32>,
    pub(crate) name: Option<LitStr>,
    pub(crate) filter: Option<Path>,
    pub(crate) krate: Option<Path>,
}

/// One `key = value` or bare key, before it is interpreted.
enum Raw {
    Async(Token![async]),
    Pair(Ident, TokenStream),
    Bare(Ident),
}

fn parse_raw(input: ParseStream) -> syn::Result<Raw> {
    if input.peek(Token![async]) {
        return Ok(Raw::Async(input.parse()?));
    }
    let key = if input.peek(Token![crate]) {
        let token: Token![crate] = input.parse()?;
        Ident::new("crate", token.span)
    } else {
        input.call(syn::ext::IdentExt::parse_any)?
    };
    if input.peek(Token![=]) {
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
    } else {
        Ok(Raw::Bare(key))
    }
}

fn parse_list(args: TokenStream) -> syn::Result<Vec<Raw>> {
    let parser = Punctuated::<Raw, Token![,]>::parse_terminated_with;
    let list = (|input: ParseStream| parser(input, parse_raw)).parse2(args)?;
    Ok(list.into_iter().collect())
}

fn parse_value<T: syn::parse::Parse>(
    key: &Ident,
    value: TokenStream,
    what: &str,
) -> syn::Result<T> {
    syn::parse2::<T>(value.clone()).map_err(|_| {
        Error::new_spanned(
            if value.is_empty() {
                key.to_token_stream()
            } else {
                value
            },
            format!("`{key}` expects {what}"),
        )
    })
}

fn parse_name(key: &Ident, value: TokenStream) -> syn::Result<LitStr> {
    let name: LitStr = parse_value(
        key,
        value,
        "a string literal, as in `name = \"my_app.event\"`",
    )?;
    if name.value().trim().is_empty() {
        return Err(Error::new_spanned(&name, "`name` must not be empty"));
    }
    Ok(name)
}

fn parse_path(key: &Ident, value: TokenStream, what: &str) -> syn::Result<Path> {
    let path: Path = parse_value(key, value.clone(), what)?;
    Ok(path)
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

impl SignalArgs {
    pub(crate) fn parse(args: TokenStream) -> syn::Result<Self> {
        let mut errors = Errors::default();
        let mut is_async = Arg::new("async");
        let mut name = Arg::new("name");
        let mut krate = Arg::new("crate");
        for raw in parse_list(args)? {
            match raw {
                Raw::Async(token) => is_async.set(&mut errors, token.span, ()),
                Raw::Pair(key, value) if key == "name" => match parse_name(&key, value) {
                    Ok(value) => name.set(&mut errors, key.span(), value),
                    Err(error) => errors.push(error),
                },
                Raw::Pair(key, value) if key == "crate" => {
                    match parse_path(
                        &key,
                        value,
                        "a path to signals_core, as in `crate = my_crate::signals`",
                    )
                    .and_then(|path| check_path(&path, Use::Crate).map(|()| path))
                    {
                        Ok(value) => krate.set(&mut errors, key.span(), value),
                        Err(error) => errors.push(error),
                    }
                }
                Raw::Pair(key, _) | Raw::Bare(key) => errors.push(unknown(
                    &key,
                    "signal",
                    "`async`, `name = \"...\"`, `crate = path`",
                )),
            }
        }
        errors.finish()?;
        Ok(SignalArgs {
            is_async: is_async.get().is_some(),
            name: name.get(),
            krate: krate.get(),
        })
    }
}

impl ReceiverArgs {
    pub(crate) fn parse(args: TokenStream) -> syn::Result<Self> {
        let mut errors = Errors::default();
        let mut signal = Arg::new("signal");
        let mut order = Arg::new("order");
        let mut name = Arg::new("name");
        let mut filter = Arg::new("filter");
        let mut krate = Arg::new("crate");
        for raw in parse_list(args)? {
            let result = match raw {
                Raw::Pair(key, value) if key == "signal" => {
                    parse_path(&key, value, "the path of a signal, as in `signal = crate::events::UserLoggedIn`")
                        .and_then(|path| check_path(&path, Use::Signal).map(|()| path))
                        .map(|path| signal.set(&mut errors, key.span(), path))
                }
                Raw::Pair(key, value) if key == "order" => parse_order(&key, value).map(|value| order.set(&mut errors, key.span(), value)),
                Raw::Pair(key, value) if key == "name" => parse_name(&key, value).map(|value| name.set(&mut errors, key.span(), value)),
                Raw::Pair(key, value) if key == "filter" => parse_path(&key, value, "the path of a function `fn(&Signal) -> bool`")
                    .and_then(|path| check_path(&path, Use::Filter).map(|()| path))
                    .map(|value| filter.set(&mut errors, key.span(), value)),
                Raw::Pair(key, value) if key == "crate" => parse_path(&key, value, "a path to signals_core, as in `crate = my_crate::signals`")
                    .and_then(|path| check_path(&path, Use::Crate).map(|()| path))
                    .map(|value| krate.set(&mut errors, key.span(), value)),
                Raw::Async(token) => Err(Error::new(
                    token.span,
                    "`async` belongs on the function (`async fn`) and the signal (`#[signal(async)]`), not on `#[receiver]`",
                )),
                Raw::Pair(key, _) | Raw::Bare(key) => Err(unknown(&key, "receiver", "`signal = Path`, `order = N`, `name = \"...\"`, `filter = path`, `crate = path`")),
            };
            if let Err(error) = result {
                errors.push(error);
            }
        }
        errors.finish()?;
        Ok(ReceiverArgs {
            signal: signal.get(),
            order: order.get(),
            name: name.get(),
            filter: filter.get(),
            krate: krate.get(),
        })
    }
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
