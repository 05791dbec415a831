//! W3C trace context and baggage on HTTP headers, with obs's own implementation of the
//! Recommendations (see [`crate::propagation`]): a header that breaks the grammar is ignored
//! (the request starts a new trace), never an error.

use super::REQUEST_ID_HEADER;
use crate::propagation::{self, Incoming, Outgoing};
use http::{HeaderMap, HeaderValue};

/// Reads the trace context and baggage of an incoming request: exactly one valid
/// `traceparent` continues its trace (with every `tracestate` header, combined), anything else
/// starts a new one.
///
/// ```
/// let mut headers = http::HeaderMap::new();
/// headers.insert("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".parse().unwrap());
/// let incoming = obs_runtime::http::extract(&headers);
/// assert!(incoming.parent.unwrap().is_sampled());
///
/// headers.append("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".parse().unwrap());
/// assert_eq!(obs_runtime::http::extract(&headers).parent, None); // two headers: a new trace
/// ```
pub fn extract(headers: &HeaderMap) -> Incoming {
    propagation::extract(headers)
}

/// Writes the current span's `traceparent`, `tracestate` (when not empty), `baggage` (with the
/// user id as `user.id`) and the request's `x-request-id` (unless the request has one) into
/// outgoing headers: obs's own span of an observed function, or the traced `tracing` span this
/// thread is in. Nothing when no span is traced.
pub fn inject(headers: &mut HeaderMap) {
    if let Some((outgoing, request_id)) = crate::trace::context::current_outgoing() {
        write(&outgoing, request_id, headers);
    }
}

/// Writes the trace context of `span` into outgoing headers, as [`inject`] does.
pub fn inject_span(span: &tracing::Span, headers: &mut HeaderMap) {
    if let Some((outgoing, request_id)) = crate::trace::context::outgoing_of(span) {
        write(&outgoing, request_id, headers);
    }
}

fn write(outgoing: &Outgoing, request_id: Option<String>, headers: &mut HeaderMap) {
    for (name, value) in outgoing.pairs() {
        // Our own values are visible ASCII (hex, a validated tracestate, percent-encoded
        // baggage): the conversion cannot fail, and a value that did would be left out.
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    }
    if let Some(id) = request_id
        && !headers.contains_key(REQUEST_ID_HEADER)
        && let Ok(value) = HeaderValue::from_str(&id)
    {
        headers.insert(REQUEST_ID_HEADER, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn header_values_that_are_not_text_fail_the_grammar() {
        let mut headers = HeaderMap::new();
        headers.insert("traceparent", HeaderValue::from_bytes(b"00-\xff").unwrap());
        assert_eq!(extract(&headers).parent, None);
        headers.insert("traceparent", VALID.parse().unwrap());
        headers.insert("tracestate", HeaderValue::from_bytes(b"a=\xff").unwrap());
        assert_eq!(extract(&headers).parent.unwrap().trace_state().header(), "");
    }

    #[test]
    fn several_headers_of_each_kind_are_read() {
        let mut headers = HeaderMap::new();
        headers.insert("traceparent", VALID.parse().unwrap());
        headers.append("tracestate", "a=1".parse().unwrap());
        headers.append("tracestate", "b=2".parse().unwrap());
        headers.append("baggage", "k=1".parse().unwrap());
        headers.append("baggage", "l=2".parse().unwrap());
        let incoming = extract(&headers);
        assert_eq!(incoming.parent.unwrap().trace_state().header(), "a=1,b=2");
        assert_eq!(incoming.baggage.header().as_deref(), Some("k=1,l=2"));
    }
}
