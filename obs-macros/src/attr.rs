//! The arguments of `#[observe(...)]` and `#[golden_signals(...)]`, parsed with custom keywords.
//!
//! Each argument's value is a type that parses itself ([`Level`], [`Fields`], [`Names`],
//! [`Labels`], [`ObjectiveTerms`], …). [`ObserveArgs`] dispatches on the keyword and keeps what
//! concerns the argument as a whole: its `=` (or the form it takes, when it is missing), whether
//! it was given twice, and the errors spanned at its keyword. Every mistake is reported at the
//! offending token with a sentence that says how to fix it.

use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::{Expr, Ident, LitStr, Path, Token};

mod kw {
    syn::custom_keyword!(name);
    syn::custom_keyword!(level);
    syn::custom_keyword!(target);
    syn::custom_keyword!(fields);
    syn::custom_keyword!(skip);
    syn::custom_keyword!(skip_all);
    syn::custom_keyword!(err);
    syn::custom_keyword!(ret);
    syn::custom_keyword!(error_if);
    syn::custom_keyword!(ok_if);
    syn::custom_keyword!(not_pii);
    syn::custom_keyword!(labels);
    syn::custom_keyword!(operation);
    syn::custom_keyword!(kind);
    syn::custom_keyword!(objective);
    syn::custom_keyword!(business_event);
    syn::custom_keyword!(success);
    syn::custom_keyword!(latency_ms);
    syn::custom_keyword!(percentile);
    syn::custom_keyword!(window_days);
    syn::custom_keyword!(parent);
    syn::custom_keyword!(follows_from);
    syn::custom_keyword!(Debug);
    syn::custom_keyword!(Display);
}

/// Every argument `#[observe]` accepts, for "unknown argument" errors.
const ARGUMENTS: &[&str] = &[
    "name",
    "level",
    "target",
    "fields",
    "skip",
    "skip_all",
    "err",
    "ret",
    "error_if",
    "ok_if",
    "not_pii",
    "labels",
    "parent",
    "follows_from",
    "crate",
];

/// The arguments only `#[golden_signals]` accepts.
const GOLDEN_ARGUMENTS: &[&str] = &["operation", "kind", "objective", "business_event"];

#[derive(Default)]
pub(crate) struct ObserveArgs {
    pub(crate) name: Option<LitStr>,
    pub(crate) level: Option<Level>,
    pub(crate) target: Option<LitStr>,
    pub(crate) fields: Option<Vec<FieldArg>>,
    pub(crate) skip: Option<(Span, Vec<DottedName>)>,
    pub(crate) skip_all: Option<Span>,
    pub(crate) err: Option<Recording>,
    pub(crate) ret: Option<Recording>,
    pub(crate) error_if: Option<Path>,
    pub(crate) ok_if: Option<Path>,
    pub(crate) not_pii: Option<Vec<DottedName>>,
    pub(crate) labels: Option<Vec<(String, String)>>,
    /// `parent = expr`: the span's parent, evaluated when the call is recorded.
    pub(crate) parent: Option<Expr>,
    /// `follows_from = expr`: spans the span links to.
    pub(crate) follows_from: Option<Expr>,
    /// `Some` for `#[golden_signals]`.
    pub(crate) golden: Option<GoldenArgs>,
    pub(crate) krate: Option<Path>,
}

/// `err` or `ret`, and how it records: `err(Debug)`, `ret(level = debug, Display)`.
#[derive(Clone, Copy)]
pub(crate) struct Recording {
    /// The keyword's span, where diagnostics about the recorded value point.
    pub(crate) span: Span,
    /// `Display` or `Debug` if given (`err` records `Display` by default, `ret` picks the rule
    /// of a field).
    pub(crate) format: Option<Format>,
    /// The event's level (`err`: ERROR by default, `ret`: the span's).
    pub(crate) level: Option<Level>,
}

/// How a recorded value is formatted.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Display,
    Debug,
}

