//! The trace and request context of the current span: ids for logs and propagation, the
//! request's id and user, and remote parents.
//!
//! Every function here is a no-op (or returns `None`) when obs's runtime is not installed or
//! the current span is not traced.
//!
//! ```
//! // In a request handler:
//! // An opaque id, never an email: one that looks like personal data is refused.
//! obs_runtime::context::set_user_id("u-1842").expect("an opaque id");
//! if let Some(trace_id) = obs_runtime::context::trace_id() {
//!     println!("report this id to support: {trace_id}");
//! }
//! ```

use super::current::{self, Current};
use super::local_trace::LiveSpan;
use super::registry::{nearest, with_nearest, with_traced};
use crate::hotpath::striped::Striped;
use crate::pii::scrub::Scrubbed;
use opentelemetry::trace::{SpanContext, TraceId};
use tracing::span::Id;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

/// Runs `f` on the record of the innermost traced span this thread is in.
pub(crate) fn with_current<R>(f: impl FnOnce(&LiveSpan) -> R) -> Option<R> {
    current_in(f, |id, f| with_traced(id, f))
}

/// [`with_current`], looking `tracing` spans up with `traced` (the registry of the current
/// subscriber, or a layer's context).
fn current_in<R, F: FnOnce(&LiveSpan) -> R>(
    f: F,
    traced: impl Fn(&Id, &mut dyn FnMut(&LiveSpan) -> Option<R>) -> Option<Option<R>>,
) -> Option<R> {
    let mut f = Some(f);
    current::find(|frame| match frame {
        Current::Native(slot) => {
            let record = slot.record.try_borrow().ok()?;
            let record = record.as_ref()?;
            f.take().map(|f| f(record))
        }
        Current::Tracing(id) => traced(&id, &mut |record| f.take().map(|f| f(record))).flatten(),
    })
}

/// Runs `f` on the record of the span an event belongs to: of `parent` (or its nearest traced
/// ancestor) when the event names one, of the current span otherwise.
///
/// From a layer's callback, with the layer's context: inside a callback, `tracing` answers a
/// thread-scoped subscriber's code with no subscriber at all (it guards against re-entry), so
/// the current subscriber's registry cannot be asked.
pub(crate) fn with_event_span<S, R>(
    ctx: &Context<'_, S>,
    parent: Option<&Id>,
    f: impl FnOnce(&LiveSpan) -> R,
) -> Option<R>
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
{
    match parent {
        Some(id) => nearest(ctx.span(id), f),
        None => current_in(f, |id, f| {
            let span = ctx.span(id)?;
            let extensions = span.extensions();
            extensions.get::<LiveSpan>().map(&mut *f)
        }),
    }
}

/// The W3C context of the current span, to send downstream (a `traceparent`).
pub fn current_span_context() -> Option<SpanContext> {
    with_current(LiveSpan::span_context)
}

/// The span context a message or request carries in its W3C `traceparent` and `tracestate`
/// (any key-value carrier: a `HeaderMap`, a `HashMap<String, String>`, a `Vec<(K, V)>`, a
/// slice of pairs), read by the rules of W3C Trace Context: `None` when there is none, or it is
/// malformed, or there are two. For a queue consumer's `#[observe(follows_from = …)]` or
/// `#[observe(parent = …)]`.
///
/// ```
/// let headers = vec![("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")];
/// let producer = obs_runtime::context::extract_from(headers.as_slice()).unwrap();
/// assert_eq!(producer.trace_id().to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
/// assert!(obs_runtime::context::extract_from(&[("traceparent", "garbage")][..]).is_none());
/// ```
pub fn extract_from<C: crate::propagation::Carrier + ?Sized>(carrier: &C) -> Option<SpanContext> {
    crate::propagation::extract(carrier).parent
}

/// The W3C headers (`traceparent`, and `tracestate` when not empty) that continue the current
/// span's trace, to put in a message a consumer will [`extract_from`]; empty outside a traced
/// span.
///
/// ```
/// for (key, value) in obs_runtime::context::inject() {
///     println!("{key}: {value}"); // add to the message's headers
/// }
/// ```
pub fn inject() -> Vec<(&'static str, String)> {
    current_span_context().map_or_else(Vec::new, |context| {
        crate::propagation::Outgoing::new(
            &context,
            &crate::propagation::baggage::Baggage::default(),
        )
        .pairs()
        .filter(|(key, _)| *key != crate::propagation::BAGGAGE)
        .map(|(key, value)| (key, value.to_owned()))
        .collect()
    })
}

