//! The typed, validated view of each macro's input. Every error is found
//! here, before any code is generated, and all of them are reported at
//! once: the arguments' and the item's. The view keeps the user's tokens, so
//! that the generated code can point back at them.

use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};
use quote::{quote, ToTokens};
use syn::parse::{ParseStream, Parser};
use syn::{
    Attribute, Error, Fields, FnArg, GenericParam, Generics, Ident, Item, ItemStruct, LitStr, Path,
    ReturnType, Signature, Type, Visibility,
};

use crate::attr::{ReceiverArgs, SignalArgs, Signals};
use crate::errors::{first_span, Errors};
use crate::text::path_text;
use crate::tokens::mentions_impl;

/// A `#[signal]` struct.
pub(crate) struct Signal<'a> {
    pub(crate) original: &'a ItemStruct,
    pub(crate) is_async: bool,
    /// `durable`, where it was written: the signal is stored as jobs.
    pub(crate) durable: Option<Span>,
    pub(crate) name: Option<LitStr>,
    /// `response = T`: what every receiver answers.
    pub(crate) response: Option<Type>,
    pub(crate) krate: Option<Path>,
    pub(crate) fields: Vec<Field<'a>>,
}

/// A named field of a signal.
pub(crate) struct Field<'a> {
    pub(crate) original: &'a syn::Field,
    pub(crate) ident: &'a Ident,
    /// Its `#[cfg(...)]` attributes: the catalog lists the field under them.
    pub(crate) cfgs: Vec<&'a Attribute>,
}

/// A `#[receiver]` function.
pub(crate) struct Receiver<'a> {
    pub(crate) original: &'a ReceiverFn,
    /// The signals it is registered for: one, or those of `signals = [...]`.
    pub(crate) signals: Vec<Path>,
    /// The type parameter of a receiver generic over its signal
    /// (`signals = [...]`), which each registration names.
    pub(crate) generic: Option<&'a Ident>,
    pub(crate) order: i32,
    pub(crate) name: Option<LitStr>,
    pub(crate) filter: Option<Path>,
    pub(crate) krate: Option<Path>,
    /// `durable`, where it was written: the receiver runs as a job.
    pub(crate) durable: Option<Span>,
    pub(crate) retries: Option<u32>,
    /// The signal type as the user wrote it in the parameter (`Ping<'_>`).
    pub(crate) param: &'a Type,
    pub(crate) output: Output<'a>,
}

