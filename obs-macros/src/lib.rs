//! Procedural macros of [obs](https://docs.rs/obs). Use them through the `obs` crate.

mod attr;
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
/// # Arguments
///
/// `name = "…"` names the span (the `function` label stays the function's name):
/// ```
/// #[obs::observe(name = "checkout")]
/// fn pay() {}
/// ```
/// `level = debug` (or `"debug"`, `Level::DEBUG`) and `target = "…"` set the span's level and
/// target:
/// ```
/// #[obs::observe(level = debug, target = "shop::db")]
/// fn query() {}
/// ```
/// `skip(a, b)` leaves arguments out of the span, `skip_all` leaves all of them out:
/// ```
/// #[obs::observe(skip(payload))]
/// fn upload(id: u32, payload: Vec<u8>) -> usize { payload.len() + id as usize }
/// #[obs::observe(skip_all)]
/// fn hash(data: &[u8]) -> usize { data.len() }
/// ```
/// `fields(key = expr, …)` adds fields (`%expr` with `Display`, `?expr` with `Debug`; a bare
/// key declares an empty field to record later):
/// ```
/// #[obs::observe(fields(items = cart.len(), shop.region = %"eu", discount))]
/// fn checkout(cart: Vec<u32>) {}
/// ```
/// `err` records the `Display` of a returned error on the span (`otel.status_description`)
/// and emits an ERROR event; `ret` emits an event with the return value:
/// ```
/// #[obs::observe(err, ret)]
/// fn parse(s: &str) -> Result<u32, std::num::ParseIntError> { s.parse() }
/// ```
/// `error_if = path` / `ok_if = path` decide the result from the return value with a
/// `fn(&T) -> bool`:
/// ```
/// fn is_none<T>(v: &Option<T>) -> bool { v.is_none() }
/// #[obs::observe(error_if = is_none)]
/// fn find(id: u32) -> Option<u32> { (id > 0).then_some(id) }
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
/// Every argument of [`observe`], and:
/// - `operation = "name"`: the `operation` label (default: the function's name);
/// - `kind = "server" | "consumer" | "job" | "internal"` (default `server`);
/// - `objective(success = 99.9, latency_ms = 250, percentile = 99, window_days = 30)`: the
///   share of calls that must succeed and, optionally, a latency target at a percentile;
/// - `business_event = "order_placed"`: counted in `obs_business_events_total` on each success.
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
    use syn::parse::Parser;
    let original = proc_macro2::TokenStream::from(item.clone());
    let parser = |input: syn::parse::ParseStream<'_>| attr::ObserveArgs::parse_for(input, golden);
    let result = parser
        .parse(args)
        .and_then(|args| Ok((args, syn::parse::<item::ObservedFn>(item)?)))
        .and_then(|(args, function)| expand::expand(args, function));
    match result {
        Ok(expanded) => expanded.into(),
        // Keep the function as written next to the error, so that its callers still compile
        // and rust-analyzer still knows it.
        Err(error) => {
            let error = error.to_compile_error();
            quote::quote!(#error #original).into()
        }
    }
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
