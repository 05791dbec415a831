//! `#[observe]` on an `impl` block or a trait: every method with a body is observed with the
//! block's arguments, as if `#[observe(...)]` were on each; a method's own `#[observe(...)]`
//! adds to them and overrides them (see [`ObserveArgs::over`]), and `#[observe(skip)]` leaves it
//! out. Associated consts, types and macros, `const fn`s and trait methods without a default
//! body are left alone.
//!
//! A method with its own `#[golden_signals]` is left to it.
//!
//! A method's `function` label (and its span name after the module) says whose method it is:
//! `Type::method` in an inherent `impl`, `<Type as Trait>::method` in a trait's, and
//! `Trait::method` for a trait's default body, so that two types' `new` are two series.

use crate::attr::{ObserveArgs, Returns};
use crate::item::ObservedFn;
use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::parse::{ParseStream, Parser};
use syn::{Attribute, FnArg, ImplItem, ItemImpl, ItemTrait, Meta, ReturnType, TraitItem, Type};

/// What the attribute is on.
pub(crate) enum Target {
    Function,
    Impl,
    Trait,
}

impl Target {
    /// Looks past the item's attributes and visibility for `impl` or `trait`.
    pub(crate) fn of(item: &TokenStream) -> Target {
        let peek = |input: ParseStream<'_>| -> syn::Result<Target> {
            input.call(Attribute::parse_outer)?;
            input.parse::<syn::Visibility>()?;
            let _ = input.parse::<Option<syn::Token![default]>>()?;
            let _ = input.parse::<Option<syn::Token![unsafe]>>()?;
            let _ = input.parse::<Option<syn::Token![auto]>>()?;
            let target = if input.peek(syn::Token![impl]) {
                Target::Impl
            } else if input.peek(syn::Token![trait]) {
                Target::Trait
            } else {
                Target::Function
            };
            // The rest is not looked at here.
            input.parse::<TokenStream>()?;
            Ok(target)
        };
        peek.parse2(item.clone()).unwrap_or(Target::Function)
    }
}

/// What a method says of itself inside an observed block.
enum Own {
    /// No `#[observe]`: the block's arguments.
    Block,
    /// `#[observe(skip)]`: not observed.
    Skip,
    /// `#[observe(...)]`: these, over the block's.
    Args(Box<ObserveArgs>),
}

/// Whether an attribute is `#[observe…]` (or `#[obs::observe…]`, or through a re-export).
fn is_observe(attr: &Attribute) -> bool {
    attr.path().segments.last().is_some_and(|s| s.ident == "observe")
}

/// Takes a method's `#[observe…]` attribute out of `attrs`.
fn own_arguments(attrs: &mut Vec<Attribute>) -> syn::Result<Own> {
    let Some(at) = attrs.iter().position(is_observe) else {
        return Ok(Own::Block);
    };
    let attr = attrs.remove(at);
    if let Some(second) = attrs.iter().find(|a| is_observe(a)) {
        return Err(syn::Error::new_spanned(
            second,
            "a method takes one `#[observe(...)]`; merge them",
        ));
    }
    let tokens = match &attr.meta {
        Meta::Path(_) => return Ok(Own::Args(Box::default())),
        Meta::List(list) => list.tokens.clone(),
        Meta::NameValue(nv) => {
            return Err(syn::Error::new_spanned(nv, "write `#[observe(...)]`, with parentheses"));
        }
    };
    let skip_only = |input: ParseStream<'_>| -> syn::Result<bool> {
        let skip = input.parse::<Option<syn::Ident>>()?;
        Ok(skip.is_some_and(|s| s == "skip") && input.is_empty())
    };
    if skip_only.parse2(tokens.clone()).unwrap_or(false) {
        return Ok(Own::Skip);
    }
    let parser = |input: ParseStream<'_>| ObserveArgs::parse_for(input, false);
    Ok(Own::Args(Box::new(parser.parse2(tokens)?)))
}

/// The names a signature binds, for the block's `skip(...)` and `not_pii(...)`.
fn argument_names(sig: &syn::Signature) -> Vec<String> {
    sig.inputs
        .iter()
        .filter_map(|input| match input {
            FnArg::Receiver(_) => Some("self".to_owned()),
            FnArg::Typed(typed) => match &*typed.pat {
                syn::Pat::Ident(p) => Some(p.ident.to_string()),
                _ => None,
            },
        })
        .collect()
}

fn returns(output: &ReturnType) -> Returns {
    match output {
        ReturnType::Default => Returns::Unit,
        ReturnType::Type(_, ty) => match &**ty {
            Type::Tuple(t) if t.elems.is_empty() => Returns::Unit,
            Type::Path(p)
                if p.path
                    .segments
                    .last()
                    .is_some_and(|s| s.ident.to_string().ends_with("Result")) =>
            {
                Returns::Result
            }
            _ => Returns::Other,
        },
    }
}