impl Recording {
    /// The optional `(…)` after `err` or `ret` (named `what`), which starts at `span`.
    fn parse_after(input: ParseStream<'_>, span: Span, what: &str) -> syn::Result<Recording> {
        let mut recording = Recording { span, format: None, level: None };
        if !input.peek(syn::token::Paren) {
            return Ok(recording);
        }
        let content;
        syn::parenthesized!(content in input);
        comma_separated(&content, || {
            let at = content.span();
            let lookahead = content.lookahead1();
            if lookahead.peek(kw::Debug) || lookahead.peek(kw::Display) {
                let format = if content.peek(kw::Debug) {
                    content.parse::<kw::Debug>()?;
                    Format::Debug
                } else {
                    content.parse::<kw::Display>()?;
                    Format::Display
                };
                if recording.format.is_some() {
                    return Err(syn::Error::new(
                        at,
                        format!("`{what}` takes one format, `Display` or `Debug`; keep one"),
                    ));
                }
                recording.format = Some(format);
                Ok(())
            } else if lookahead.peek(kw::level) {
                content.parse::<kw::level>()?;
                expect_value(&content, at, "level", &format!("{what}(level = warn)"))?;
                once(&mut recording.level, content.parse()?, at, "level")
            } else {
                Err(syn::Error::new(
                    at,
                    format!(
                        "`{what}(...)` takes `Display`, `Debug` and `level = …`, e.g. `{what}(level = warn, Debug)`"
                    ),
                ))
            }
        })?;
        Ok(recording)
    }
}

/// What a method returns, as far as a block's arguments go.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Returns {
    Unit,
    Result,
    Other,
}

/// What `#[golden_signals]` adds to `#[observe]`'s arguments.
#[derive(Default)]
pub(crate) struct GoldenArgs {
    pub(crate) operation: Option<LitStr>,
    pub(crate) kind: Option<Kind>,
    pub(crate) objective: Option<ObjectiveArgs>,
    pub(crate) business_event: Option<LitStr>,
}

impl Parse for ObserveArgs {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        ObserveArgs::parse_for(input, false)
    }
}

impl ObserveArgs {
    /// Parses the arguments of `#[observe]`, or of `#[golden_signals]` when `golden`.
    pub(crate) fn parse_for(input: ParseStream<'_>, golden: bool) -> syn::Result<Self> {
        let mut args =
            ObserveArgs { golden: golden.then(GoldenArgs::default), ..ObserveArgs::default() };
        comma_separated(input, || args.parse_argument(input))?;
        args.check_conflicts()?;
        Ok(args)
    }

