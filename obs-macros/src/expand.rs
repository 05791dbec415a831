//! Code generation for `#[observe]`.
//!
//! Every function becomes: a per-function `static` site, a [`Call`] guard holding the span, the
//! original body run inside a closure (sync), an `async move` block (async fn), or as the
//! creation of a future (`-> impl Future`, `#[async_trait]`), and a completion step that
//! classifies the return value. The guard records `panic`/`cancelled` when it is dropped without
//! completing. All runtime calls go through `<crate>::__private`.
//!
//! [`Call`]: ../obs_runtime/__private/struct.Call.html

use crate::attr::{FieldArg, Format, GoldenArgs, Kind, Level, ObserveArgs, Sigil};
use crate::item::ObservedFn;
use crate::span::{located, parenthesized, respan};
use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::visit_mut::VisitMut;
use syn::{
    FnArg, GenericArgument, Ident, LitStr, Pat, PathArguments, ReturnType, Type, TypeParamBound,
};

/// What kind of function this is, which decides where the call begins and ends.
enum Shape {
    /// A plain function: the call is the body's execution.
    Sync,
    /// `async fn`: the call begins at the first poll and ends when the body completes.
    AsyncFn,
    /// `fn -> impl Future` or `fn -> Pin<Box<dyn Future>>` (`#[async_trait]`): the call begins
    /// when the function is called and ends when the returned future completes.
    ReturnsFuture { boxed: bool },
}

/// A value recorded as a span field.
struct Recorded {
    name: String,
    value: TokenStream,
    /// For a `fields(...)` expression: `let local = &(expr);`, so that a temporary it makes
    /// lives as long as the recorded values that borrow it.
    binding: Option<TokenStream>,
}