/// One method: observed with its arguments over the block's, or left as it is.
fn method(
    mut attrs: Vec<Attribute>,
    rest: TokenStream,
    sig: &syn::Signature,
    block: &TokenStream,
    owner: &str,
) -> syn::Result<TokenStream> {
    // An entry point is its own attribute's to instrument.
    if attrs.iter().any(|a| a.path().segments.last().is_some_and(|s| s.ident == "golden_signals")) {
        return Ok(quote!(#(#attrs)* #rest));
    }
    let own = own_arguments(&mut attrs)?;
    let args = match own {
        Own::Skip => return Ok(quote!(#(#attrs)* #rest)),
        // A `const fn` cannot be observed; only an explicit request says so.
        Own::Block if sig.constness.is_some() => return Ok(quote!(#(#attrs)* #rest)),
        Own::Block => ObserveArgs::default(),
        Own::Args(args) => *args,
    };
    let parser = |input: ParseStream<'_>| ObserveArgs::parse_for(input, false);
    let block = parser.parse2(block.clone())?;
    let args = args.over(block, &argument_names(sig), returns(&sig.output))?;
    let function = syn::parse2::<ObservedFn>(quote!(#(#attrs)* #rest))?;
    crate::expand::expand(args, function, Some(owner))
}

/// `#[observe]` on `impl … { … }`.
pub(crate) fn expand_impl(args: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let parser = |input: ParseStream<'_>| ObserveArgs::parse_for(input, false);
    parser.parse2(args.clone())?.check_for_block()?;
    // A block that does not parse (a syntax error in a body) is left as written: the compiler
    // reports the error where it is, and the methods' own attributes still apply.
    let Ok(mut imp) = syn::parse2::<ItemImpl>(item.clone()) else { return Ok(item) };
    let ty = type_name(&imp.self_ty);
    let owner = match &imp.trait_ {
        Some((_, path, _)) => format!("<{ty} as {}>", path_name(path)),
        None => ty,
    };
    for item in &mut imp.items {
        if let ImplItem::Fn(f) = item {
            let attrs = std::mem::take(&mut f.attrs);
            let sig = f.sig.clone();
            let expanded = method(attrs, f.to_token_stream(), &sig, &args, &owner)?;
            *item = ImplItem::Verbatim(expanded);
        }
    }
    Ok(imp.into_token_stream())
}

/// `#[observe]` on `trait … { … }`: the default bodies.
pub(crate) fn expand_trait(args: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let parser = |input: ParseStream<'_>| ObserveArgs::parse_for(input, false);
    parser.parse2(args.clone())?.check_for_block()?;
    let Ok(mut tr) = syn::parse2::<ItemTrait>(item.clone()) else { return Ok(item) };
    let owner = tr.ident.to_string();
    for item in &mut tr.items {
        if let TraitItem::Fn(f) = item {
            if f.default.is_none() {
                // Only the implementations have a body. A method's own `#[observe]` stays, and
                // says so where it is.
                continue;
            }
            let attrs = std::mem::take(&mut f.attrs);
            let sig = f.sig.clone();
            let expanded = method(attrs, f.to_token_stream(), &sig, &args, &owner)?;
            *item = TraitItem::Verbatim(expanded);
        }
    }
    Ok(tr.into_token_stream())
}

/// A type as a label: the last segment of its path (`Vec<T>` is `Vec`), else as written.
fn type_name(ty: &Type) -> String {
    match ty {
        Type::Path(p) if p.qself.is_none() => {
            p.path.segments.last().map_or_else(String::new, |s| s.ident.to_string())
        }
        Type::Reference(r) => type_name(&r.elem),
        other => other.to_token_stream().to_string().replace(' ', ""),
    }
}

fn path_name(path: &syn::Path) -> String {
    path.segments.last().map_or_else(String::new, |s| s.ident.to_string())
}

/// The block as written, without its methods' `#[observe…]` attributes: what is emitted beside
/// an error, so that the error is the only one.
pub(crate) fn without_method_attributes(item: TokenStream) -> TokenStream {
    let strip = |attrs: &mut Vec<Attribute>| attrs.retain(|a| !is_observe(a));
    if let Ok(mut imp) = syn::parse2::<ItemImpl>(item.clone()) {
        for item in &mut imp.items {
            if let ImplItem::Fn(f) = item {
                strip(&mut f.attrs);
            }
        }
        return imp.into_token_stream();
    }
    if let Ok(mut tr) = syn::parse2::<ItemTrait>(item.clone()) {
        for item in &mut tr.items {
            if let TraitItem::Fn(f) = item {
                strip(&mut f.attrs);
            }
        }
        return tr.into_token_stream();
    }
    item
}
