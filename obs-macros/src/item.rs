//! The annotated function, parsed only as far as its signature.
//!
//! The body is kept as raw tokens and pasted back unparsed: a syntax error in it is then
//! reported by rustc itself, at the right place, and rust-analyzer keeps completing inside it
//! while the user types.

use proc_macro2::TokenStream;
use syn::parse::{Parse, ParseStream};
use syn::{Attribute, Signature, Token, Visibility, braced, token};

pub(crate) struct ObservedFn {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) sig: Signature,
    pub(crate) brace: token::Brace,
    pub(crate) body: TokenStream,
}

impl Parse for ObservedFn {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        let is_fn = input.peek(Token![fn])
            || input.peek(Token![async])
            || input.peek(Token![unsafe])
            || input.peek(Token![const])
            || input.peek(Token![extern]);
        if !is_fn {
            return Err(input.error("`#[observe]` goes on a function or a method"));
        }
        let sig: Signature = input.parse()?;
        if input.peek(Token![;]) {
            return Err(syn::Error::new_spanned(
                &sig.ident,
                "`#[observe]` needs a function body; put it on the implementations of this trait method, or give the method a default body",
            ));
        }
        let content;
        let brace = braced!(content in input);
        let body: TokenStream = content.parse()?;
        Ok(ObservedFn { attrs, vis, sig, brace, body })
    }
}
