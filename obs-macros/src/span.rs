//! Spans of generated code: the tokens obs writes are given the span of a user's token, so that
//! a diagnostic about them (an unmet trait bound, a type mismatch) points at that token rather
//! than at the whole attribute.

use proc_macro2::{Delimiter, Group, Ident, Span, TokenStream, TokenTree};
use quote::ToTokens;

/// `tokens` with every span set to `span`.
pub(crate) fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut tree| {
            if let TokenTree::Group(group) = &tree {
                let mut inner = Group::new(group.delimiter(), respan(group.stream(), span));
                inner.set_span(span);
                tree = inner.into();
            } else {
                tree.set_span(span);
            }
            tree
        })
        .collect()
}

/// `(tokens)`, the parentheses spanned at `span`: an expression the diagnostics about which
/// point at `span`.
pub(crate) fn parenthesized(tokens: impl ToTokens, span: Span) -> TokenStream {
    let mut group = Group::new(Delimiter::Parenthesis, tokens.to_token_stream());
    group.set_span(span);
    group.to_token_stream()
}

/// One of our mixed-site locals, reported at `span` (a user's token) in diagnostics.
pub(crate) fn located(local: &Ident, span: Span) -> Ident {
    Ident::new(&local.to_string(), span.resolved_at(Span::mixed_site()))
}