    /// One argument: its keyword, then its value.
    fn parse_argument(&mut self, input: ParseStream<'_>) -> syn::Result<()> {
        let span = input.span();
        let lookahead = input.lookahead1();
        if lookahead.peek(kw::name) {
            input.parse::<kw::name>()?;
            expect_value(input, span, "name", r#"name = "span name""#)?;
            let SpanName(name) = input.parse()?;
            once(&mut self.name, name, span, "name")
        } else if lookahead.peek(kw::level) {
            input.parse::<kw::level>()?;
            expect_value(input, span, "level", "level = debug")?;
            once(&mut self.level, input.parse()?, span, "level")
        } else if lookahead.peek(kw::target) {
            input.parse::<kw::target>()?;
            expect_value(input, span, "target", r#"target = "my_app::db""#)?;
            once(&mut self.target, input.parse()?, span, "target")
        } else if lookahead.peek(kw::fields) {
            input.parse::<kw::fields>()?;
            let Fields(fields) = input.parse()?;
            once(&mut self.fields, fields, span, "fields")
        } else if lookahead.peek(kw::skip_all) {
            input.parse::<kw::skip_all>()?;
            once(&mut self.skip_all, span, span, "skip_all")
        } else if lookahead.peek(kw::skip) {
            input.parse::<kw::skip>()?;
            if !input.peek(syn::token::Paren) {
                return Err(syn::Error::new(
                    span,
                    "`skip` takes the arguments to leave out of the span: `skip(a, b)`; on a method of an observed `impl` block or trait, `#[observe(skip)]` alone leaves the method out",
                ));
            }
            let Names(names) = input.parse()?;
            once(&mut self.skip, (span, names), span, "skip")
        } else if lookahead.peek(kw::labels) {
            input.parse::<kw::labels>()?;
            let Labels(labels) = input.parse()?;
            once(&mut self.labels, labels, span, "labels")
        } else if lookahead.peek(kw::not_pii) {
            input.parse::<kw::not_pii>()?;
            let Names(names) = input.parse()?;
            once(&mut self.not_pii, names, span, "not_pii")
        } else if lookahead.peek(kw::err) {
            input.parse::<kw::err>()?;
            once(&mut self.err, Recording::parse_after(input, span, "err")?, span, "err")
        } else if lookahead.peek(kw::ret) {
            input.parse::<kw::ret>()?;
            once(&mut self.ret, Recording::parse_after(input, span, "ret")?, span, "ret")
        } else if lookahead.peek(kw::error_if) {
            input.parse::<kw::error_if>()?;
            expect_value(input, span, "error_if", "error_if = path::to::predicate")?;
            once(&mut self.error_if, input.call(Path::parse_mod_style)?, span, "error_if")
        } else if lookahead.peek(kw::ok_if) {
            input.parse::<kw::ok_if>()?;
            expect_value(input, span, "ok_if", "ok_if = path::to::predicate")?;
            once(&mut self.ok_if, input.call(Path::parse_mod_style)?, span, "ok_if")
        } else if lookahead.peek(kw::parent) {
            input.parse::<kw::parent>()?;
            expect_value(input, span, "parent", "parent = obs::context::extract_from(&headers)")?;
            once(&mut self.parent, input.parse()?, span, "parent")
        } else if lookahead.peek(kw::follows_from) {
            input.parse::<kw::follows_from>()?;
            expect_value(input, span, "follows_from", "follows_from = producer_context")?;
            once(&mut self.follows_from, input.parse()?, span, "follows_from")
        } else if lookahead.peek(Token![crate]) {
            input.parse::<Token![crate]>()?;
            expect_value(input, span, "crate", "crate = path::to::obs")?;
            once(&mut self.krate, input.call(Path::parse_mod_style)?, span, "crate")
        } else if let Some(golden) =
            self.golden.as_mut().filter(|_| GoldenArgs::peek_argument(input))
        {
            golden.parse_argument(input, span)
        } else if input.peek(Ident::peek_any) {
            let ident = input.call(Ident::parse_any)?;
            if GOLDEN_ARGUMENTS.contains(&ident.to_string().as_str()) {
                return Err(syn::Error::new(
                    ident.span(),
                    format!(
                        "`{ident}` describes an entry point's golden signals; use `#[obs::golden_signals({ident} …)]` instead of `#[observe]`"
                    ),
                ));
            }
            Err(unknown_argument(&ident, self.golden.is_some()))
        } else {
            Err(lookahead.error())
        }
    }

    /// The arguments of a method of an observed `impl` block or trait: the method's own
    /// (`self`) over the block's. The block's `err` applies to the methods whose return type
    /// is spelled `…Result<…>`, its `ret`, `error_if` and `ok_if` to those that return
    /// something, and its `skip(...)` and `not_pii(...)` keep the names that are the method's
    /// arguments: a block's arguments are defaults for the methods they make sense for.
    pub(crate) fn over(
        self,
        mut block: ObserveArgs,
        arguments: &[String],
        returns: Returns,
    ) -> syn::Result<ObserveArgs> {
        if returns != Returns::Result {
            block.err = None;
        }
        if returns == Returns::Unit {
            (block.ret, block.error_if, block.ok_if) = (None, None, None);
        }
        if let Some((_, names)) = &mut block.skip {
            names.retain(|n| arguments.contains(&n.name));
        }
        if let Some(names) = &mut block.not_pii {
            names.retain(|n| arguments.contains(&n.name));
        }
        let args = ObserveArgs {
            name: self.name.or(block.name),
            level: self.level.or(block.level),
            target: self.target.or(block.target),
            fields: self.fields.or(block.fields),
            skip: self.skip.or(block.skip.filter(|(_, names)| !names.is_empty())),
            skip_all: self.skip_all.or(block.skip_all),
            err: self.err.or(block.err),
            ret: self.ret.or(block.ret),
            error_if: self.error_if.or(block.error_if),
            ok_if: self.ok_if.or(block.ok_if),
            not_pii: self.not_pii.or(block.not_pii.filter(|names| !names.is_empty())),
            labels: self.labels.or(block.labels),
            parent: self.parent.or(block.parent),
            follows_from: self.follows_from.or(block.follows_from),
            golden: self.golden.or(block.golden),
            krate: self.krate.or(block.krate),
        };
        args.check_conflicts()?;
        Ok(args)
    }

    /// Refuses the arguments that cannot apply to every method of a block.
    pub(crate) fn check_for_block(&self) -> syn::Result<()> {
        if let Some(name) = &self.name {
            return Err(syn::Error::new(
                name.span(),
                "`name` on an `impl` block or trait would give every method the same span name; put `#[observe(name = \"…\")]` on the method",
            ));
        }
        for (expr, name) in [(&self.parent, "parent"), (&self.follows_from, "follows_from")] {
            if let Some(expr) = expr {
                return Err(syn::Error::new_spanned(
                    expr,
                    format!(
                        "`{name} = …` on an `impl` block or trait would be evaluated in every method; put it on the methods it concerns"
                    ),
                ));
            }
        }
        if let Some(field) = self.fields.iter().flatten().next() {
            return Err(syn::Error::new(
                field.key_span,
                "`fields(...)` on an `impl` block or trait would be evaluated in every method; put `#[observe(fields(...))]` on the methods that have what it reads",
            ));
        }
        Ok(())
    }

    fn check_conflicts(&self) -> syn::Result<()> {
        if let (Some(_), Some(path)) = (&self.error_if, &self.ok_if) {
            return Err(syn::Error::new_spanned(
                path,
                "`ok_if` and `error_if` both decide the result; keep one of them",
            ));
        }
        if let (Some(_), Some((span, _))) = (self.skip_all, &self.skip) {
            return Err(syn::Error::new(
                *span,
                "`skip(...)` has no effect with `skip_all`, which already skips every argument; remove one",
            ));
        }
        Ok(())
    }
}

impl GoldenArgs {
    /// Whether the next argument is one of `#[golden_signals]`'s own.
    fn peek_argument(input: ParseStream<'_>) -> bool {
        input.peek(kw::operation)
            || input.peek(kw::kind)
            || input.peek(kw::objective)
            || input.peek(kw::business_event)
    }

    /// One golden-signals argument (`peek_argument` said there is one), which starts at `span`.
    fn parse_argument(&mut self, input: ParseStream<'_>, span: Span) -> syn::Result<()> {
        if input.peek(kw::operation) {
            input.parse::<kw::operation>()?;
            expect_value(input, span, "operation", r#"operation = "checkout""#)?;
            let OperationName(name) = input.parse()?;
            once(&mut self.operation, name, span, "operation")
        } else if input.peek(kw::kind) {
            input.parse::<kw::kind>()?;
            expect_value(input, span, "kind", r#"kind = "server""#)?;
            once(&mut self.kind, input.parse()?, span, "kind")
        } else if input.peek(kw::business_event) {
            input.parse::<kw::business_event>()?;
            expect_value(input, span, "business_event", r#"business_event = "order_placed""#)?;
            let BusinessEvent(event) = input.parse()?;
            once(&mut self.business_event, event, span, "business_event")
        } else {
            input.parse::<kw::objective>()?;
            let objective = input.parse::<ObjectiveTerms>()?.objective(span)?;
            once(&mut self.objective, objective, span, "objective")
        }
    }
}

/// Stores an argument's value, or refuses a second one (at the argument, which starts at `span`).
fn once<T>(slot: &mut Option<T>, value: T, span: Span, name: &str) -> syn::Result<()> {
    if slot.is_some() {
        return Err(syn::Error::new(span, format!("duplicate `{name}` argument; keep only one")));
    }
    *slot = Some(value);
    Ok(())
}

/// Consumes the `=` after an argument that takes a value, or explains the form it takes.
fn expect_value(input: ParseStream<'_>, span: Span, name: &str, usage: &str) -> syn::Result<()> {
    if input.peek(Token![=]) {
        input.parse::<Token![=]>()?;
        return Ok(());
    }
    Err(syn::Error::new(span, format!("`{name}` takes a value: `{usage}`")))
}

/// Calls `entry` for each entry of `a, b, c` (a trailing comma allowed) until `input` ends;
/// `entry` parses one from `input`.
fn comma_separated(
    input: ParseStream<'_>,
    mut entry: impl FnMut() -> syn::Result<()>,
) -> syn::Result<()> {
    while !input.is_empty() {
        entry()?;
        if input.is_empty() {
            break;
        }
        input.parse::<Token![,]>()?;
    }
    Ok(())
}

/// A name that may have dots: `region`, `http.route`, `a.b.c`. Raw identifiers lose their `r#`.
pub(crate) struct DottedName {
    pub(crate) name: String,
    /// The whole name where the compiler can join spans, else its first part.
    pub(crate) span: Span,
}

impl Parse for DottedName {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let first = input.call(Ident::parse_any)?;
        let mut name = first.unraw().to_string();
        let mut span = first.span();
        while input.peek(Token![.]) {
            input.parse::<Token![.]>()?;
            let part = input.call(Ident::parse_any)?;
            name.push('.');
            name.push_str(&part.unraw().to_string());
            span = span.join(part.span()).unwrap_or(span);
        }
        Ok(DottedName { name, span })
    }
}

/// `(a, b.c, self)`: the argument names or dotted field keys of `skip(...)` and `not_pii(...)`.
struct Names(Vec<DottedName>);

impl Parse for Names {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let content;
        syn::parenthesized!(content in input);
        let mut names = Vec::new();
        comma_separated(&content, || {
            names.push(content.parse()?);
            Ok(())
        })?;
        Ok(Names(names))
    }
}

/// The value of `name = "…"`: a span name, which cannot be empty.
struct SpanName(LitStr);

impl Parse for SpanName {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let name: LitStr = input.parse()?;
        if name.value().is_empty() {
            return Err(syn::Error::new(name.span(), "the span name cannot be empty"));
        }
        Ok(SpanName(name))
    }
}

/// A span level: `debug`, `DEBUG`, `"debug"` or a path such as `Level::DEBUG`.
#[derive(Clone, Copy)]
pub(crate) enum Level {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

impl Level {
    pub(crate) fn constant(self) -> &'static str {
        match self {
            Level::Trace => "TRACE",
            Level::Debug => "DEBUG",
            Level::Info => "INFO",
            Level::Warn => "WARN",
            Level::Error => "ERROR",
        }
    }

    fn from_name(name: &str) -> Option<Level> {
        Some(match name.to_ascii_lowercase().as_str() {
            "trace" => Level::Trace,
            "debug" => Level::Debug,
            "info" => Level::Info,
            "warn" => Level::Warn,
            "error" => Level::Error,
            _ => return None,
        })
    }
}

impl Parse for Level {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let (name, span) = if input.peek(LitStr) {
            let lit: LitStr = input.parse()?;
            (lit.value(), lit.span())
        } else if input.peek(Ident::peek_any) {
            // `info`, `INFO`, or a path such as `Level::INFO`.
            let path = input.call(Path::parse_mod_style)?;
            let last = path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default();
            (last, syn::spanned::Spanned::span(&path))
        } else {
            return Err(input.error(
                "expected a level: `trace`, `debug`, `info`, `warn` or `error` (as a name or a string)",
            ));
        };
        Level::from_name(&name).ok_or_else(|| {
            syn::Error::new(
                span,
                format!(
                    "unknown level `{name}`; expected `trace`, `debug`, `info`, `warn` or `error`"
                ),
            )
        })
    }
}

/// How a `fields(...)` value is recorded.
pub(crate) enum Sigil {
    /// `key = expr`: a primitive as itself, anything else with `Debug`.
    Auto,
    /// `key = %expr`: with `Display`.
    Display,
    /// `key = ?expr`: with `Debug`.
    Debug,
}

impl Parse for Sigil {
    /// The `%` or `?` before a value, if any.
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        Ok(if input.peek(Token![%]) {
            input.parse::<Token![%]>()?;
            Sigil::Display
        } else if input.peek(Token![?]) {
            input.parse::<Token![?]>()?;
            Sigil::Debug
        } else {
            Sigil::Auto
        })
    }
}

