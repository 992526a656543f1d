//! The strings the macros build from the user's tokens: names as the user
//! would write them, the catalog's type text and doc summary.

use proc_macro2::Ident;
use syn::ext::IdentExt;
use syn::{Attribute, Expr, ExprLit, Lit, Meta, MetaNameValue, Path};

/// An identifier as a name, without `r#`.
pub(crate) fn unraw(ident: &Ident) -> String {
    ident.unraw().to_string()
}

/// A path as the user wrote it, without arguments (`crate::events::Ping`),
/// for error messages.
pub(crate) fn path_text(path: &Path) -> String {
    let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    let leading = if path.leading_colon.is_some() {
        "::"
    } else {
        ""
    };
    format!("{leading}{}", segments.join("::"))
}

/// The summary of the item's `///` docs: its first paragraph, on one line
/// (what rustdoc shows in item lists).
pub(crate) fn doc_summary(attrs: &[Attribute]) -> String {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|attr| attr.path().is_ident("doc"))
        .filter_map(|attr| match &attr.meta {
            Meta::NameValue(MetaNameValue {
                value:
                    Expr::Lit(ExprLit {
                        lit: Lit::Str(doc), ..
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
pub(crate) fn tidy(tokens: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;
    use quote::ToTokens;

    fn type_text(ty: &str) -> String {
        let ty: syn::Type = syn::parse_str(ty).unwrap();
        tidy(&ty.to_token_stream().to_string())
    }

    #[test]
    fn tidy_writes_types_as_source_does() {
        assert_eq!(type_text("&'a str"), "&'a str");
        assert_eq!(type_text("Option<u8>"), "Option<u8>");
        assert_eq!(type_text("Vec<Option<&'a [u8]>>"), "Vec<Option<&'a [u8]>>");
        assert_eq!(type_text("(u8, String)"), "(u8, String)");
        assert_eq!(type_text("[u8; 4]"), "[u8; 4]");
        assert_eq!(
            type_text("std::collections::HashMap<String, u64>"),
            "std::collections::HashMap<String, u64>"
        );
        assert_eq!(type_text("&mut u8"), "&mut u8");
        assert_eq!(tidy(""), "");
        assert_eq!(tidy(" u8 "), "u8");
    }

    #[test]
    fn doc_summary_is_the_first_paragraph_on_one_line() {
        let cases = [
            ("", ""),
            ("/// One line.", "One line."),
            (
                "/// First\n/// line.\n///\n/// Second paragraph.",
                "First line.",
            ),
            (
                "///\n/// After a blank line.\n#[derive(Debug)]",
                "After a blank line.",
            ),
            ("/** Block\n  doc.\n\n Rest. */", "Block doc."),
            ("#[doc = \"Attribute doc.\"]", "Attribute doc."),
            ("#[doc(hidden)]", ""),
        ];
        for (source, summary) in cases {
            let item: syn::ItemStruct =
                syn::parse_str(&format!("{source}\nstruct S {{}}")).unwrap();
            assert_eq!(doc_summary(&item.attrs), summary, "{source:?}");
        }
    }

    #[test]
    fn names_drop_raw_prefixes_and_arguments() {
        let raw: Ident = syn::parse_str("r#type").unwrap();
        assert_eq!(unraw(&raw), "type");
        let plain: Ident = syn::parse_str("Ñandú").unwrap();
        assert_eq!(unraw(&plain), "Ñandú");
        let path = |text: &str| path_text(&syn::parse_str::<Path>(text).unwrap());
        assert_eq!(path("Ping"), "Ping");
        assert_eq!(path("crate::events::Ping"), "crate::events::Ping");
        assert_eq!(path("::app::Ping<'static>"), "::app::Ping");
    }
}