/// `owner` is the type or trait whose method this is, when the attribute is on its block: it
/// goes before the name in the `function` label (`Type::method`).
pub(crate) fn expand(
    args: ObserveArgs,
    item: ObservedFn,
    owner: Option<&str>,
) -> syn::Result<TokenStream> {
    let ObservedFn { attrs, vis, sig, brace, body } = item;
    if let Some(constness) = &sig.constness {
        return Err(syn::Error::new_spanned(
            constness,
            "`#[observe]` cannot instrument a `const fn`: it reads a clock and records a span at run time; remove `const` or `#[observe]`",
        ));
    }
    let shape = if sig.asyncness.is_some() {
        Shape::AsyncFn
    } else if let Some(boxed) = returns_future(&sig.output) {
        Shape::ReturnsFuture { boxed }
    } else {
        Shape::Sync
    };
    check_return_options(&args, &sig.output, &shape)?;

    let krate = match &args.krate {
        Some(path) => path.to_token_stream(),
        None => quote!(::obs),
    };
    let private = quote!(#krate::__private);
    let tracing = quote!(#private::tracing);
    let function = match owner {
        Some(owner) => format!("{owner}::{}", sig.ident.unraw()),
        None => sig.ident.unraw().to_string(),
    };
    let name = match &args.name {
        Some(name) => name.to_token_stream(),
        None => quote!(::core::concat!(::core::module_path!(), "::", #function)),
    };
    let target = match &args.target {
        Some(target) => target.to_token_stream(),
        None => quote!(::core::module_path!()),
    };
    let level = Ident::new(args.level.unwrap_or(Level::Info).constant(), Span::call_site());
    let level = quote!(#tracing::Level::#level);

    let recorded = recorded_values(&args, &sig, &private)?;
    let recorded_tuple = Ident::new("obs_recorded", Span::mixed_site());
    let obs_parent = Ident::new("obs_parent", Span::mixed_site());
    let parent = match &args.parent {
        Some(_) => quote!(::core::option::Option::Some(#obs_parent.tracing_parent())),
        None => quote!(::core::option::Option::None),
    };
    // The callsite's statics, as `tracing::span!` writes them, and one call that does the rest
    // (see `obs_runtime::__private::tracing_span`): a smaller expansion than `span!`'s.
    let span_fields = recorded.iter().map(|Recorded { name, .. }| name);
    let span_values = (0..recorded.len()).map(|i| {
        let i = syn::Index::from(i);
        quote!(::core::option::Option::Some(&#recorded_tuple.#i as &dyn #tracing::Value))
    });
    let empty =
        quote!(::core::option::Option::Some(&#tracing::field::Empty as &dyn #tracing::Value));
    let fields =
        quote!(#(#span_fields,)* "otel.status_code", "otel.status_description", "error.type");
    let (statics, callsite) = callsite(&tracing, &name, &target, &level, &fields, quote!(SPAN));
    let span = quote! {{
        #statics
        #private::tracing_span(&#callsite, #parent, &[#(#span_values,)* #empty, #empty, #empty])
    }};

    // Our locals use mixed-site hygiene: the user's body can neither see nor shadow them.
    let call = Ident::new("obs_call", Span::mixed_site());
    let ret = Ident::new("obs_ret", Span::mixed_site());
    let completion = completion(&args, &private, &tracing, &target, &level, &call, &ret);
    let site = Ident::new("OBS_SITE", Span::mixed_site());
    let labels = args.labels.iter().flatten().map(|(k, v)| quote!((#k, #v)));
    let labels = quote!(&[#(#labels),*]);
    let field_names = recorded.iter().map(|Recorded { name, .. }| name);
    let site_new = quote! {
        #private::Site::new(#name, #function, ::core::module_path!(), #target, #level, &[#(#field_names),*], #labels)
    };
    let (operation, site_new) = match &args.golden {
        None => (None, site_new),
        Some(golden) => {
            let op = Ident::new("OBS_OPERATION", Span::mixed_site());
            let declaration = operation_declaration(golden, &op, &function, &private);
            (Some(declaration), quote!(#site_new.golden(&#op)))
        }
    };
    // The call starts on obs's own span path (its fields passed as values) or with a
    // `tracing` span, as the runtime decides (see `obs_runtime::__private::mode`), or not at all
    // (`None`) when no metrics are collected and no subscriber listens at this level.
    // The recorded values are written once, in one tuple, whichever path records them: a
    // value that breaks a rule (a `Pii` type without a redacted form) is then one error.
    let values = recorded.iter().map(|Recorded { value, .. }| value);
    let bindings = recorded.iter().filter_map(|r| r.binding.as_ref());
    let recorded_tuple = Ident::new("obs_recorded", Span::mixed_site());
    let indices = (0..recorded.len()).map(syn::Index::from).collect::<Vec<_>>();
    let native_call = quote!(#private::Call::native(
        &#site,
        &[#(&#recorded_tuple.#indices as &dyn #tracing::Value),*]
    ));
    let tracing_call = quote!(#private::Call::start(&#site, #span));
    // `parent = …`: evaluated once, given to whichever path records the call.
    let (parent_binding, native_call, tracing_call) = match &args.parent {
        None => (None, native_call, tracing_call),
        Some(expr) => {
            let parent_of = respan(quote!(#private::parent_of), expr.span());
            let binding = quote_spanned!(expr.span()=> let #obs_parent = #parent_of(#expr););
            let native = quote!(#private::Call::native_with(
                &#site,
                &[#(&#recorded_tuple.#indices as &dyn #tracing::Value),*],
                ::core::option::Option::Some(&#obs_parent),
            ));
            (Some(binding), native, quote!(#obs_parent.run(|| #tracing_call)))
        }
    };
    let started = Ident::new("obs_started", Span::mixed_site());
    let link = args.follows_from.as_ref().map(|expr| {
        let links_of = respan(quote!(#private::links_of), expr.span());
        let links = quote_spanned!(expr.span()=> #links_of(#expr));
        quote!(#started.link(#links);)
    });
    let mode = Ident::new("obs_mode", Span::mixed_site());
    let start = quote! {
        #operation
        static #site: #private::Site = #site_new;
        #[allow(unused_imports)]
        use #private::recording::*;
        let #mode = #private::mode(#level);
        let #call = if let #private::Mode::Off = #mode {
            ::core::option::Option::None
        } else {
            #(#bindings)*
            #[allow(clippy::unused_unit)]
            let #recorded_tuple = (#(#values,)*);
            #parent_binding
            let #started = match #mode {
                #private::Mode::Native => #native_call,
                _ => #tracing_call,
            };
            #link
            ::core::option::Option::Some(#started)
        };
    };

    let return_type = match (&shape, &sig.output) {
        (Shape::ReturnsFuture { .. }, _) | (_, ReturnType::Default) => None,
        (_, ReturnType::Type(_, ty)) => fake_return_type(ty),
    };
    let inference_hint = return_type.map(|ty| {
        let fake = format_ident!("obs_fake_return", span = Span::mixed_site());
        quote! {
            #[allow(
                unknown_lints,
                unreachable_code,
                clippy::diverging_sub_expression,
                clippy::empty_loop,
                clippy::let_unit_value,
                clippy::let_with_type_underscore,
                clippy::needless_return,
                clippy::unreachable
            )]
            if false {
                let #fake: #ty = loop {};
                return #fake;
            }
        }
    });
    // The original body, as a block of its own so that its inner attributes stay valid.
    let body = quote_spanned!(brace.span.join()=> { #body });
    let entered = Ident::new("_obs_entered", Span::mixed_site());
    // The output's type, when the signature spells it out (`impl Future<Output = T>`), so that
    // the completion is checked against it rather than against a half-inferred async block.
    let output = match (&shape, &sig.output) {
        (Shape::ReturnsFuture { .. }, ReturnType::Type(_, ty)) => {
            future_output(ty).and_then(fake_return_type).map_or_else(|| quote!(_), |t| quote!(#t))
        }
        _ => quote!(_),
    };
    let on_complete = quote! {
        |#call: &#private::Call, #ret: &#output| { #completion }
    };

    let body_fn = Ident::new("obs_body", Span::mixed_site());
    // A call not started runs the body directly: a cost of two loads per call. The body is
    // written once either way; the call starts first because its span records the arguments
    // the body then takes.
    let new_body = match shape {
        Shape::Sync => {
            let run = quote!(#private::run(#body_fn));
            quote! {
                #start
                let #body_fn = move || { #inference_hint #body };
                let ::core::option::Option::Some(#call) = #call else {
                    return #run;
                };
                let #entered = #call.enter();
                let #ret = #run;
                {
                    let #ret = &#ret;
                    #completion
                }
                #ret
            }
        }
        Shape::AsyncFn => quote! {
            #start
            let #body_fn = async move { #inference_hint #body };
            let ::core::option::Option::Some(#call) = #call else {
                return #body_fn.await;
            };
            #private::ObservedFuture::new(#call, #body_fn, #on_complete).await
        },
        // No fast path: the function must return one future type either way, and creating a
        // future is not the nanosecond-scale hot path the fast path is for. A call not started
        // starts with a disabled span.
        Shape::ReturnsFuture { boxed } => {
            let future = Ident::new("obs_future", Span::mixed_site());
            let observed = quote!(#private::ObservedFuture::new(#call, #future, #on_complete));
            let observed = if boxed { quote!(::std::boxed::Box::pin(#observed)) } else { observed };
            quote! {
                #start
                let #call = #call
                    .unwrap_or_else(|| #private::Call::start(&#site, #tracing::Span::none()));
                let #future = {
                    let #entered = #call.enter();
                    #[allow(clippy::redundant_closure_call)]
                    (move || #body)()
                };
                #observed
            }
        }
    };

    Ok(quote! {
        #(#attrs)*
        #vis #sig {
            #new_body
        }
    })
}

/// The `Operation` static of a `#[golden_signals]` function, gathered at link time into the
/// runtime's list of operations (read by the alert-rule generator without calling anything).
fn operation_declaration(
    golden: &GoldenArgs,
    op: &Ident,
    function: &str,
    private: &TokenStream,
) -> TokenStream {
    let name = golden.operation.as_ref().map_or_else(|| function.to_owned(), LitStr::value);
    let kind = golden.kind.map_or("server", Kind::name);
    let objective = match &golden.objective {
        Some(o) => {
            let (success, percentile, window_days) = (o.success, o.percentile, o.window_days);
            let latency = match o.latency_ms {
                Some(ms) => quote!(::core::option::Option::Some(#ms)),
                None => quote!(::core::option::Option::None),
            };
            quote!(::core::option::Option::Some(#private::Objective {
                success_percent: #success,
                latency_ms: #latency,
                percentile: #percentile,
                window_days: #window_days,
            }))
        }
        None => quote!(::core::option::Option::None),
    };
    let event = match &golden.business_event {
        Some(event) => quote!(::core::option::Option::Some(#event)),
        None => quote!(::core::option::Option::None),
    };
    let linkme = quote!(#private::linkme);
    quote! {
        #[#linkme::distributed_slice(#private::OPERATIONS)]
        #[linkme(crate = #linkme)]
        static #op: #private::Operation = #private::Operation {
            name: #name,
            kind: #kind,
            function: #function,
            module: ::core::module_path!(),
            objective: #objective,
            business_event: #event,
        };
    }
}

/// The statements run when the call returns `ret` (a reference to the return value).
fn completion(
    args: &ObserveArgs,
    private: &TokenStream,
    tracing: &TokenStream,
    target: &TokenStream,
    level: &TokenStream,
    call: &Ident,
    ret: &Ident,
) -> TokenStream {
    // A predicate with the wrong signature is reported at the predicate.
    let predicate = |path: &syn::Path, verdict: &str| {
        let verdict = Ident::new(verdict, Span::call_site());
        let text = path_text(path);
        let ret = located(ret, path.span());
        let call = quote_spanned!(path.span()=> #path(#ret));
        quote!(#private::Verdict::#verdict(#call, #text))
    };
    let verdict = match (&args.error_if, &args.ok_if) {
        (Some(path), _) => predicate(path, "error_if"),
        (_, Some(path)) => predicate(path, "ok_if"),
        _ => quote!(#private::verdict!(#ret)),
    };
    let err = args.err.map(|recording| {
        let span = recording.span;
        let error = Ident::new("obs_error", Span::mixed_site());
        // Spanned at `err`, so that a return type without a displayable error is reported there.
        let error_of = match recording.format {
            Some(Format::Debug) => respan(quote!(#private::debug_error_of!), span),
            _ => respan(quote!(#private::error_of!), span),
        };
        // A binding with the user's `err` token as its span: diagnostics about the value
        // then point at `err` rather than at the whole attribute. The block holds only our
        // code, so the binding cannot clash with a user's name.
        let value = Ident::new("obs_err_checked", span);
        let error_of = quote_spanned!(span=> #error_of(#value));
        let event_level = level_constant(recording.level.unwrap_or(Level::Error), tracing);
        let error_event = event(
            private,
            tracing,
            target,
            &event_level,
            "error",
            quote!(&#tracing::field::display(&#error)),
        );
        quote! {
            let #value = #ret;
            if let ::core::option::Option::Some(#error) = #error_of {
                #call.record_error(&#error);
                #error_event
            }
        }
    });
    let ret_event = args.ret.map(|recording| {
        let span = recording.span;
        let which = match recording.format {
            None => "value",
            Some(Format::Display) => "display",
            Some(Format::Debug) => "debug",
        };
        let which = Ident::new(which, span);
        let value = respan(quote!(#private::#which), span);
        let located_ret = located(ret, span);
        let value = quote_spanned!(span=> #value!(*#located_ret));
        let event_level = match recording.level {
            Some(l) => level_constant(l, tracing),
            None => level.clone(),
        };
        event(private, tracing, target, &event_level, "return", quote!(&#value))
    });
    quote! {
        #err
        #ret_event
        #call.complete(#verdict);
    }
}

/// The statics of a `tracing` callsite, as `tracing`'s macros write them, and the callsite's
/// name: the rest of making a span or an event is a call into obs's runtime (see
/// `obs_runtime::__private::tracing_span`), so that each expansion stays small.
fn callsite(
    tracing: &TokenStream,
    name: &TokenStream,
    target: &TokenStream,
    level: &TokenStream,
    fields: &TokenStream,
    kind: TokenStream,
) -> (TokenStream, Ident) {
    let (meta, callsite) =
        (Ident::new("META", Span::mixed_site()), Ident::new("CALLSITE", Span::mixed_site()));
    let statics = quote! {
        static #meta: #tracing::Metadata<'static> = #tracing::Metadata::new(
            #name,
            #target,
            #level,
            ::core::option::Option::Some(::core::file!()),
            ::core::option::Option::Some(::core::line!()),
            ::core::option::Option::Some(::core::module_path!()),
            #tracing::field::FieldSet::new(&[#fields], #tracing::callsite::Identifier(&#callsite)),
            #tracing::metadata::Kind::#kind,
        );
        static #callsite: #tracing::callsite::DefaultCallsite =
            #tracing::callsite::DefaultCallsite::new(&#meta);
    };
    (statics, callsite)
}

/// A `tracing` event with one field, `field` = `value` (a reference to a `tracing::Value`), in
/// the current span, named as `tracing::event!` names its events.
fn event(
    private: &TokenStream,
    tracing: &TokenStream,
    target: &TokenStream,
    level: &TokenStream,
    field: &str,
    value: TokenStream,
) -> TokenStream {
    let name = quote!(::core::concat!("event ", ::core::file!(), ":", ::core::line!()));
    let (statics, callsite) =
        callsite(tracing, &name, target, level, &quote!(#field), quote!(EVENT));
    quote! {{
        #statics
        #private::tracing_event(&#callsite, &[::core::option::Option::Some(#value as &dyn #tracing::Value)]);
    }}
}

/// `tracing::Level::X` of a level.
fn level_constant(level: Level, tracing: &TokenStream) -> TokenStream {
    let constant = Ident::new(level.constant(), Span::call_site());
    quote!(#tracing::Level::#constant)
}

fn path_text(path: &syn::Path) -> String {
    path.to_token_stream().to_string().replace(' ', "")
}

/// The arguments and `fields(...)` recorded on the span, after `skip`/`skip_all`, each through
/// the PII rules: a value *named* like personal data must have a redacting type (unless it is
/// declared `not_pii`), and a value whose *type* is `Pii` must be `Redacted` (checked by the
/// runtime's `value!`).
fn recorded_values(
    args: &ObserveArgs,
    sig: &syn::Signature,
    private: &TokenStream,
) -> syn::Result<Vec<Recorded>> {
    let mut names: Vec<(String, TokenStream, Span)> = Vec::new();
    for input in &sig.inputs {
        match input {
            FnArg::Receiver(receiver) => {
                let token = &receiver.self_token;
                names.push(("self".to_owned(), quote!(#token), token.span));
            }
            FnArg::Typed(typed) => bindings(&typed.pat, &mut names),
        }
    }
    let known = || {
        let known: Vec<String> = names.iter().map(|(n, ..)| format!("`{n}`")).collect();
        if known.is_empty() {
            "it takes no arguments".to_owned()
        } else {
            format!("its arguments are {}", known.join(", "))
        }
    };
    if let Some((_, skipped)) = &args.skip {
        for skip in skipped {
            if !names.iter().any(|(name, ..)| *name == skip.name) {
                return Err(syn::Error::new(
                    skip.span,
                    format!("`{}` is not an argument of `{}`; {}", skip.name, sig.ident, known()),
                ));
            }
        }
    }
    let skipped = |name: &str| {
        args.skip_all.is_some()
            || args.skip.as_ref().is_some_and(|(_, s)| s.iter().any(|s| s.name == name))
    };
    let field_keys: Vec<&str> = args.fields.iter().flatten().map(|f| f.key.as_str()).collect();
    for declared in args.not_pii.iter().flatten() {
        let is_field = field_keys.contains(&declared.name.as_str());
        let is_argument = names.iter().any(|(name, ..)| *name == declared.name);
        if !is_field && !is_argument {
            return Err(syn::Error::new(
                declared.span,
                format!(
                    "`not_pii({})` names neither an argument nor a field of `{}`; {}",
                    declared.name,
                    sig.ident,
                    known()
                ),
            ));
        }
        if is_argument && !is_field && skipped(&declared.name) {
            return Err(syn::Error::new(
                declared.span,
                format!(
                    "`{}` is skipped, so it is never recorded; remove it from `not_pii(...)`",
                    declared.name
                ),
            ));
        }
    }
    let declared_not_pii = |name: &str| args.not_pii.iter().flatten().any(|d| d.name == name);
    // A name in the PII vocabulary: the value must redact itself. Spanned at the name, where
    // the trait-bound error then points.
    let pii_checked = |name: &str, value: &TokenStream, span: Span| -> Option<TokenStream> {
        (crate::pii::matches(name).is_some() && !declared_not_pii(name)).then(|| {
            let check = respan(quote!(#private::named_like_pii), span);
            quote_spanned!(span=> #check(&#value))
        })
    };
    // The recording macros, spanned at the recorded name: a `Pii` type without a redacted form
    // is then reported there.
    let record = |which: &str, value: &TokenStream, span: Span| {
        let which = Ident::new(which, span);
        let path = respan(quote!(#private::#which), span);
        quote_spanned!(span=> #path!(#value))
    };

    let mut recorded: Vec<Recorded> = Vec::new();
    for (name, value, span) in names {
        if skipped(&name) {
            continue;
        }
        let value =
            pii_checked(&name, &value, span).unwrap_or_else(|| record("value", &value, span));
        recorded.push(Recorded { name, value, binding: None });
    }
    for (i, FieldArg { key, key_span, value }) in args.fields.iter().flatten().enumerate() {
        if recorded.iter().any(|r| r.name == *key) {
            return Err(syn::Error::new(
                *key_span,
                format!(
                    "field `{key}` has the name of a recorded argument; rename the field, or add `skip({key})`"
                ),
            ));
        }
        if ["otel.status_code", "otel.status_description", "error.type"].contains(&key.as_str()) {
            return Err(syn::Error::new(
                *key_span,
                format!(
                    "field `{key}` is set by `#[observe]` from the call's outcome; choose another name"
                ),
            ));
        }
        let (value, binding) = match value {
            None => (quote!(#private::tracing::field::Empty), None),
            Some((sigil, expr)) => {
                // In parentheses spanned at the key, so that diagnostics point at the key.
                let local = Ident::new(&format!("obs_field_{i}"), Span::mixed_site());
                let expr = parenthesized(expr, *key_span);
                let binding = quote!(let #local = &#expr;);
                let expr = parenthesized(quote!(*#local), *key_span);
                let value = pii_checked(key, &expr, *key_span).unwrap_or_else(|| match sigil {
                    Sigil::Display => record("display", &expr, *key_span),
                    Sigil::Debug => record("debug", &expr, *key_span),
                    Sigil::Auto => record("value", &expr, *key_span),
                });
                (value, Some(binding))
            }
        };
        recorded.push(Recorded { name: key.clone(), value, binding });
    }
    // tracing's macros accept at most 32 fields per span; three are the outcome's.
    if recorded.len() > 29 {
        return Err(syn::Error::new_spanned(
            &sig.ident,
            format!(
                "`{}` would record {} fields; a span holds at most 29 besides the outcome. Use `skip(...)` or `skip_all`",
                sig.ident,
                recorded.len()
            ),
        ));
    }
    Ok(recorded)
}

/// The variables a parameter pattern binds, with the tokens that name them.
fn bindings(pat: &Pat, out: &mut Vec<(String, TokenStream, Span)>) {
    match pat {
        Pat::Ident(p) => {
            if let Some((_, sub)) = &p.subpat {
                bindings(sub, out);
            }
            let ident = &p.ident;
            out.push((ident.unraw().to_string(), quote!(#ident), ident.span()));
        }
        Pat::Reference(p) => bindings(&p.pat, out),
        Pat::Type(p) => bindings(&p.pat, out),
        Pat::Paren(p) => bindings(&p.pat, out),
        Pat::Tuple(p) => p.elems.iter().for_each(|p| bindings(p, out)),
        Pat::TupleStruct(p) => p.elems.iter().for_each(|p| bindings(p, out)),
        Pat::Slice(p) => p.elems.iter().for_each(|p| bindings(p, out)),
        Pat::Struct(p) => p.fields.iter().for_each(|f| bindings(&f.pat, out)),
        _ => {}
    }
}

/// `Some(boxed)` when the function returns a future: `impl Future<…>` (`boxed = false`) or
/// `Pin<Box<dyn Future<…>>>`, the shape `#[async_trait]` produces (`boxed = true`).
fn returns_future(output: &ReturnType) -> Option<bool> {
    let ReturnType::Type(_, ty) = output else {
        return None;
    };
    let (boxed, mut bounds) = trait_bounds(ty)?;
    bounds.any(|bound| future_trait(bound).is_some()).then_some(boxed)
}

/// `T` of `impl Future<Output = T>` or `Pin<Box<dyn Future<Output = T> …>>`.
fn future_output(ty: &Type) -> Option<&Type> {
    let (_, mut bounds) = trait_bounds(ty)?;
    bounds.find_map(|bound| {
        let PathArguments::AngleBracketed(args) = &future_trait(bound)?.arguments else {
            return None;
        };
        args.args.iter().find_map(|arg| match arg {
            GenericArgument::AssocType(assoc) if assoc.ident == "Output" => Some(&assoc.ty),
            _ => None,
        })
    })
}

/// The bounds of `impl Bounds` (`boxed = false`) or `Pin<Box<dyn Bounds>>` (`boxed = true`).
fn trait_bounds(ty: &Type) -> Option<(bool, syn::punctuated::Iter<'_, TypeParamBound>)> {
    match ty {
        Type::ImplTrait(imp) => Some((false, imp.bounds.iter())),
        Type::Path(path) => {
            let pin = path.path.segments.last().filter(|s| s.ident == "Pin")?;
            let Type::Path(boxed) = single_type_argument(&pin.arguments)? else {
                return None;
            };
            let boxed = boxed.path.segments.last().filter(|s| s.ident == "Box")?;
            let Type::TraitObject(object) = single_type_argument(&boxed.arguments)? else {
                return None;
            };
            Some((true, object.bounds.iter()))
        }
        _ => None,
    }
}

fn single_type_argument(arguments: &PathArguments) -> Option<&Type> {
    let PathArguments::AngleBracketed(args) = arguments else {
        return None;
    };
    args.args.iter().find_map(|arg| match arg {
        GenericArgument::Type(ty) => Some(ty),
        _ => None,
    })
}

/// The `Future<…>` segment of a `…::Future<…>` bound.
fn future_trait(bound: &TypeParamBound) -> Option<&syn::PathSegment> {
    let TypeParamBound::Trait(t) = bound else {
        return None;
    };
    t.path.segments.last().filter(|s| s.ident == "Future")
}

/// The return type as a `let` annotation: `impl Trait` (not allowed in `let`) becomes `_`.
/// `None` when nothing would be left to annotate.
fn fake_return_type(ty: &Type) -> Option<Type> {
    struct ImplToInfer;
    impl VisitMut for ImplToInfer {
        fn visit_type_mut(&mut self, ty: &mut Type) {
            if let Type::ImplTrait(imp) = ty {
                *ty = Type::Infer(syn::TypeInfer {
                    underscore_token: syn::Token![_](imp.impl_token.span),
                });
            } else {
                syn::visit_mut::visit_type_mut(self, ty);
            }
        }
    }
    let mut ty = ty.clone();
    ImplToInfer.visit_type_mut(&mut ty);
    match ty {
        Type::Infer(_) | Type::Never(_) => None,
        ty => Some(ty),
    }
}

/// Errors for `err`/`ret` on a function whose return type cannot support them.
fn check_return_options(args: &ObserveArgs, output: &ReturnType, shape: &Shape) -> syn::Result<()> {
    let returns_unit = match output {
        ReturnType::Default => true,
        ReturnType::Type(_, ty) => matches!(&**ty, Type::Tuple(t) if t.elems.is_empty()),
    };
    if !returns_unit || matches!(shape, Shape::ReturnsFuture { .. }) {
        return Ok(());
    }
    if let Some(recording) = args.err {
        return Err(syn::Error::new(
            recording.span,
            "`err` records the error a function returns, but this function returns `()`; return a `Result<T, E>` or remove `err`",
        ));
    }
    if let Some(recording) = args.ret {
        return Err(syn::Error::new(
            recording.span,
            "`ret` records the return value, but this function returns `()`; remove `ret`",
        ));
    }
    if let Some(path) = args.error_if.as_ref().or(args.ok_if.as_ref()) {
        return Err(syn::Error::new_spanned(
            path,
            "this function returns `()`, so a predicate on its return value cannot tell errors apart; remove it",
        ));
    }
    Ok(())
}
