//! `#[derive(Redact)]`: a `Debug` (and on request `Display` and `serde::Serialize`) that masks
//! the fields marked `#[redact]`, and the `Redacted` marker that lets obs record the type.
//!
//! Field attributes: `#[redact]` (`[REDACTED]`), `#[redact(partial)]` (keeps the shape: an
//! email's first letter and domain, a card's last four digits), `#[redact(hash)]` (a keyed hash,
//! equal for equal values within the process), `#[redact(skip)]` (left out), and `#[not_pii]`
//! (a field named like personal data that holds none). Container attributes:
//! `#[redact(display)]`, `#[redact(serialize)]` (needs obs's `serde` feature),
//! `#[redact(crate = path)]`.

use crate::pii;
use crate::span::respan;
use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Ident, Path, Type};

/// How one field is shown.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Clear,
    Full,
    Partial,
    Hash,
    Skip,
}

struct Field {
    /// `None` for tuple fields.
    name: Option<Ident>,
    ty: Type,
    mode: Mode,
    /// A clear field named like personal data: its type must redact it (checked in the code).
    named_like_pii: bool,
}

struct Variant {
    /// `None` for a struct.
    ident: Option<Ident>,
    style: Style,
    fields: Vec<Field>,
}

#[derive(Clone, Copy, PartialEq)]
enum Style {
    Named,
    Tuple,
    Unit,
}

#[derive(Default)]
struct Container {
    display: bool,
    serialize: bool,
    krate: Option<Path>,
}