/// One `fields(...)` entry.
pub(crate) struct FieldArg {
    /// The field name (`http.route`).
    pub(crate) key: String,
    pub(crate) key_span: Span,
    /// `None` declares the field empty, to be recorded later.
    pub(crate) value: Option<(Sigil, Expr)>,
}

/// `(key = expr, key = %expr, key = ?expr, key)`: the extra span fields. A key is a dotted name
/// or a string; each is listed once.
struct Fields(Vec<FieldArg>);

impl Parse for Fields {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let content;
        syn::parenthesized!(content in input);
        let mut fields: Vec<FieldArg> = Vec::new();
        comma_separated(&content, || {
            let (key, key_span) = if content.peek(LitStr) {
                let lit: LitStr = content.parse()?;
                (lit.value(), lit.span())
            } else {
                let DottedName { name, span } = content.parse()?;
                (name, span)
            };
            if fields.iter().any(|f| f.key == key) {
                return Err(syn::Error::new(
                    key_span,
                    format!("field `{key}` is listed twice; keep one"),
                ));
            }
            let value = if content.peek(Token![=]) {
                content.parse::<Token![=]>()?;
                Some((content.parse()?, content.parse()?))
            } else {
                None
            };
            fields.push(FieldArg { key, key_span, value });
            Ok(())
        })?;
        Ok(Fields(fields))
    }
}