/// What a receiver returns, as far as the generated call cares.
pub(crate) enum Output<'a> {
    /// No return type, or `()`: nothing to convert.
    Unit,
    /// `!`, which cannot be named on stable; it coerces to `()`.
    Never(&'a Type),
    /// `impl Trait`, which cannot be named in a type argument.
    Opaque(&'a Type),
    /// Any other type, converted with `IntoOutcome`.
    Type(&'a Type),
}

/// A function as `#[receiver]` needs it: the signature parsed, the body
/// left as tokens. The body is never parsed, nor walked: a syntax error in
/// it is rustc's to report, once, when the function is emitted as written,
/// and it is no reason to say that this is not a function; and it is most
/// of a function's tokens, each of which would cross from the compiler to
/// this macro and back.
pub(crate) struct ReceiverFn {
    /// The attributes after this `#[receiver]`.
    attrs: Vec<Attribute>,
    pub(crate) sig: Signature,
    /// The item exactly as the user wrote it.
    tokens: TokenStream,
}

impl ReceiverFn {
    /// Everything before the body (the last token tree, a braced group):
    /// outer attributes, visibility, signature, nothing else.
    pub(crate) fn parse(tokens: TokenStream) -> syn::Result<Self> {
        let mut head: Vec<TokenTree> = tokens.clone().into_iter().collect();
        match head.pop() {
            Some(TokenTree::Group(body)) if body.delimiter() == Delimiter::Brace => {}
            _ => return Err(Error::new(Span::call_site(), "expected a function body")),
        }
        let signature = |input: ParseStream| {
            let attrs = input.call(Attribute::parse_outer)?;
            input.parse::<Visibility>()?;
            Ok((attrs, input.parse::<Signature>()?))
        };
        let (attrs, sig) = signature.parse2(head.into_iter().collect())?;
        Ok(ReceiverFn { attrs, sig, tokens })
    }
}

impl ToTokens for ReceiverFn {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        tokens.extend(self.tokens.clone());
    }
}

impl<'a> Signal<'a> {
    pub(crate) fn from_syn(
        item: &'a Item,
        args: SignalArgs,
        mut errors: Errors,
    ) -> syn::Result<Self> {
        let original = match item {
            Item::Struct(strukt) => strukt,
            Item::Enum(item) => return Err(errors.fail(not_a_struct(item.enum_token.span, "an enum"))),
            Item::Union(item) => return Err(errors.fail(not_a_struct(item.union_token.span, "a union"))),
            Item::Fn(item) => return Err(errors.fail(not_a_struct(item.sig.fn_token.span, "a function"))),
            other => return Err(errors.fail(Error::new(
                first_span(other.to_token_stream()),
                "#[signal] goes on a braced struct, as in `pub struct UserLoggedIn { pub user: User }`",
            ))),
        };
        match &original.fields {
            Fields::Named(_) => {}
            Fields::Unnamed(fields) => errors.push(Error::new(
                fields.paren_token.span.join(),
                "#[signal] needs named fields: write `struct Name { field: Type }` instead of a tuple struct",
            )),
            Fields::Unit => errors.push(Error::new(
                original.ident.span(),
                "#[signal] needs a braced struct: write `struct Name {}` for a signal without fields",
            )),
        }
        if let Some(shadowed) = shadowed_prelude_name(&original.ident) {
            errors.push(Error::new(
                original.ident.span(),
                format!("a signal cannot be named `{}`: its registration takes the same name among this module's values and macros, where it would hide the prelude's `{shadowed}`; rename the signal", original.ident),
            ));
        }
        reject_generics(
            &original.generics,
            &mut errors,
            "a signal cannot have type parameters: each signal is one concrete type (lifetime parameters are allowed)",
            "a signal cannot have const parameters: each signal is one concrete type (lifetime parameters are allowed)",
        );
        if args.durable.is_some() {
            // A durable signal is stored as a job and read back by a
            // worker, in another process perhaps: it cannot borrow.
            for lifetime in original.generics.lifetimes() {
                errors.push(Error::new_spanned(
                    &lifetime.lifetime,
                    "a durable signal owns its data: it is stored as a job and read back by a worker, so it cannot borrow; use owned fields (`String`, not `&'a str`)",
                ));
            }
        }
        errors.finish()?;
        let fields = original
            .fields
            .iter()
            .filter_map(|field| {
                Some(Field {
                    original: field,
                    ident: field.ident.as_ref()?,
                    cfgs: field
                        .attrs
                        .iter()
                        .filter(|attr| attr.path().is_ident("cfg"))
                        .collect(),
                })
            })
            .collect();
        Ok(Signal {
            original,
            is_async: args.is_async,
            durable: args.durable,
            name: args.name,
            response: args.response,
            krate: args.krate,
            fields,
        })
    }
}

/// What a signal named `ident` would hide in its module: the name of each
/// value and macro of the standard prelude.
fn shadowed_prelude_name(ident: &Ident) -> Option<String> {
    const VALUES: &[&str] = &["Some", "None", "Ok", "Err"];
    const MACROS: &[&str] = &[
        "assert",
        "assert_eq",
        "assert_ne",
        "cfg",
        "column",
        "compile_error",
        "concat",
        "dbg",
        "debug_assert",
        "debug_assert_eq",
        "debug_assert_ne",
        "env",
        "eprint",
        "eprintln",
        "file",
        "format",
        "format_args",
        "include",
        "include_bytes",
        "include_str",
        "line",
        "matches",
        "module_path",
        "option_env",
        "panic",
        "print",
        "println",
        "stringify",
        "thread_local",
        "todo",
        "unimplemented",
        "unreachable",
        "vec",
        "write",
        "writeln",
    ];
    let name = crate::text::unraw(ident);
    if VALUES.contains(&name.as_str()) {
        Some(name)
    } else if MACROS.contains(&name.as_str()) {
        Some(format!("{name}!"))
    } else {
        None
    }
}

fn not_a_struct(span: Span, what: &str) -> Error {
    Error::new(
        span,
        format!("#[signal] goes on a braced struct, not {what}: a signal is one struct whose fields are what receivers get"),
    )
}

/// Reports type and const parameters; lifetimes are allowed.
fn reject_generics(
    generics: &Generics,
    errors: &mut Errors,
    type_message: &str,
    const_message: &str,
) {
    for param in &generics.params {
        match param {
            GenericParam::Lifetime(_) => {}
            GenericParam::Type(param) => errors.push(Error::new(param.ident.span(), type_message)),
            GenericParam::Const(param) => {
                errors.push(Error::new(param.const_token.span, const_message));
            }
        }
    }
}

impl<'a> Receiver<'a> {
    pub(crate) fn from_syn(
        original: &'a ReceiverFn,
        args: ReceiverArgs,
        mut errors: Errors,
    ) -> syn::Result<Self> {
        let sig = &original.sig;
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
        let generic = match &args.signal {
            Ok(Signals::Many(key, _)) => generic_param(sig, *key, &mut errors),
            Ok(Signals::One(_)) => {
                reject_generics(&sig.generics, &mut errors, GENERIC, CONST_GENERIC);
                None
            }
            // The signals are missing or wrong, which is reported already:
            // whether the function may be generic is unknown.
            Err(_) => sig.generics.type_params().next().map(|param| &param.ident),
        };
        // How the messages name the signal: as the user did, when they did.
        let signal_name = match (&args.signal, generic) {
            (_, Some(param)) => param.to_string(),
            (Ok(Signals::One(path)), None) => path_text(path),
            _ => "Signal".to_string(),
        };
        let param = check_params(sig, &signal_name, &mut errors);
        if let Ok(Signals::One(signal)) = &args.signal {
            reject_second_registration(&original.attrs, signal, &mut errors);
        }
        if let (Some(generic), Ok(param)) = (generic, &param) {
            check_generic_param(generic, param, &mut errors);
        }
        errors.finish()?;
        Ok(Receiver {
            original,
            signals: match args.signal? {
                Signals::One(path) => vec![path],
                Signals::Many(_, paths) => paths,
            },
            generic,
            order: args.order.unwrap_or(0),
            name: args.name,
            filter: args.filter,
            krate: args.krate,
            durable: args.durable,
            retries: args.retries,
            param: param?,
            output: Output::of(&sig.output),
        })
    }
}

const GENERIC: &str = "a receiver generic over its signal needs the signals it is registered for: `#[receiver(signals = [A, B])]`; otherwise write the signal's type";
const CONST_GENERIC: &str =
    "a receiver cannot have const parameters: it is registered for one signal";

/// The one type parameter of a receiver declared with `signals = [...]`.
fn generic_param<'a>(sig: &'a Signature, key: Span, errors: &mut Errors) -> Option<&'a Ident> {
    let mut found = None;
    for param in &sig.generics.params {
        match param {
            GenericParam::Lifetime(_) => {}
            GenericParam::Type(param) if found.is_none() => found = Some(&param.ident),
            GenericParam::Type(param) => errors.push(Error::new(
                param.ident.span(),
                "a receiver with `signals = [...]` is generic over exactly one type parameter, the signal's type",
            )),
            GenericParam::Const(param) => errors.push(Error::new(param.const_token.span, CONST_GENERIC)),
        }
    }
    if found.is_none() {
        errors.push(Error::new(
            key,
            "`signals = [...]` registers a function generic over the signal, as in `fn audit<S: Signal>(event: &S)`; for one signal, write `signal = Path`",
        ));
    }
    found
}

