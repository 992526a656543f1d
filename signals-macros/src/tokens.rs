//! Token rewrites the receiver's expansion needs.

use proc_macro2::{Group, Ident, Span, TokenStream, TokenTree};

/// The same tokens, every one of them spanned at `span`.
pub(crate) fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut tree| {
            if let TokenTree::Group(group) = &tree {
                let mut inner = Group::new(group.delimiter(), respan(group.stream(), span));
                inner.set_span(span);
                tree = TokenTree::Group(inner);
            } else {
                tree.set_span(span);
            }
            tree
        })
        .collect()
}

/// The tokens with each of `lifetimes` (names without the quote) replaced
/// by `'_`.
pub(crate) fn elide(tokens: TokenStream, lifetimes: &[String]) -> TokenStream {
    let mut out = Vec::new();
    let mut after_quote = false;
    for tree in tokens {
        let tree = match tree {
            TokenTree::Group(group) => {
                let mut inner = Group::new(group.delimiter(), elide(group.stream(), lifetimes));
                inner.set_span(group.span());
                TokenTree::Group(inner)
            }
            TokenTree::Ident(ident)
                if after_quote && lifetimes.iter().any(|lifetime| ident == lifetime) =>
            {
                TokenTree::Ident(Ident::new("_", ident.span()))
            }
            other => other,
        };
        after_quote = matches!(&tree, TokenTree::Punct(punct) if punct.as_char() == '\'');
        out.push(tree);
    }
    out.into_iter().collect()
}

/// Whether a type contains `impl Trait` anywhere.
pub(crate) fn mentions_impl(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|tree| match tree {
        TokenTree::Ident(ident) => ident == "impl",
        TokenTree::Group(group) => mentions_impl(group.stream()),
        _ => false,
    })
}
