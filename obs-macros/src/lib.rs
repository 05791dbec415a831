//! Procedural macros of [obs](https://docs.rs/obs). Use them through the `obs` crate.

mod attr;
mod block;
mod expand;
mod item;
mod pii;
mod redact;
mod span;

use proc_macro::TokenStream;

/// Observes a function: a `tracing` span, plus call count by result, latency histogram and
/// in-flight gauge, from one attribute.
///
/// ```
/// #[obs::observe]
/// fn place_order(customer_id: u64, items: &[u32]) -> Result<u64, std::io::Error> {
///     Ok(customer_id + items.len() as u64)
/// }
/// # assert_eq!(place_order(1, &[2]).unwrap(), 2);
/// ```
///
/// # What it records
///
/// - a span named `module::function` at level INFO, with the arguments as fields (integers,
///   floats, booleans and strings as typed values, other `Debug` types with `Debug`, types
///   without `Debug` left empty). When the call fails the span gets
///   `otel.status_code = "ERROR"` and `error.type`;
/// - `function_calls_total{function, module, result}`, `result` being `ok`, `error` (an
///   `Err(_)` was returned, or `error_if`/`ok_if` said so), `panic` or `cancelled` (a future
///   dropped before it completed);
/// - `function_calls_duration_seconds{function, module}` and
///   `function_calls_concurrent{function, module}`.
///
/// Metrics are collected once `obs::init` (or `obs::metrics::enable`) ran. Until then, and
/// without a `tracing` subscriber, the attribute costs a few loads per call.
///
/// It works on sync and `async fn`, methods (`self`, `&self`, `&mut self`, `self: Arc<Self>`),
/// generic functions, `impl Trait` arguments and return types, `unsafe fn`, trait default
/// bodies, `#[async_trait]` methods and `fn -> impl Future` (the returned future is observed,
/// not only its creation).
///
/// # On an `impl` block or a trait
///
/// On `impl Type { … }`, `impl Trait for Type { … }` or a trait, every method with a body is
/// observed with the block's arguments; a method's own `#[observe(...)]` adds to them and
/// overrides them, and `#[observe(skip)]` leaves it out. Associated consts, types and macros,
/// `const fn`s, trait methods without a default body and methods with their own
/// `#[golden_signals]` are left alone. The block's `err` applies to methods that return a
/// `…Result<…>`, its `ret` to those that return something. The `function` label says whose
/// method it is: `Cart::add`, `<Cart as Priced>::cents`, or `Shelf::describe` for a default
/// body.
/// ```
/// struct Cart(Vec<u32>);
///
/// #[obs::observe(err)]
/// impl Cart {
///     fn add(&mut self, item: u32) -> Result<usize, String> {
///         self.0.push(item);
///         Ok(self.0.len())
///     }
///
///     #[observe(skip)]
///     fn len(&self) -> usize {
///         self.0.len()
///     }
/// }
/// # assert_eq!(Cart(vec![]).add(1), Ok(1));
/// ```
///
/// # Arguments
///
/// `name = "…"` names the span (the `function` label stays the function's name):
/// ```
/// #[obs::observe(name = "checkout")]
/// fn pay() {}
/// ```
/// `level = debug` sets the span's level: `trace`, `debug`, `info` (the default), `warn` or
/// `error`, as a name, a string (`"debug"`) or a path (`Level::DEBUG`):
/// ```
/// #[obs::observe(level = debug)]
/// fn query() {}
/// ```
/// `target = "…"` sets the span's target (default: the module path):
/// ```
/// #[obs::observe(target = "shop::db")]
/// fn query() {}
/// ```
/// `fields(…)` adds fields to the span, their values evaluated before the body runs (and only
/// when the call is recorded): `key = expr` records a primitive as itself and anything else
/// with `Debug`, `key = %expr` with `Display`, `key = ?expr` with `Debug`, and a bare `key`
/// declares an empty field to record later. A key may be dotted (`shop.region`) or a string:
/// ```
/// #[obs::observe(fields(items = cart.len(), shop.region = %"eu", first = ?cart.first(), discount))]
/// fn checkout(cart: Vec<u32>) {}
/// ```
/// `skip(a, b)` leaves those arguments out of the span:
/// ```
/// #[obs::observe(skip(payload))]
/// fn upload(id: u32, payload: Vec<u8>) -> usize { payload.len() + id as usize }
/// ```
/// `skip_all` leaves all of them out:
/// ```
/// #[obs::observe(skip_all)]
/// fn hash(data: &[u8]) -> usize { data.len() }
/// ```
/// `err`: when the function returns `Err(e)`, the `Display` of `e` becomes the span's
/// `otel.status_description`, and an ERROR event is emitted:
/// ```
/// #[obs::observe(err)]
/// fn parse(s: &str) -> Result<u32, std::num::ParseIntError> { s.parse() }
/// # assert!(parse("x").is_err());
/// ```
/// `err(Debug)` shows the error by `Debug` instead, and `err(level = warn)` emits the event at
/// another level (the call is an error either way):
/// ```
/// #[obs::observe(err(Debug, level = warn))]
/// fn parse_debug(s: &str) -> Result<u32, std::num::ParseIntError> { s.parse() }
/// # assert!(parse_debug("x").is_err());
/// ```
/// `ret` emits an event with the return value, recorded like a field (`ret(Display)` and
/// `ret(Debug)` choose the format, `ret(level = debug)` the event's level, by default the
/// span's):
/// ```
/// #[obs::observe(ret)]
/// fn total(prices: &[u32]) -> u32 { prices.iter().sum() }
/// # assert_eq!(total(&[1, 2]), 3);
/// #[obs::observe(ret(Debug, level = debug))]
/// fn first(prices: &[u32]) -> Option<u32> { prices.first().copied() }
/// # assert_eq!(first(&[1, 2]), Some(1));
/// ```
/// `error_if = path` decides the `result` label from the return value with a `fn(&T) -> bool`,
/// `T` being the return type: the call is an error when it returns `true`:
/// ```
/// fn is_none<T>(v: &Option<T>) -> bool { v.is_none() }
/// #[obs::observe(error_if = is_none)]
/// fn find(id: u32) -> Option<u32> { (id > 0).then_some(id) }
/// # assert_eq!(find(0), None);
/// ```
/// `ok_if = path` is the converse: the call is an error unless the predicate returns `true`
/// (one of `error_if` and `ok_if` at most):
/// ```
/// fn is_success(status: &u16) -> bool { *status < 500 }
/// #[obs::observe(ok_if = is_success)]
/// fn fetch(path: &str) -> u16 { if path.is_empty() { 503 } else { 200 } }
/// # assert_eq!(fetch("/"), 200);
/// ```
/// `labels(key = "value", …)` adds constant labels (strings, booleans or integers) to the
/// function's `function_calls_*` series. A key named like personal data or with one value per
/// user, request or event (`user_id`), a key obs sets (`function`, `module`, `result`, `le`), and
/// a value computed per call are compile errors:
/// ```
/// #[obs::observe(labels(tier = "gold", shard = 3))]
/// fn charge(cents: u64) -> u64 { cents }
/// ```
/// `not_pii(name, …)` declares that an argument or a `fields(...)` key named like personal data
/// (see obs's PII vocabulary) holds none: without it, recording such a value is a compile error
/// unless its type redacts it:
/// ```
/// #[obs::observe(not_pii(email_count))]
/// fn digest(email_count: usize) -> usize { email_count }
/// ```
/// `parent = expr` gives the span another parent than the current span: a span context (such
/// as the `Option<SpanContext>` a message's headers give through `obs::context::extract_from`),
/// a `tracing::Span` of this process, or `None` for a new trace. `follows_from = expr` links the
/// span to one or several contexts or spans (exported as OTLP span links):
/// ```
/// pub struct Message { pub headers: Vec<(String, String)> }
/// #[obs::observe(skip_all, follows_from = obs::context::extract_from(message.headers.as_slice()))]
/// fn consume(message: &Message) -> usize { message.headers.len() }
/// #[obs::observe(skip_all, parent = obs::context::extract_from(message.headers.as_slice()))]
/// fn continue_trace(message: &Message) -> usize { message.headers.len() }
/// #[obs::observe(parent = None)]
/// fn detached() {}
/// # let message = Message { headers: vec![] };
/// # assert_eq!(consume(&message) + continue_trace(&message), 0);
/// # detached();
/// ```
/// `crate = path` names the `obs` crate when it is re-exported under another path:
/// ```
/// mod facade { pub use obs; }
/// #[obs::observe(crate = facade::obs)]
/// fn f() {}
/// ```
#[proc_macro_attribute]
pub fn observe(args: TokenStream, item: TokenStream) -> TokenStream {
    instrument(args, item, false)
}