pub use super::lineage::{IntoLinks, IntoParent};

/// The W3C context of `span` (or of its nearest traced ancestor).
pub fn span_context(span: &tracing::Span) -> Option<SpanContext> {
    span.id().and_then(|id| with_nearest(&id, LiveSpan::span_context))
}

/// The headers that continue the trace of `span` (or of its nearest traced ancestor)
/// downstream: its context, its baggage (with the user id as `user.id`), and the request id.
#[cfg(feature = "http")]
pub(crate) fn outgoing_of(
    span: &tracing::Span,
) -> Option<(crate::propagation::Outgoing, Option<String>)> {
    span.id().and_then(|id| with_nearest(&id, outgoing))
}

/// The headers that continue the current trace downstream.
#[cfg(feature = "http")]
pub(crate) fn current_outgoing() -> Option<(crate::propagation::Outgoing, Option<String>)> {
    with_current(outgoing)
}

#[cfg(feature = "http")]
fn outgoing(record: &LiveSpan) -> (crate::propagation::Outgoing, Option<String>) {
    let headers = record.trace.with_request(|request| {
        crate::propagation::Outgoing::new(&record.span_context(), &request.baggage)
    });
    (headers, record.trace.request_id.get().map(|id| id.as_str().to_owned()))
}

/// Sets the request id and the incoming baggage of the trace of `span` (used by the HTTP
/// server layer). A `user.id` in the baggage becomes the request's user, unless it looks like
/// personal data.
#[cfg(feature = "http")]
pub(crate) fn set_request(
    span: &tracing::Span,
    request_id: Scrubbed<String>,
    baggage: crate::propagation::baggage::Baggage,
) {
    if let Some(id) = span.id() {
        with_nearest(&id, |r| {
            let _ = r.trace.request_id.set(request_id);
            r.trace.with_request(|request| {
                let user = baggage.get(USER_ID_BAGGAGE).map(|u| Scrubbed::exact(u.to_owned()));
                if let Some(None) = user {
                    REFUSED.user_id.add(1);
                }
                request.user_id = user.flatten();
                request.baggage = baggage;
            });
        });
    }
}

/// Marks the trace of `span` failed (a 5xx response).
#[cfg(feature = "http")]
pub(crate) fn mark_failed(span: &tracing::Span) {
    if let Some(id) = span.id() {
        with_nearest(&id, |r| r.trace.mark_failed());
    }
}

/// The trace id of the current span.
pub fn trace_id() -> Option<TraceId> {
    with_current(|r| r.trace.trace_id)
}

/// Runs `f`; a span it creates without a local parent continues the remote trace `parent`
/// (typically extracted from an incoming `traceparent`). An invalid context is ignored, and
/// the span starts a new trace.
///
/// ```
/// use opentelemetry::trace::{SpanContext, SpanId, TraceFlags, TraceId, TraceState};
/// let parent = SpanContext::new(TraceId::from(1u128), SpanId::from(2u64), TraceFlags::SAMPLED, true, TraceState::default());
/// let span = obs_runtime::context::with_remote_parent(&parent, || tracing::info_span!("request"));
/// # drop(span);
/// ```
pub fn with_remote_parent<R>(parent: &SpanContext, f: impl FnOnce() -> R) -> R {
    current::with_remote_parent(parent, f)
}

/// The baggage key that carries the user id between services (OpenTelemetry's `user.id`).
pub const USER_ID_BAGGAGE: &str = "user.id";

/// Values refused because they looked like personal data, by what they were meant to be.
struct Refused {
    user_id: Striped,
    request_id: Striped,
}

static REFUSED: Refused = Refused { user_id: Striped::new(), request_id: Striped::new() };

/// A request id that came from outside, if it may be shown in every log line (nothing in it
/// that the scrubber would mask); one that looks like personal data is counted.
#[cfg(feature = "http")]
pub(crate) fn accept_request_id(id: &str) -> Option<Scrubbed<String>> {
    let accepted = Scrubbed::exact(id.to_owned());
    if accepted.is_none() {
        REFUSED.request_id.add(1);
    }
    accepted
}