/// Labels the `function_calls_*` series of this function always carry.
const RESERVED_LABELS: &[&str] = &["function", "module", "result", "le"];

/// `(key = "value", …)`: constant metric labels. Keys named like personal data or with one
/// value per user/request/event, and values computed per call, are refused, each with why.
struct Labels(Vec<(String, String)>);

impl Parse for Labels {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let content;
        syn::parenthesized!(content in input);
        let mut labels: Vec<(String, String)> = Vec::new();
        comma_separated(&content, || {
            let LabelKey { name, span } = content.parse()?;
            if labels.iter().any(|(k, _)| *k == name) {
                return Err(syn::Error::new(
                    span,
                    format!("label `{name}` is listed twice; keep one"),
                ));
            }
            content.parse::<Token![=]>()?;
            let value = label_value(&content.parse()?, &name)?;
            labels.push((name, value));
            Ok(())
        })?;
        Ok(Labels(labels))
    }
}

/// A label's name, which may hold neither personal data nor one value per user, request or
/// event, and is not one obs sets.
struct LabelKey {
    name: String,
    span: Span,
}

impl Parse for LabelKey {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let key = input.call(Ident::parse_any)?;
        let name = key.unraw().to_string();
        if let Some(entry) = crate::pii::matches(&name) {
            return Err(syn::Error::new(
                key.span(),
                format!(
                    "label `{name}` is named like personal data (`{entry}`); metric labels are exported as they are, so they must never hold personal data. Record it on the span instead, with a redacting type: `fields({name} = obs::Secret::new(…))`"
                ),
            ));
        }
        if let Some(word) = crate::pii::unbounded(&name) {
            return Err(syn::Error::new(
                key.span(),
                format!(
                    "label `{name}` would have one value per {word}: every value is a new time series (unbounded cardinality). Record it on the span instead: `fields({name} = …)`"
                ),
            ));
        }
        if RESERVED_LABELS.contains(&name.as_str()) {
            return Err(syn::Error::new(
                key.span(),
                format!("label `{name}` is set by obs; choose another name"),
            ));
        }
        Ok(LabelKey { name, span: key.span() })
    }
}