/// Checks that a generic receiver's parameter is `&S`, `S` its type
/// parameter: each registration calls it with `S` set to one signal.
fn check_generic_param(generic: &Ident, param: &Type, errors: &mut Errors) {
    let is_generic =
        matches!(param, Type::Path(path) if path.qself.is_none() && path.path.is_ident(generic));
    if !is_generic {
        errors.push(Error::new_spanned(
            param,
            format!("a receiver generic over its signal takes `&{generic}`, a reference to its type parameter"),
        ));
    }
}

/// Checks that the only parameter is `&Signal`, and returns its type.
fn check_params<'a>(
    sig: &'a Signature,
    signal_name: &str,
    errors: &mut Errors,
) -> syn::Result<&'a Type> {
    let mut inputs = sig.inputs.iter();
    let mut is_method = false;
    let param = match inputs.next() {
        None => Err(Error::new(
            sig.paren_token.span.join(),
            format!("a receiver takes exactly one parameter, a reference to its signal: `(event: &{signal_name})`"),
        )),
        Some(FnArg::Receiver(receiver)) => {
            // A method's next parameter is probably the signal: once `self`
            // is gone it is right, so only `self` is reported.
            is_method = true;
            Err(Error::new(
                receiver.self_token.span,
                "#[receiver] goes on a free function, not a method: move it out of the `impl` block",
            ))
        }
        Some(FnArg::Typed(typed)) => match &*typed.ty {
            Type::Reference(reference) => match &reference.mutability {
                Some(token) => Err(Error::new(
                    token.span,
                    format!("receivers get a shared reference to the signal: write `&{signal_name}`, not `&mut {signal_name}`"),
                )),
                None if mentions_impl(reference.elem.to_token_stream()) => Err(Error::new_spanned(
                    &reference.elem,
                    "a receiver cannot be generic: it is registered for one signal, so write the signal's type",
                )),
                None => match static_lifetime(reference) {
                    Some(lifetime) => Err(Error::new_spanned(
                        lifetime,
                        format!("a receiver borrows the signal only while it is sent: write `&{signal_name}` (or `&{signal_name}<'_>`), without `'static`"),
                    )),
                    None => Ok(&*reference.elem),
                },
            },
            other => Err(Error::new_spanned(
                other,
                format!("receivers take the signal by reference: write `&{signal_name}` (a send hands the same signal to every receiver)"),
            )),
        },
    };
    errors.note(&param);
    for extra in inputs.filter(|_| !is_method) {
        errors.push(Error::new_spanned(
            extra,
            "a receiver takes exactly one parameter, a reference to its signal; remove this one",
        ));
    }
    param
}