/// Publishes `obs_pii_refused_total{field}`.
pub(crate) fn publish_metrics() {
    use crate::names::{LABEL_FIELD, OBS_PII_REFUSED_TOTAL};
    for (field, counter) in [("user_id", &REFUSED.user_id), ("request_id", &REFUSED.request_id)] {
        ::metrics::counter!(OBS_PII_REFUSED_TOTAL, LABEL_FIELD => field).absolute(counter.get());
    }
}

/// Describes the metrics of this module.
pub(crate) fn describe_metrics() {
    ::metrics::describe_counter!(
        crate::names::OBS_PII_REFUSED_TOTAL,
        ::metrics::Unit::Count,
        "User and request ids refused because they looked like personal data"
    );
}

/// A user or request id that looks like personal data (the scrubber would mask it).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "this {0} looks like personal data (an email, a phone number, a card number…) and would appear in every log line: use an opaque id, such as a database key or a keyed hash"
)]
pub struct LooksLikePii(&'static str);

/// Sets the id of the current request, shown as `request_id` in every log line of its trace
/// and sent downstream as `x-request-id` (the HTTP server layer does this). The first id set
/// wins. An id that looks like personal data is refused, and counted in
/// `obs_pii_refused_total{field="request_id"}`.
pub fn set_request_id(id: impl Into<String>) -> Result<(), LooksLikePii> {
    let Some(id) = Scrubbed::exact(id.into()) else {
        REFUSED.request_id.add(1);
        return Err(LooksLikePii("request id"));
    };
    with_current(|r| {
        let _ = r.trace.request_id.set(id);
    });
    Ok(())
}

/// The id of the current request.
pub fn request_id() -> Option<String> {
    with_current(|r| r.trace.request_id.get().map(|id| id.as_str().to_owned())).flatten()
}

/// Sets the user of the current request: shown as `user_id` in every later log line of its
/// trace, here and, through the `user.id` baggage, in the services it calls (which may set
/// their own). Use an opaque id (a database key, a hash): an id that the scrubber would mask
/// (an email, a phone number) is refused, and counted in
/// `obs_pii_refused_total{field="user_id"}`.
///
/// ```
/// assert!(obs_runtime::context::set_user_id("u-1842").is_ok());
/// assert!(obs_runtime::context::set_user_id("jane@example.com").is_err());
/// ```
pub fn set_user_id(id: impl Into<String>) -> Result<(), LooksLikePii> {
    let Some(id) = Scrubbed::exact(id.into()) else {
        REFUSED.user_id.add(1);
        return Err(LooksLikePii("user id"));
    };
    with_current(|r| {
        r.trace.with_request(|request| {
            // The key is a token: this cannot fail.
            let _ = request.baggage.set(USER_ID_BAGGAGE, id.as_str());
            request.user_id = Some(id);
        });
    });
    Ok(())
}

/// The user of the current request.
pub fn user_id() -> Option<String> {
    with_current(|r| {
        r.trace.with_request(|request| request.user_id.as_ref().map(|id| id.as_str().to_owned()))
    })
    .flatten()
}

/// Sets a W3C baggage entry of the current request, sent to the services it calls (scrubbed
/// of personal data on the way out). A key must be an HTTP token.
///
/// ```
/// assert!(obs_runtime::context::set_baggage("tenant", "acme").is_ok());
/// assert!(obs_runtime::context::set_baggage("not a token", "x").is_err());
/// ```
pub fn set_baggage(key: &str, value: &str) -> Result<(), crate::propagation::baggage::InvalidKey> {
    if let Some(result) =
        with_current(|r| r.trace.with_request(|request| request.baggage.set(key, value)))
    {
        return result;
    }
    // No current trace: still say whether the key is valid.
    crate::propagation::baggage::Baggage::default().set(key, value)
}

/// A W3C baggage entry of the current request (received, or set by the program).
pub fn baggage(key: &str) -> Option<String> {
    with_current(|r| r.trace.with_request(|request| request.baggage.get(key).map(str::to_owned)))
        .flatten()
}

/// Marks the current trace as failed, so that the sampler keeps it (a 5xx response, a panic).
pub fn mark_trace_failed() {
    with_current(|r| r.trace.mark_failed());
}