/// The value of label `name` as text: a string, boolean or integer constant. The error for any
/// other expression says where its value comes from when that is the problem.
fn label_value(value: &Expr, name: &str) -> syn::Result<String> {
    Ok(match value {
        Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) => s.value(),
        Expr::Lit(syn::ExprLit { lit: syn::Lit::Bool(b), .. }) => b.value.to_string(),
        Expr::Lit(syn::ExprLit { lit: syn::Lit::Int(i), .. }) => i.base10_digits().to_owned(),
        other => {
            let from = first_ident(other).map(|ident| {
                if crate::pii::matches(&ident).is_some() {
                    format!(" It comes from `{ident}`, named like personal data, which must never be a label.")
                } else if crate::pii::unbounded(&ident).is_some() {
                    format!(" It comes from `{ident}`, which has one value per user/request: unbounded cardinality.")
                } else {
                    String::new()
                }
            });
            return Err(syn::Error::new_spanned(
                other,
                format!(
                    "label values must be constants: `labels({name} = \"…\")`. A value computed per call makes one time series per value; record it on the span instead: `fields({name} = …)`.{}",
                    from.unwrap_or_default()
                ),
            ));
        }
    })
}

/// The first identifier of an expression (`user.email` -> `user`… then `email`): the last path
/// or field segment says best what a value is.
fn first_ident(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        Expr::Field(f) => match &f.member {
            syn::Member::Named(ident) => Some(ident.to_string()),
            syn::Member::Unnamed(_) => first_ident(&f.base),
        },
        Expr::MethodCall(m) => first_ident(&m.receiver),
        Expr::Reference(r) => first_ident(&r.expr),
        Expr::Paren(p) => first_ident(&p.expr),
        _ => None,
    }
}