impl<'a> Output<'a> {
    fn of(output: &'a ReturnType) -> Self {
        match output {
            ReturnType::Default => Output::Unit,
            ReturnType::Type(_, ty) => match &**ty {
                Type::Tuple(tuple) if tuple.elems.is_empty() => Output::Unit,
                Type::Never(_) => Output::Never(ty),
                _ if mentions_impl(ty.to_token_stream()) => Output::Opaque(ty),
                _ => Output::Type(ty),
            },
        }
    }
}

/// The first `'static` in a reference type, if any.
fn static_lifetime(reference: &syn::TypeReference) -> Option<TokenStream> {
    if let Some(lifetime) = &reference.lifetime {
        if lifetime.ident == "static" {
            return Some(lifetime.to_token_stream());
        }
    }
    find_static(reference.elem.to_token_stream())
}

fn find_static(tokens: TokenStream) -> Option<TokenStream> {
    let mut quote = None;
    for tree in tokens {
        match tree {
            proc_macro2::TokenTree::Group(group) => {
                if let Some(found) = find_static(group.stream()) {
                    return Some(found);
                }
            }
            proc_macro2::TokenTree::Punct(punct) if punct.as_char() == '\'' => {
                quote = Some(punct);
                continue;
            }
            proc_macro2::TokenTree::Ident(ident) if ident == "static" => {
                if let Some(quote) = quote {
                    return Some(quote! {#quote #ident});
                }
            }
            _ => {}
        }
        quote = None;
    }
    None
}

/// Reports a second `#[receiver]` for the same signal on this function: it
/// would be called twice per send.
fn reject_second_registration(attrs: &[Attribute], signal: &Path, errors: &mut Errors) {
    let ours = signal.to_token_stream().to_string();
    for attr in attrs {
        let is_receiver = attr
            .path()
            .segments
            .last()
            .is_some_and(|last| last.ident == "receiver");
        let syn::Meta::List(list) = &attr.meta else {
            continue;
        };
        if !is_receiver {
            continue;
        }
        let other = ReceiverArgs::parse(list.tokens.clone(), &mut Errors::default());
        if other.signal.is_ok_and(|other| {
            matches!(other, Signals::One(other) if other.to_token_stream().to_string() == ours)
        })
        {
            errors.push(Error::new_spanned(
                attr,
                format!("this function is already a receiver of `{}`: a second `#[receiver]` would call it twice per send", path_text(signal)),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(source: &str) -> syn::Result<ReceiverFn> {
        ReceiverFn::parse(source.parse().unwrap())
    }

    #[test]
    fn a_receiver_fn_is_parsed_up_to_its_body_and_kept_as_written() {
        let source = "#[inline] pub(crate) fn on_ping<'a>(event: &'a Ping) -> Result<(), E> where E: Sized { x + }";
        let Ok(function) = parsed(source) else {
            panic!("`{source}` parses: its body is not");
        };
        assert_eq!(function.sig.ident, "on_ping");
        assert_eq!(function.attrs.len(), 1);
        let written: TokenStream = source.parse().unwrap();
        assert_eq!(function.to_token_stream().to_string(), written.to_string());
    }

    #[test]
    fn what_is_not_a_function_with_a_body_is_refused() {
        for source in [
            "struct Ping {}",
            "fn on_ping(event: &Ping);",
            "fn on_ping(event: &Ping) {} fn other() {}",
            "fn on_ping(event: &Ping) -> [u8; 1]",
            "",
        ] {
            assert!(parsed(source).is_err(), "`{source}` is refused");
        }
    }
}