/// Declares an entry point (a request handler, a job, a queue consumer) and gives it the four
/// golden signals: everything [`observe`] does, plus latency, traffic, errors and saturation
/// as `obs_operation_*` series, business events, and a service level objective that obs's
/// alert-rule generator turns into Prometheus rules.
///
/// ```
/// #[obs::golden_signals(
///     operation = "checkout",
///     objective(success = 99.9, latency_ms = 250, percentile = 99),
///     business_event = "order_placed",
///     err,
/// )]
/// async fn checkout(order_id: u64) -> Result<u64, String> {
///     Ok(order_id)
/// }
///
/// let op = obs::golden::operations().iter().find(|op| op.name == "checkout").unwrap();
/// assert_eq!(op.objective.unwrap().latency_ms, Some(250));
/// ```
///
/// # Arguments
///
/// Every argument of [`observe`], with its PII rules, and the following ones. The operations
/// they declare are gathered at link time: `obs::golden::operations()` lists them, called or not.
///
/// `operation = "name"` sets the `operation` label, a short identifier of letters, digits and
/// `_-.:/` (default: the function's name):
/// ```
/// #[obs::golden_signals(operation = "orders.place")]
/// fn place(id: u64) -> u64 { id }
/// # let op = obs::golden::operations().iter().find(|op| op.function == "place").unwrap();
/// # assert_eq!(op.name, "orders.place");
/// ```
/// `kind = "…"` says what kind of entry point it is: `server` (the default, a request handler),
/// `consumer` (a queue consumer), `job` or `internal`:
/// ```
/// #[obs::golden_signals(kind = "job")]
/// fn nightly_report() {}
/// # let op = obs::golden::operations().iter().find(|op| op.function == "nightly_report").unwrap();
/// # assert_eq!(op.kind, "job");
/// ```
/// `objective(success = …, latency_ms = …, percentile = …, window_days = …)` declares the
/// service level objective: `success`, the percentage of calls that must succeed (above 0,
/// below 100), and optionally `latency_ms`, a latency target at a `percentile` (default 99),
/// over `window_days` (1 to 90, default 30):
/// ```
/// #[obs::golden_signals(objective(success = 99.5, latency_ms = 100, percentile = 95, window_days = 7))]
/// fn search(terms: &str) -> Result<usize, String> { Ok(terms.len()) }
/// # let op = obs::golden::operations().iter().find(|op| op.function == "search").unwrap();
/// # let objective = op.objective.unwrap();
/// # assert_eq!((objective.success_percent, objective.latency_ms), (99.5, Some(100)));
/// # assert_eq!((objective.percentile, objective.window_days), (95.0, 7));
/// ```
/// `business_event = "name"`, a snake_case name, is counted in `obs_business_events_total` on
/// each successful call:
/// ```
/// #[obs::golden_signals(business_event = "user_signed_up")]
/// fn sign_up(id: u64) -> Result<u64, String> { Ok(id) }
/// # let op = obs::golden::operations().iter().find(|op| op.function == "sign_up").unwrap();
/// # assert_eq!(op.business_event, Some("user_signed_up"));
/// ```
///
/// # Series
///
/// `obs_operation_duration_seconds{operation, kind}` (latency; traffic is the rate of its
/// `_count`), `obs_operation_errors_total{operation, kind, error_type}` (errors: an `Err`, a
/// panic, or a 5xx when the function returns an HTTP `Response`, `StatusCode` or
/// `(StatusCode, _)`), `obs_operation_active{operation, kind}` (saturation, beside the process
/// gauges), and `obs_business_events_total{operation, event}`.
#[proc_macro_attribute]
pub fn golden_signals(args: TokenStream, item: TokenStream) -> TokenStream {
    instrument(args, item, true)
}