/// The value of `operation = "…"`: a short identifier.
struct OperationName(LitStr);

impl Parse for OperationName {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let name: LitStr = input.parse()?;
        let value = name.value();
        if value.is_empty()
            || !value.chars().all(|c| c.is_ascii_alphanumeric() || "_-.:/".contains(c))
        {
            return Err(syn::Error::new(
                name.span(),
                "an operation name is a short identifier such as `checkout` or `orders.place` (letters, digits, `_-.:/`)",
            ));
        }
        Ok(OperationName(name))
    }
}

/// The kind of entry point: `kind = "server"` (or `kind = server`).
#[derive(Clone, Copy)]
pub(crate) enum Kind {
    Server,
    Consumer,
    Job,
    Internal,
}

impl Kind {
    /// The value of the `kind` label.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Server => "server",
            Kind::Consumer => "consumer",
            Kind::Job => "job",
            Kind::Internal => "internal",
        }
    }

    fn from_name(name: &str) -> Option<Kind> {
        Some(match name {
            "server" => Kind::Server,
            "consumer" => Kind::Consumer,
            "job" => Kind::Job,
            "internal" => Kind::Internal,
            _ => return None,
        })
    }
}

impl Parse for Kind {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let (kind, span) = if input.peek(LitStr) {
            let lit: LitStr = input.parse()?;
            (lit.value(), lit.span())
        } else {
            let ident = input.call(Ident::parse_any)?;
            (ident.to_string(), ident.span())
        };
        Kind::from_name(&kind).ok_or_else(|| {
            syn::Error::new(
                span,
                format!(
                    "unknown kind `{kind}`; expected `server`, `consumer`, `job` or `internal`"
                ),
            )
        })
    }
}

/// The value of `business_event = "…"`: a snake_case name.
struct BusinessEvent(LitStr);

impl Parse for BusinessEvent {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let event: LitStr = input.parse()?;
        let value = event.value();
        if value.is_empty()
            || !value.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(syn::Error::new(
                event.span(),
                "a business event is a snake_case name such as `order_placed`",
            ));
        }
        Ok(BusinessEvent(event))
    }
}

/// A service level objective: `objective(success = 99.9, latency_ms = 250, percentile = 99)`.
pub(crate) struct ObjectiveArgs {
    pub(crate) success: f64,
    pub(crate) latency_ms: Option<u64>,
    pub(crate) percentile: f64,
    pub(crate) window_days: u32,
}

/// `(success = 99.9, latency_ms = 250, percentile = 99, window_days = 30)` as written, each
/// term in its range. [`ObjectiveTerms::objective`] checks that they make an objective.
#[derive(Default)]
struct ObjectiveTerms {
    success: Option<f64>,
    latency_ms: Option<u64>,
    percentile: Option<f64>,
    window_days: Option<u32>,
}

impl Parse for ObjectiveTerms {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let content;
        syn::parenthesized!(content in input);
        let mut terms = ObjectiveTerms::default();
        comma_separated(&content, || terms.parse_term(&content))?;
        Ok(terms)
    }
}

