//! A durable signal's serde bounds, written out: `#[signal(durable)]` adds
//! `#[serde(bound(serialize = "Field: Serialize", deserialize = ...))]`
//! for each field's type, so that a field serde cannot handle is one error
//! at the user's derive ("the trait bound `Connection: Serialize` is not
//! satisfied"), not four inside serde's generated code, whose notes name
//! serde's private items. For the fields that serialise, the bounds hold
//! and change nothing: a durable signal has no type parameters.

use quote::ToTokens;
use syn::punctuated::Punctuated;
use syn::{Attribute, ItemStruct, LitStr, Path, Token};

/// `item` with the bounds added, or `None` where they must not be: no
/// serde derive below `#[signal]`, or the user's own `bound`, `into`,
/// `from`, `try_from` or `remote`, under which the fields' types need not
/// implement serde's traits.
pub(crate) fn with_bounds(item: &ItemStruct) -> Option<ItemStruct> {
    let (serialize, deserialize) = derives(&item.attrs);
    if (serialize.is_none() && deserialize.is_none())
        || serde_keys(&item.attrs)
            .any(|key| ["bound", "into", "from", "try_from", "remote"].contains(&key.as_str()))
    {
        return None;
    }
    let mut types: Vec<String> = Vec::new();
    for field in &item.fields {
        // A field under `#[cfg]` may name a type that does not exist; one
        // with its own (de)serialiser or skipped needs no impl of its type.
        let cfg = field
            .attrs
            .iter()
            .any(|a| a.path().is_ident("cfg") || a.path().is_ident("cfg_attr"));
        let own = serde_keys(&field.attrs).any(|key| {
            matches!(
                key.as_str(),
                "with"
                    | "serialize_with"
                    | "deserialize_with"
                    | "skip"
                    | "skip_serializing"
                    | "skip_deserializing"
                    | "bound"
                    | "getter"
            )
        });
        let ty = field.ty.to_token_stream().to_string();
        // A type that holds the signal itself would make the bound ask for
        // the impl it bounds: left to serde.
        let recursive = ty
            .split(|c: char| !c.is_alphanumeric() && c != '_')
            .any(|word| word == "Self" || item.ident == word);
        if !cfg && !own && !recursive && !types.contains(&ty) {
            types.push(ty);
        }
    }
    if types.is_empty() {
        return None;
    }
    let bound = |trait_path: &Path, suffix: &str| {
        let name = trait_path.to_token_stream().to_string();
        let predicates: Vec<String> = types
            .iter()
            .map(|ty| format!("{ty}: {name}{suffix}"))
            .collect();
        // At the derive: where serde reports a field it cannot handle.
        LitStr::new(
            &predicates.join(", "),
            syn::spanned::Spanned::span(trait_path),
        )
    };
    let keys = [
        serialize.map(|path| {
            let lit = bound(&path, "");
            quote::quote!(serialize = #lit)
        }),
        deserialize.map(|path| {
            let lit = bound(&path, "<'de>");
            quote::quote!(deserialize = #lit)
        }),
    ];
    let keys = keys.into_iter().flatten();
    let mut item = item.clone();
    item.attrs
        .push(syn::parse_quote!(#[serde(bound(#(#keys),*))]));
    Some(item)
}

/// The paths of `Serialize` and `Deserialize` in the struct's derives.
fn derives(attrs: &[Attribute]) -> (Option<Path>, Option<Path>) {
    let (mut serialize, mut deserialize) = (None, None);
    for attr in attrs.iter().filter(|a| a.path().is_ident("derive")) {
        let Ok(paths) = attr.parse_args_with(Punctuated::<Path, Token![,]>::parse_terminated)
        else {
            continue;
        };
        for path in paths {
            match path.segments.last().map(|s| s.ident.to_string()).as_deref() {
                Some("Serialize") => serialize = Some(path),
                Some("Deserialize") => deserialize = Some(path),
                _ => {}
            }
        }
    }
    (serialize, deserialize)
}

/// The keys of the `#[serde(...)]` attributes: `rename_all`, `bound`, ...
fn serde_keys(attrs: &[Attribute]) -> impl Iterator<Item = String> + '_ {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("serde"))
        .filter_map(|a| a.meta.require_list().ok())
        .flat_map(|list| list.tokens.clone())
        .filter_map(|token| match token {
            proc_macro2::TokenTree::Ident(ident) => Some(ident.to_string()),
            _ => None,
        })
}
