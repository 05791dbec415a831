//! W3C context propagation: [`traceparent`] and [`tracestate`] (Trace Context Level 2) and
//! [`baggage`], read from any carrier of text key-value pairs (HTTP headers, message metadata)
//! and written back in the forms the Recommendations define.
//!
//! obs implements the processing models itself, from the Recommendations' text, because
//! OpenTelemetry's propagators depart from them (each module says where). The HTTP layer and
//! client (`crate::http`) use this module; so can a queue consumer or any other transport.
//!
//! ```
//! use obs_runtime::propagation::{extract, Outgoing};
//! let headers = [
//!     ("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
//!     ("tracestate", "congo=t61rcWkgMzE"),
//!     ("baggage", "tenant=acme"),
//! ];
//! let incoming = extract(&headers[..]);
//! let parent = incoming.parent.unwrap();
//! assert!(parent.is_sampled() && parent.is_remote());
//! assert_eq!(parent.trace_state().header(), "congo=t61rcWkgMzE");
//! assert_eq!(incoming.baggage.get("tenant"), Some("acme"));
//!
//! let outgoing = Outgoing::new(&parent, &incoming.baggage);
//! assert_eq!(outgoing.tracestate.as_deref(), Some("congo=t61rcWkgMzE"));
//! ```

pub mod baggage;
pub mod traceparent;
pub mod tracestate;

use baggage::Baggage;
use opentelemetry::trace::SpanContext;
use std::collections::HashMap;
use traceparent::TraceParent;

/// Header names, lower case (HTTP header names are case-insensitive; a carrier that is not
/// HTTP should use these).
pub const TRACEPARENT: &str = "traceparent";
/// See [`TRACEPARENT`].
pub const TRACESTATE: &str = "tracestate";
/// See [`TRACEPARENT`].
pub const BAGGAGE: &str = "baggage";

/// Something context is read from: every value of a key, in order (a key may come several
/// times, as HTTP headers may).
pub trait Carrier {
    /// Every value of `key`, in the order received.
    fn values(&self, key: &str) -> Vec<&str>;
}

impl<K: AsRef<str>, V: AsRef<str>> Carrier for [(K, V)] {
    fn values(&self, key: &str) -> Vec<&str> {
        self.iter()
            .filter(|(k, _)| k.as_ref().eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_ref())
            .collect()
    }
}

impl<K: AsRef<str>, V: AsRef<str>> Carrier for Vec<(K, V)> {
    fn values(&self, key: &str) -> Vec<&str> {
        self.as_slice().values(key)
    }
}

impl<V: AsRef<str>, S: std::hash::BuildHasher> Carrier for HashMap<String, V, S> {
    fn values(&self, key: &str) -> Vec<&str> {
        self.iter().filter(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.as_ref()).collect()
    }
}

#[cfg(feature = "http")]
impl Carrier for http::HeaderMap {
    /// A header value that is not visible ASCII counts as a value that fails the grammar.
    fn values(&self, key: &str) -> Vec<&str> {
        self.get_all(key).iter().map(|v| v.to_str().unwrap_or("\u{0}")).collect()
    }
}

/// What a request carries of its trace.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Incoming {
    /// The remote parent, when exactly one valid `traceparent` came, with the combined
    /// `tracestate` (empty when it broke the grammar). `None` starts a new trace, and drops the
    /// `tracestate` (§4.3).
    pub parent: Option<SpanContext>,
    /// The combined `baggage`, valid members only.
    pub baggage: Baggage,
}

/// Reads the trace context and baggage a request carries.
pub fn extract<C: Carrier + ?Sized>(carrier: &C) -> Incoming {
    let parent = TraceParent::parse(&carrier.values(TRACEPARENT)).ok().map(|parent| {
        SpanContext::new(
            parent.trace_id,
            parent.parent_id,
            parent.flags,
            true,
            tracestate::parse(&carrier.values(TRACESTATE)),
        )
    });
    Incoming { parent, baggage: Baggage::parse(&carrier.values(BAGGAGE)) }
}

/// The header values to send on an outgoing request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outgoing {
    /// `00-{trace}-{span}-{flags}`.
    pub traceparent: String,
    /// The trace's `tracestate`, unchanged; `None` rather than an empty header, which the
    /// Recommendation asks vendors not to send.
    pub tracestate: Option<String>,
    /// The baggage (scrubbed, encoded, within the limits); `None` when there is none.
    pub baggage: Option<String>,
}

impl Outgoing {
    /// The headers that make the receiver's spans children of `span`.
    pub fn new(span: &SpanContext, baggage: &Baggage) -> Outgoing {
        let traceparent = TraceParent {
            trace_id: span.trace_id(),
            parent_id: span.span_id(),
            flags: span.trace_flags(),
        }
        .header();
        let tracestate = Some(span.trace_state().header()).filter(|s| !s.is_empty());
        Outgoing { traceparent, tracestate, baggage: baggage.header() }
    }

    /// The headers as `(name, value)` pairs, for any carrier.
    pub fn pairs(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            Some((TRACEPARENT, self.traceparent.as_str())),
            self.tracestate.as_deref().map(|v| (TRACESTATE, v)),
            self.baggage.as_deref().map(|v| (BAGGAGE, v)),
        ]
        .into_iter()
        .flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn tracestate_is_dropped_when_traceparent_is_invalid() {
        let incoming = extract(&[("traceparent", "00-bad"), ("tracestate", "congo=1")][..]);
        assert_eq!(incoming.parent, None);
        let incoming = extract(&[("traceparent", VALID), ("tracestate", "congo=1")][..]);
        assert_eq!(incoming.parent.unwrap().trace_state().header(), "congo=1");
    }

    #[test]
    fn two_traceparent_headers_start_a_new_trace() {
        let incoming = extract(&[("traceparent", VALID), ("Traceparent", VALID)][..]);
        assert_eq!(incoming.parent, None);
    }

    #[test]
    fn several_tracestate_headers_are_combined() {
        let carrier = [("traceparent", VALID), ("tracestate", "a=1"), ("tracestate", "b=2")];
        assert_eq!(extract(&carrier[..]).parent.unwrap().trace_state().header(), "a=1,b=2");
    }

    #[test]
    fn an_empty_tracestate_is_not_sent() {
        let incoming = extract(&[("traceparent", VALID)][..]);
        let outgoing = Outgoing::new(&incoming.parent.unwrap(), &Baggage::default());
        assert_eq!(outgoing.tracestate, None);
        assert_eq!(outgoing.baggage, None);
        assert_eq!(outgoing.pairs().count(), 1);
    }

    #[test]
    fn carriers_match_keys_case_insensitively() {
        let mut map = HashMap::new();
        map.insert("TraceParent".to_owned(), VALID.to_owned());
        assert!(extract(&map).parent.is_some());
    }
}