impl ObjectiveTerms {
    fn parse_term(&mut self, input: ParseStream<'_>) -> syn::Result<()> {
        let span = input.span();
        let lookahead = input.lookahead1();
        if lookahead.peek(kw::success) {
            input.parse::<kw::success>()?;
            let value = term(
                input,
                |value| value > 0.0 && value < 100.0,
                "`success` is the percentage of calls that must succeed, above 0 and below 100 (100% leaves no error budget); e.g. `success = 99.9`",
            )?;
            once(&mut self.success, value, span, "success")
        } else if lookahead.peek(kw::latency_ms) {
            input.parse::<kw::latency_ms>()?;
            let value = term(
                input,
                |value| value >= 1.0 && value.fract() == 0.0,
                "`latency_ms` is a whole number of milliseconds, at least 1; e.g. `latency_ms = 250`",
            )?;
            // A whole number of at least 1: the cast saturates only past u64::MAX.
            once(&mut self.latency_ms, value as u64, span, "latency_ms")
        } else if lookahead.peek(kw::percentile) {
            input.parse::<kw::percentile>()?;
            let value = term(
                input,
                |value| value > 0.0 && value < 100.0,
                "`percentile` is above 0 and below 100; e.g. `percentile = 99` for p99",
            )?;
            once(&mut self.percentile, value, span, "percentile")
        } else if lookahead.peek(kw::window_days) {
            input.parse::<kw::window_days>()?;
            let value = term(
                input,
                |value| (1.0..=90.0).contains(&value) && value.fract() == 0.0,
                "`window_days` is a whole number of days from 1 to 90; e.g. `window_days = 30`",
            )?;
            // A whole number from 1 to 90: the cast is exact.
            once(&mut self.window_days, value as u32, span, "window_days")
        } else {
            Err(lookahead.error())
        }
    }

    /// The objective these terms declare, or why they declare none; errors at `span`, the
    /// `objective` argument.
    fn objective(self, span: Span) -> syn::Result<ObjectiveArgs> {
        let Some(success) = self.success else {
            return Err(syn::Error::new(
                span,
                "an objective needs `success`, the percentage of calls that must succeed: `objective(success = 99.9)`",
            ));
        };
        if self.percentile.is_some() && self.latency_ms.is_none() {
            return Err(syn::Error::new(
                span,
                "`percentile` applies to a latency target; add `latency_ms = …`",
            ));
        }
        Ok(ObjectiveArgs {
            success,
            latency_ms: self.latency_ms,
            percentile: self.percentile.unwrap_or(99.0),
            window_days: self.window_days.unwrap_or(30),
        })
    }
}

/// The `= number` of an objective's term, refused at the number unless `valid`, with `rule`.
fn term(input: ParseStream<'_>, valid: fn(f64) -> bool, rule: &str) -> syn::Result<f64> {
    input.parse::<Token![=]>()?;
    let Number { value, span } = input.parse()?;
    if !valid(value) {
        return Err(syn::Error::new(span, rule));
    }
    Ok(value)
}

/// A number literal (integer or float) and where it is.
struct Number {
    value: f64,
    span: Span,
}

impl Parse for Number {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let lit: syn::Lit = input.parse()?;
        let value = match &lit {
            syn::Lit::Int(i) => i.base10_parse::<f64>()?,
            syn::Lit::Float(f) => f.base10_parse::<f64>()?,
            other => return Err(syn::Error::new_spanned(other, "expected a number")),
        };
        Ok(Number { value, span: lit.span() })
    }
}

fn unknown_argument(ident: &Ident, golden: bool) -> syn::Error {
    let found = ident.unraw().to_string();
    let known: Vec<&str> =
        ARGUMENTS.iter().chain(GOLDEN_ARGUMENTS.iter().filter(|_| golden)).copied().collect();
    let expected = known.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", ");
    let hint = known
        .iter()
        .filter(|a| edit_distance(a, &found) <= 2 || a.starts_with(&found) || found.starts_with(*a))
        .min_by_key(|a| edit_distance(a, &found))
        .map(|a| format!("; did you mean `{a}`?"))
        .unwrap_or_default();
    syn::Error::new(
        ident.span(),
        format!("unknown argument `{found}`{hint}\nexpected one of: {expected}"),
    )
}

/// Levenshtein distance, for "did you mean" hints.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::edit_distance;

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("err", "error"), 2);
        assert_eq!(edit_distance("skip", "skip"), 0);
        assert_eq!(edit_distance("level", "lvl"), 2);
        assert_eq!(edit_distance("", "ret"), 3);
    }
}
