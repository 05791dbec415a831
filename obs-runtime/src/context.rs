//! The trace and request context of the current span: ids for logs and propagation, the
//! request's id and user, and remote parents.
//!
//! Every function here is a no-op (or returns `None`) when obs's runtime is not installed or
//! the current span is not traced.
//!
//! ```
//! // In a request handler:
//! obs_runtime::context::set_user_id("u-1842"); // an opaque id, never an email
//! if let Some(trace_id) = obs_runtime::context::trace_id() {
//!     println!("report this id to support: {trace_id}");
//! }
//! ```

use crate::trace::span::SpanRecord;
use opentelemetry::trace::{SpanContext, TraceId};
use tracing::span::Id;
use tracing_subscriber::Registry;
use tracing_subscriber::registry::LookupSpan;

/// Runs `f` on the nearest traced span at or above `id` (the current span when `None`).
pub(crate) fn with_record<R>(id: Option<&Id>, f: impl FnOnce(&SpanRecord) -> R) -> Option<R> {
    let mut f = Some(f);
    tracing::dispatcher::get_default(|dispatch| {
        let registry = dispatch.downcast_ref::<Registry>()?;
        let id = match id {
            Some(id) => id.clone(),
            None => tracing::Subscriber::current_span(registry).id()?.clone(),
        };
        let mut span = registry.span(&id);
        while let Some(current) = span {
            if let Some(record) = current.extensions().get::<SpanRecord>() {
                return f.take().map(|f| f(record));
            }
            span = current.parent();
        }
        None
    })
}

/// The W3C context of the current span, to send downstream (a `traceparent`).
pub fn current_span_context() -> Option<SpanContext> {
    with_record(None, SpanRecord::span_context)
}

/// The W3C context of `span` (or of its nearest traced ancestor).
pub fn span_context(span: &tracing::Span) -> Option<SpanContext> {
    span.id().and_then(|id| with_record(Some(&id), SpanRecord::span_context))
}

/// The `baggage` header value that came with the trace of `span`, if any.
#[cfg(feature = "http")]
pub(crate) fn baggage_of(span: &tracing::Span) -> Option<String> {
    span.id().and_then(|id| with_record(Some(&id), |r| r.trace.baggage.get().cloned())).flatten()
}

/// Sets the request id and baggage of the trace of `span` (used by the HTTP server layer).
#[cfg(feature = "http")]
pub(crate) fn set_request(span: &tracing::Span, request_id: String, baggage: Option<String>) {
    if let Some(id) = span.id() {
        with_record(Some(&id), |r| {
            let _ = r.trace.request_id.set(request_id);
            if let Some(baggage) = baggage {
                let _ = r.trace.baggage.set(baggage);
            }
        });
    }
}

/// Marks the trace of `span` failed (a 5xx response).
#[cfg(feature = "http")]
pub(crate) fn mark_failed(span: &tracing::Span) {
    if let Some(id) = span.id() {
        with_record(Some(&id), |r| r.trace.mark_failed());
    }
}

/// The trace id of the current span.
pub fn trace_id() -> Option<TraceId> {
    with_record(None, |r| r.trace.trace_id)
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
    crate::trace::layer::with_remote_parent(parent, f)
}

/// Sets the id of the current request, shown as `request_id` in every log line of its trace
/// (the HTTP server layer does this). The first id set wins.
pub fn set_request_id(id: impl Into<String>) {
    let id = id.into();
    with_record(None, |r| {
        let _ = r.trace.request_id.set(id);
    });
}

/// The id of the current request.
pub fn request_id() -> Option<String> {
    with_record(None, |r| r.trace.request_id.get().cloned()).flatten()
}

/// Sets the user of the current request, shown as `user_id` in every later log line of its
/// trace. Use an opaque id (a database key, a hash), never an email or a name.
pub fn set_user_id(id: impl Into<String>) {
    let id = id.into();
    with_record(None, |r| {
        *r.trace.user_id.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(id);
    });
}

/// The user of the current request.
pub fn user_id() -> Option<String> {
    with_record(None, |r| {
        r.trace.user_id.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    })
    .flatten()
}

/// Marks the current trace as failed, so that the sampler keeps it (a 5xx response, a panic).
pub fn mark_trace_failed() {
    with_record(None, |r| r.trace.mark_failed());
}