fn instrument(args: TokenStream, item: TokenStream, golden: bool) -> TokenStream {
    instrument_with(args.into(), item.into(), golden, cfg!(feature = "enabled")).into()
}

/// The attribute, on or off (obs's `observe` feature). Off, the arguments and the item are
/// checked as when on (the same errors, at the same tokens), and the item is left as written.
/// Beside an error the item is kept as written too, so that its callers still compile and
/// rust-analyzer still knows it.
fn instrument_with(
    args: proc_macro2::TokenStream,
    item: proc_macro2::TokenStream,
    golden: bool,
    enabled: bool,
) -> proc_macro2::TokenStream {
    match expand_item(args, item.clone(), golden) {
        Ok(expanded) if enabled => expanded,
        Ok(_) => bare(item),
        Err(error) => {
            let error = error.to_compile_error();
            let item = bare(item);
            quote::quote!(#error #item)
        }
    }
}

/// The item as written, without the attributes its methods take from an observed block.
fn bare(item: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    match block::Target::of(&item) {
        block::Target::Function => item,
        _ => block::without_method_attributes(item),
    }
}

fn expand_item(
    args: proc_macro2::TokenStream,
    item: proc_macro2::TokenStream,
    golden: bool,
) -> syn::Result<proc_macro2::TokenStream> {
    use syn::parse::Parser;
    match block::Target::of(&item) {
        block::Target::Function => {
            let parser =
                |input: syn::parse::ParseStream<'_>| attr::ObserveArgs::parse_for(input, golden);
            let args = parser.parse2(args)?;
            let function = syn::parse2::<item::ObservedFn>(item)?;
            refuse_second_instrumentation(&function.attrs, golden)?;
            expand::expand(args, function, None)
        }
        _ if golden => Err(syn::Error::new(
            proc_macro2::Span::call_site(),
            "`#[golden_signals]` goes on one entry point, a function or a method; put `#[observe]` on the block and `#[golden_signals]` on its entry points",
        )),
        block::Target::Impl => block::expand_impl(args, item),
        block::Target::Trait => block::expand_trait(args, item),
    }
}

/// A function observed twice (`#[golden_signals]` and `#[observe]`, or `#[observe]` twice) would
/// make two nested spans and count each call twice: an error at the second attribute.
fn refuse_second_instrumentation(attrs: &[syn::Attribute], golden: bool) -> syn::Result<()> {
    let this = if golden { "golden_signals" } else { "observe" };
    for attr in attrs {
        let Some(last) = attr.path().segments.last() else { continue };
        let message = match (this, last.ident.to_string().as_str()) {
            ("observe", "observe") => {
                "`#[observe]` twice on one function would observe it twice: merge the arguments into one `#[observe(…)]`"
            }
            ("golden_signals", "golden_signals") => {
                "`#[golden_signals]` twice on one function: one operation per function; merge the arguments into one"
            }
            (_, "observe" | "golden_signals") => {
                "`#[golden_signals]` already does everything `#[observe]` does, and takes its arguments: keep `#[golden_signals(…)]` alone, with the `#[observe]` arguments added to it"
            }
            _ => continue,
        };
        return Err(syn::Error::new_spanned(attr, message));
    }
    Ok(())
}

/// Derives a `Debug` that masks personal data, and `obs::pii::Redacted`, so that obs may record
/// the type.
///
/// ```
/// #[derive(obs::Redact)]
/// struct Customer {
///     id: u64,
///     #[redact(partial)]
///     email: String,
///     #[redact(partial)]
///     card_number: String,
///     #[redact]
///     password: String,
///     #[redact(hash)]
///     phone: String,
///     #[redact(skip)]
///     address: String,
///     #[not_pii]
///     email_count: u32,
/// }
///
/// let c = Customer {
///     id: 7,
///     email: "jane@example.com".into(),
///     card_number: "4242 4242 4242 4242".into(),
///     password: "hunter2".into(),
///     phone: "+44 20 7946 0000".into(),
///     address: "1 Main St".into(),
///     email_count: 2,
/// };
/// let shown = format!("{c:?}");
/// assert!(shown.starts_with("Customer { id: 7, email: j***@example.com, card_number: **** **** **** 4242, password: [REDACTED], phone: hash:"));
/// assert!(shown.ends_with(", email_count: 2, .. }"));
/// assert!(!shown.contains("jane") && !shown.contains("hunter2") && !shown.contains("Main"));
/// ```
///
/// Field attributes: `#[redact]` shows `[REDACTED]`; `#[redact(partial)]` keeps the shape (an
/// email's first letter and domain, a card's last four digits, the last four characters of other
/// text); `#[redact(hash)]` shows a keyed hash, equal for equal values within the process;
/// `#[redact(skip)]` leaves the field out; `#[not_pii]` says that a field named like personal
/// data holds none. On the type, `#[redact(display)]` also derives a redacted `Display`,
/// `#[redact(serialize)]` a redacted `serde::Serialize` (with obs's `serde` feature), and
/// `#[redact(crate = path)]` names a re-exported obs.
///
/// A field named like personal data (see obs's PII vocabulary) without `#[redact…]` or
/// `#[not_pii]` is a compile error, and so is a derive that redacts nothing.
#[proc_macro_derive(Redact, attributes(redact, not_pii))]
pub fn derive_redact(input: TokenStream) -> TokenStream {
    syn::parse::<syn::DeriveInput>(input)
        .and_then(redact::derive)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

#[cfg(test)]
mod tests {
    use super::instrument_with;
    use quote::quote;

    #[test]
    fn off_the_item_is_left_as_written() {
        let function = quote! {
            /// Docs.
            #[inline]
            pub async fn pay(&self, cents: u64) -> Result<u64, String> { Ok(cents) }
        };
        let args = quote!(err, level = debug);
        let off = instrument_with(args.clone(), function.clone(), false, false);
        assert_eq!(off.to_string(), function.to_string());
        let on = instrument_with(args, function.clone(), false, true);
        assert_ne!(on.to_string(), function.to_string());
        assert!(on.to_string().contains("__private"));
    }

    #[test]
    fn off_a_block_loses_only_its_methods_attributes() {
        let block = quote! {
            impl Cart {
                #[observe(skip)]
                fn len(&self) -> usize { 0 }
                fn add(&mut self) {}
            }
        };
        let off = instrument_with(quote!(), block, false, false).to_string();
        assert!(!off.contains("observe") && !off.contains("__private"), "{off}");
        assert!(off.contains("fn len") && off.contains("fn add"));
    }

    #[test]
    fn off_a_mistake_is_still_reported() {
        let function = quote!(
            fn pay(card: u64) {}
        );
        for enabled in [false, true] {
            let out = instrument_with(quote!(skip(cart)), function.clone(), false, enabled);
            let out = out.to_string();
            assert!(out.contains("compile_error") && out.contains("is not an argument"), "{out}");
            assert!(out.contains("fn pay"), "the function stays beside the error");
        }
    }
}