pub(crate) fn derive(input: DeriveInput) -> syn::Result<TokenStream> {
    let container = container_attrs(&input)?;
    let variants = match &input.data {
        Data::Struct(data) => vec![variant(None, &data.fields)?],
        Data::Enum(data) => data
            .variants
            .iter()
            .map(|v| variant(Some(v.ident.clone()), &v.fields))
            .collect::<syn::Result<_>>()?,
        Data::Union(u) => {
            return Err(syn::Error::new(
                u.union_token.span,
                "`#[derive(Redact)]` cannot redact a union: it cannot tell which field holds the value",
            ));
        }
    };
    let redacts_something = variants.iter().flat_map(|v| &v.fields).any(|f| f.mode != Mode::Clear);
    if !redacts_something {
        return Err(syn::Error::new(
            input.ident.span(),
            format!(
                "`#[derive(Redact)]` on `{}` redacts nothing; mark the fields that hold personal data with `#[redact]` (or `#[redact(partial)]`, `#[redact(hash)]`, `#[redact(skip)]`), or derive `Debug` instead",
                input.ident
            ),
        ));
    }

    let krate = container.krate.as_ref().map_or_else(|| quote!(::obs), ToTokens::to_token_stream);
    let private = quote!(#krate::__private);
    let ident = &input.ident;
    let name = ident.unraw().to_string();
    let params: Vec<Ident> = input.generics.type_params().map(|p| p.ident.clone()).collect();

    let mut debug_generics = input.generics.clone();
    let mut serialize_generics = input.generics.clone();
    for field in variants.iter().flat_map(|v| &v.fields) {
        if !mentions(&field.ty, &params) {
            continue;
        }
        let ty = &field.ty;
        let bound = match field.mode {
            Mode::Clear => Some(quote!(#ty: ::core::fmt::Debug)),
            Mode::Partial => Some(quote!(#ty: ::core::fmt::Display)),
            Mode::Hash => Some(quote!(#ty: ::core::hash::Hash)),
            Mode::Full | Mode::Skip => None,
        };
        if let Some(bound) = &bound {
            debug_generics.make_where_clause().predicates.push(syn::parse_quote!(#bound));
        }
        // Serialize writes clear fields with their own `Serialize`, masked ones as strings.
        let serialize_bound = match field.mode {
            Mode::Clear => Some(quote!(#ty: #private::serde::Serialize)),
            _ => bound,
        };
        if let Some(bound) = serialize_bound {
            serialize_generics.make_where_clause().predicates.push(syn::parse_quote!(#bound));
        }
    }

    let arms = variants.iter().map(|v| debug_arm(v, &name, &private));
    let (impl_generics, ty_generics, where_clause) = debug_generics.split_for_impl();
    let mut out = quote! {
        impl #impl_generics ::core::fmt::Debug for #ident #ty_generics #where_clause {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                match self {
                    #(#arms)*
                }
            }
        }

        impl #impl_generics #private::Redacted for #ident #ty_generics #where_clause {}
    };
    if container.display {
        out.extend(quote! {
            impl #impl_generics ::core::fmt::Display for #ident #ty_generics #where_clause {
                fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    ::core::fmt::Debug::fmt(self, f)
                }
            }
        });
    }
    if container.serialize {
        let (impl_generics, ty_generics, where_clause) = serialize_generics.split_for_impl();
        let arms = variants.iter().enumerate().map(|(i, v)| serialize_arm(v, i, &name, &private));
        out.extend(quote! {
            impl #impl_generics #private::serde::Serialize for #ident #ty_generics #where_clause {
                fn serialize<S: #private::serde::Serializer>(&self, serializer: S) -> ::core::result::Result<S::Ok, S::Error> {
                    use #private::serde::ser::{SerializeStruct as _, SerializeStructVariant as _, SerializeTupleStruct as _, SerializeTupleVariant as _};
                    match self {
                        #(#arms)*
                    }
                }
            }
        });
    }
    Ok(out)
}

fn container_attrs(input: &DeriveInput) -> syn::Result<Container> {
    let mut container = Container::default();
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("redact")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("display") {
                container.display = true;
            } else if meta.path.is_ident("serialize") {
                container.serialize = true;
            } else if meta.path.is_ident("crate") {
                container.krate = Some(meta.value()?.call(Path::parse_mod_style)?);
            } else {
                return Err(meta.error(
                    "unknown `redact` option on a type; expected `display`, `serialize` or `crate = path` (field modes go on fields)",
                ));
            }
            Ok(())
        })?;
    }
    if let Some(attr) = input.attrs.iter().find(|a| a.path().is_ident("not_pii")) {
        return Err(syn::Error::new_spanned(attr, "`#[not_pii]` goes on a field, not on the type"));
    }
    Ok(container)
}

fn variant(ident: Option<Ident>, fields: &Fields) -> syn::Result<Variant> {
    let style = match fields {
        Fields::Named(_) => Style::Named,
        Fields::Unnamed(_) => Style::Tuple,
        Fields::Unit => Style::Unit,
    };
    let fields = fields.iter().map(field).collect::<syn::Result<_>>()?;
    Ok(Variant { ident, style, fields })
}

fn field(field: &syn::Field) -> syn::Result<Field> {
    let mut mode: Option<(Mode, Span)> = None;
    let mut not_pii: Option<&syn::Attribute> = None;
    for attr in &field.attrs {
        if attr.path().is_ident("not_pii") {
            attr.meta.require_path_only()?;
            not_pii = Some(attr);
        } else if attr.path().is_ident("redact") {
            let found = if matches!(attr.meta, syn::Meta::Path(_)) {
                Mode::Full
            } else {
                let mut found = None;
                attr.parse_nested_meta(|meta| {
                    let m = if meta.path.is_ident("partial") {
                        Mode::Partial
                    } else if meta.path.is_ident("hash") {
                        Mode::Hash
                    } else if meta.path.is_ident("skip") {
                        Mode::Skip
                    } else if meta.path.is_ident("full") {
                        Mode::Full
                    } else {
                        return Err(meta.error(
                            "unknown redaction; expected `#[redact]`, `#[redact(partial)]`, `#[redact(hash)]` or `#[redact(skip)]`",
                        ));
                    };
                    if found.replace(m).is_some() {
                        return Err(meta.error("one redaction per field; keep one"));
                    }
                    Ok(())
                })?;
                found.unwrap_or(Mode::Full)
            };
            if mode.replace((found, attr.span())).is_some() {
                return Err(syn::Error::new_spanned(attr, "one `#[redact…]` per field; keep one"));
            }
        }
    }
    if let (Some(attr), Some(_)) = (not_pii, mode) {
        return Err(syn::Error::new_spanned(
            attr,
            "a field cannot be both `#[not_pii]` and `#[redact…]`; keep one",
        ));
    }
    // A clear field named like personal data is allowed only if its type redacts it (a
    // `Secret<_>`, a `Redact` type); the check is a trait bound in the generated code, spanned
    // at the name, whose message lists the fixes.
    let named_like_pii = mode.is_none()
        && not_pii.is_none()
        && field
            .ident
            .as_ref()
            .is_some_and(|name| pii::matches(&name.unraw().to_string()).is_some());
    Ok(Field {
        name: field.ident.clone(),
        ty: field.ty.clone(),
        mode: mode.map_or(Mode::Clear, |(m, _)| m),
        named_like_pii,
    })
}

/// Whether `ty` mentions one of the type parameters.
fn mentions(ty: &Type, params: &[Ident]) -> bool {
    ty.to_token_stream()
        .into_iter()
        .any(|tree| matches!(tree, proc_macro2::TokenTree::Ident(i) if params.contains(&i)))
        || ty.to_token_stream().into_iter().any(|tree| match tree {
            proc_macro2::TokenTree::Group(g) => {
                mentions(&syn::parse2(g.stream()).unwrap_or(Type::Verbatim(g.stream())), params)
            }
            _ => false,
        })
}

fn bindings(variant: &Variant) -> Vec<Ident> {
    variant
        .fields
        .iter()
        .enumerate()
        .map(|(i, f)| match &f.name {
            Some(name) => format_ident!("__obs_{}", name.unraw()),
            None => format_ident!("__obs_{i}"),
        })
        .collect()
}

fn pattern(variant: &Variant, bindings: &[Ident]) -> TokenStream {
    let path = match &variant.ident {
        Some(v) => quote!(Self::#v),
        None => quote!(Self),
    };
    match variant.style {
        Style::Named => {
            let names = variant.fields.iter().map(|f| &f.name);
            quote!(#path { #(#names: #bindings),* })
        }
        Style::Tuple => quote!(#path(#(#bindings),*)),
        Style::Unit => quote!(#path),
    }
}

/// The value shown for a field (a reference), or `None` when it is skipped.
fn shown(field: &Field, binding: &Ident, private: &TokenStream) -> Option<TokenStream> {
    Some(match field.mode {
        Mode::Clear => quote!(#binding),
        Mode::Full => quote!(&::core::format_args!("{}", #private::MASK)),
        Mode::Partial => quote!(&::core::format_args!("{}", #private::partial(#binding))),
        Mode::Hash => quote!(&::core::format_args!("{}", #private::hashed(#binding))),
        Mode::Skip => return None,
    })
}

fn debug_arm(variant: &Variant, type_name: &str, private: &TokenStream) -> TokenStream {
    let bindings = bindings(variant);
    let pattern = pattern(variant, &bindings);
    let name =
        variant.ident.as_ref().map_or_else(|| type_name.to_owned(), |v| v.unraw().to_string());
    let skipped = variant.fields.iter().any(|f| f.mode == Mode::Skip);
    let entries = variant.fields.iter().zip(&bindings).filter_map(|(f, b)| {
        let value = shown(f, b, private)?;
        Some(match &f.name {
            Some(field) => {
                let field = field.unraw().to_string();
                quote!(d.field(#field, #value);)
            }
            None => quote!(d.field(#value);),
        })
    });
    let checks =
        variant.fields.iter().zip(&bindings).filter(|(f, _)| f.named_like_pii).map(|(f, b)| {
            let span = f.name.as_ref().map_or_else(Span::call_site, Ident::span);
            let check = respan(quote!(#private::field_named_like_pii), span);
            let value = Ident::new(&b.to_string(), span);
            quote_spanned!(span=> #check(#value);)
        });
    let finish = if skipped { quote!(d.finish_non_exhaustive()) } else { quote!(d.finish()) };
    let body = match variant.style {
        Style::Named => {
            quote!({ #(#checks)* let mut d = f.debug_struct(#name); #(#entries)* #finish })
        }
        Style::Tuple => quote!({ let mut d = f.debug_tuple(#name); #(#entries)* #finish }),
        Style::Unit => quote!(f.write_str(#name)),
    };
    quote!(#[allow(unused_variables)] #pattern => #body,)
}

fn serialize_arm(
    variant: &Variant,
    index: usize,
    type_name: &str,
    private: &TokenStream,
) -> TokenStream {
    let bindings = bindings(variant);
    let pattern = pattern(variant, &bindings);
    let index = index as u32;
    let kept: Vec<(&Field, &Ident)> =
        variant.fields.iter().zip(&bindings).filter(|(f, _)| f.mode != Mode::Skip).collect();
    let len = kept.len();
    let values = kept.iter().map(|(f, b)| match f.mode {
        Mode::Clear => quote!(#b),
        Mode::Full => quote!(#private::MASK),
        Mode::Partial => quote!(&#private::partial(#b)),
        Mode::Hash => quote!(&#private::hashed(#b)),
        Mode::Skip => unreachable!("skipped fields are filtered out"),
    });
    let names = kept
        .iter()
        .map(|(f, _)| f.name.as_ref().map(|n| n.unraw().to_string()).unwrap_or_default());
    let variant_name = variant.ident.as_ref().map(|v| v.unraw().to_string());
    // How serde is told of the value: a struct or a tuple, of a struct or an enum's variant.
    let begin = match (&variant_name, variant.style) {
        (None, Style::Named) => quote!(serialize_struct(#type_name, #len)),
        (None, Style::Tuple) => quote!(serialize_tuple_struct(#type_name, #len)),
        (None, Style::Unit) => quote!(serialize_unit_struct(#type_name)),
        (Some(v), Style::Named) => quote!(serialize_struct_variant(#type_name, #index, #v, #len)),
        (Some(v), Style::Tuple) => quote!(serialize_tuple_variant(#type_name, #index, #v, #len)),
        (Some(v), Style::Unit) => quote!(serialize_unit_variant(#type_name, #index, #v)),
    };
    let body = match variant.style {
        Style::Named => quote!({
            let mut s = serializer.#begin?;
            #(s.serialize_field(#names, #values)?;)*
            s.end()
        }),
        Style::Tuple => quote!({
            let mut s = serializer.#begin?;
            #(s.serialize_field(#values)?;)*
            s.end()
        }),
        Style::Unit => quote!(serializer.#begin),
    };
    quote!(#[allow(unused_variables)] #pattern => #body,)
}
