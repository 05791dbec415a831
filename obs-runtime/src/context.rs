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

use crate::trace::current::{self, Current};
use crate::trace::span::SpanRecord;
use opentelemetry::trace::{SpanContext, TraceId};
use tracing::span::Id;
use tracing_subscriber::Registry;
use tracing_subscriber::registry::LookupSpan;

/// Runs `f` on the record of the `tracing` span `id`, or of its nearest traced ancestor.
pub(crate) fn with_span<R>(id: &Id, f: impl FnOnce(&SpanRecord) -> R) -> Option<R> {
    let mut f = Some(f);
    tracing::dispatcher::get_default(|dispatch| {
        let registry = dispatch.downcast_ref::<Registry>()?;
        let mut span = registry.span(id);
        while let Some(current) = span {
            if let Some(record) = current.extensions().get::<SpanRecord>() {
                return f.take().map(|f| f(record));
            }
            span = current.parent();
        }
        None
    })
}

/// Runs `f` on the record of the `tracing` span `id`, if obs traces it.
pub(crate) fn with_traced<R>(id: &Id, f: impl FnOnce(&SpanRecord) -> R) -> Option<R> {
    let mut f = Some(f);
    tracing::dispatcher::get_default(|dispatch| {
        let registry = dispatch.downcast_ref::<Registry>()?;
        let span = registry.span(id)?;
        let extensions = span.extensions();
        let record = extensions.get::<SpanRecord>()?;
        f.take().map(|f| f(record))
    })
}

/// Runs `f` on the record of the innermost traced span this thread is in.
pub(crate) fn with_current<R>(f: impl FnOnce(&SpanRecord) -> R) -> Option<R> {
    let mut f = Some(f);
    current::find(|frame| match frame {
        Current::Native(slot) => {
            let record = slot.record.try_borrow().ok()?;
            let record = record.as_ref()?;
            f.take().map(|f| f(record))
        }
        Current::Tracing(id) => with_traced(&id, |record| f.take().map(|f| f(record))).flatten(),
    })
}

/// Runs `f` on the record of span `id` (or its nearest traced ancestor), or of the current
/// span when `None`.
pub(crate) fn with_record<R>(id: Option<&Id>, f: impl FnOnce(&SpanRecord) -> R) -> Option<R> {
    match id {
        Some(id) => with_span(id, f),
        None => with_current(f),
    }
}

/// The W3C context of the current span, to send downstream (a `traceparent`).
pub fn current_span_context() -> Option<SpanContext> {
    with_current(SpanRecord::span_context)
}

/// The W3C context of `span` (or of its nearest traced ancestor).
pub fn span_context(span: &tracing::Span) -> Option<SpanContext> {
    span.id().and_then(|id| with_span(&id, SpanRecord::span_context))
}

/// The `baggage` header value that came with the trace of `span`, if any.
#[cfg(feature = "http")]
pub(crate) fn baggage_of(span: &tracing::Span) -> Option<String> {
    span.id().and_then(|id| with_span(&id, |r| r.trace.baggage.get().cloned())).flatten()
}

/// The `baggage` header value that came with the current trace, if any.
#[cfg(feature = "http")]
pub(crate) fn current_baggage() -> Option<String> {
    with_current(|r| r.trace.baggage.get().cloned()).flatten()
}

/// Sets the request id and baggage of the trace of `span` (used by the HTTP server layer).
#[cfg(feature = "http")]
pub(crate) fn set_request(span: &tracing::Span, request_id: String, baggage: Option<String>) {
    if let Some(id) = span.id() {
        with_span(&id, |r| {
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
        with_span(&id, |r| r.trace.mark_failed());
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

/// Sets the id of the current request, shown as `request_id` in every log line of its trace
/// (the HTTP server layer does this). The first id set wins.
pub fn set_request_id(id: impl Into<String>) {
    let id = id.into();
    with_current(|r| {
        let _ = r.trace.request_id.set(id);
    });
}

/// The id of the current request.
pub fn request_id() -> Option<String> {
    with_current(|r| r.trace.request_id.get().cloned()).flatten()
}

/// Sets the user of the current request, shown as `user_id` in every later log line of its
/// trace. Use an opaque id (a database key, a hash), never an email or a name.
pub fn set_user_id(id: impl Into<String>) {
    let id = id.into();
    with_current(|r| {
        *r.trace.user_id.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(id);
    });
}

/// The user of the current request.
pub fn user_id() -> Option<String> {
    with_current(|r| {
        r.trace.user_id.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    })
    .flatten()
}

/// Marks the current trace as failed, so that the sampler keeps it (a 5xx response, a panic).
pub fn mark_trace_failed() {
    with_current(|r| r.trace.mark_failed());
}
