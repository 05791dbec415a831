//! W3C `traceparent`, `tracestate` and `baggage`, with OpenTelemetry's own propagators: a
//! malformed header is ignored (the request starts a new trace), never an error.

use opentelemetry::baggage::BaggageExt;
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::{SpanContext, TraceContextExt};
use opentelemetry_http::{HeaderExtractor, HeaderInjector};
use opentelemetry_sdk::propagation::{BaggagePropagator, TraceContextPropagator};
use std::collections::HashMap;

/// What an incoming request says of its trace.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Incoming {
    /// The remote parent, when a valid `traceparent` came (with its `tracestate`).
    pub parent: Option<SpanContext>,
    /// The `baggage` header, normalised, when it held valid entries.
    pub baggage: Option<String>,
}

/// Reads the trace context of an incoming request.
///
/// ```
/// let mut headers = http::HeaderMap::new();
/// headers.insert("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".parse().unwrap());
/// let incoming = obs_runtime::http::extract(&headers);
/// assert!(incoming.parent.unwrap().is_sampled());
///
/// headers.insert("traceparent", "00-not-a-trace".parse().unwrap());
/// assert_eq!(obs_runtime::http::extract(&headers).parent, None);
/// ```
pub fn extract(headers: &http::HeaderMap) -> Incoming {
    let well_formed =
        headers.get("traceparent").and_then(|v| v.to_str().ok()).is_some_and(well_formed);
    let context = TraceContextPropagator::new().extract(&HeaderExtractor(headers));
    let span = context.span();
    let parent = Some(span.span_context().clone()).filter(|c| well_formed && c.is_valid());
    let baggage_context = BaggagePropagator::new().extract(&HeaderExtractor(headers));
    let baggage = (!baggage_context.baggage().is_empty())
        .then(|| {
            let mut carrier = HashMap::new();
            BaggagePropagator::new().inject_context(&baggage_context, &mut carrier);
            carrier.remove("baggage")
        })
        .flatten();
    Incoming { parent, baggage }
}

/// The W3C shape of a version-00 `traceparent` (`00-` 32 hex `-` 16 hex `-` 2 hex, lowercase),
/// checked before OpenTelemetry's propagator, which also accepts, for instance, one-digit
/// flags. Later versions may append fields, as the specification allows.
fn well_formed(traceparent: &str) -> bool {
    let bytes = traceparent.as_bytes();
    let lower_hex = |range: std::ops::Range<usize>| {
        bytes
            .get(range)
            .is_some_and(|s| s.iter().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b)))
    };
    let shape = lower_hex(0..2)
        && bytes.get(2) == Some(&b'-')
        && lower_hex(3..35)
        && bytes.get(35) == Some(&b'-')
        && lower_hex(36..52)
        && bytes.get(52) == Some(&b'-')
        && lower_hex(53..55);
    let length_ok = if traceparent.starts_with("00") {
        bytes.len() == 55
    } else {
        bytes.len() == 55 || bytes.get(55) == Some(&b'-')
    };
    shape && length_ok && !traceparent.starts_with("ff")
}

/// Writes the current span's `traceparent`, `tracestate` and `baggage` into outgoing headers
/// (obs's own span of an observed function, or the traced `tracing` span this thread is in).
pub fn inject(headers: &mut http::HeaderMap) {
    if let Some(span_context) = crate::context::current_span_context() {
        write(span_context, crate::context::current_baggage(), headers);
    }
}

/// Writes the trace context of `span` into outgoing headers; nothing when it is not traced.
pub fn inject_span(span: &tracing::Span, headers: &mut http::HeaderMap) {
    if let Some(span_context) = crate::context::span_context(span) {
        write(span_context, crate::context::baggage_of(span), headers);
    }
}

fn write(span_context: SpanContext, baggage: Option<String>, headers: &mut http::HeaderMap) {
    let context = opentelemetry::Context::new().with_remote_span_context(span_context);
    TraceContextPropagator::new().inject_context(&context, &mut HeaderInjector(headers));
    if let Some(baggage) = baggage
        && let Ok(value) = http::HeaderValue::from_str(&baggage)
    {
        headers.insert("baggage", value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parent_of(traceparent: &str) -> Option<SpanContext> {
        let mut headers = http::HeaderMap::new();
        headers.insert("traceparent", traceparent.parse().unwrap());
        extract(&headers).parent
    }

    #[test]
    fn only_well_formed_headers_are_continued() {
        assert!(parent_of("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").is_some());
        // Accepted by OpenTelemetry's propagator, invalid for W3C: one-digit flags, uppercase.
        assert!(parent_of("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1").is_none());
        assert!(parent_of("00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01").is_none());
        assert!(
            parent_of("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra").is_none()
        );
        assert!(parent_of("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").is_none());
        // A later version may carry more fields.
        assert!(
            parent_of("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future").is_some()
        );
    }

    #[test]
    fn baggage_is_normalised_and_invalid_baggage_dropped() {
        let mut headers = http::HeaderMap::new();
        headers.insert("baggage", "tenant=acme".parse().unwrap());
        assert_eq!(extract(&headers).baggage.as_deref(), Some("tenant=acme"));
        headers.insert("baggage", ";;;".parse().unwrap());
        assert_eq!(extract(&headers).baggage, None);
    }
}
