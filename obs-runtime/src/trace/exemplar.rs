//! Exemplars: for each bucket of a latency histogram (and for an error counter), the trace and
//! span of a recent call that fell in it, taken only from spans that are exported, so that every
//! exemplar opens a trace the trace file or the backend has.
//!
//! They are recorded on the export thread, as it converts a span for export: the program's
//! threads do nothing for them (a span that is not exported costs nothing more, and one that is
//! costs a pointer stored when it starts). An observed function's span points to its callsite
//! ([`ExemplarSink`]); an HTTP server or client span is matched to its
//! `http_*_request_duration_seconds` series by the attributes its labels come from.

use crate::names;
use opentelemetry::trace::{SpanId, TraceId};
use opentelemetry::{KeyValue, Value};
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::SystemTime;

/// A call that a series can point to.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Exemplar {
    pub(crate) trace_id: TraceId,
    pub(crate) span_id: SpanId,
    /// The call's duration, in seconds.
    pub(crate) value: f64,
    /// When the call ended.
    pub(crate) at: SystemTime,
}

/// The latest exemplar per bucket of one histogram.
pub(crate) struct Slots {
    buckets: Mutex<Vec<Option<Exemplar>>>,
}

impl Slots {
    pub(crate) fn new(buckets: usize) -> Slots {
        Slots { buckets: Mutex::new(vec![None; buckets]) }
    }

    /// Keeps `exemplar` for the bucket `bounds` put its value in (the last for `+Inf`).
    pub(crate) fn offer(&self, bounds: &[f64], exemplar: Exemplar) {
        let bucket = bounds.iter().position(|&b| exemplar.value <= b).unwrap_or(bounds.len());
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(slot) = buckets.get_mut(bucket) {
            *slot = Some(exemplar);
        }
    }

    /// The exemplars, per bucket.
    pub(crate) fn get(&self) -> Vec<Option<Exemplar>> {
        self.buckets.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

/// Where an exported span of an observed function leaves its exemplar: its callsite's latency
/// histogram, and, when the call failed, its error counter (with the error's type).
pub(crate) trait ExemplarSink: Sync {
    fn offer(&'static self, exemplar: Exemplar, error_type: Option<&str>);
}

/// A series of the HTTP duration histograms: its name and its labels, sorted.
type SeriesKey = (&'static str, Vec<(String, String)>);

/// The HTTP series at most kept per histogram (past it, new series get no exemplar).
const MAX_HTTP_SERIES: usize = 2_000;

static HTTP: Mutex<Option<HashMap<SeriesKey, Vec<Option<Exemplar>>>>> = Mutex::new(None);

/// An exported span, as far as its exemplars go.
pub(crate) struct Leaving<'a> {
    pub(crate) exemplar: Exemplar,
    /// Its observed function's callsite, if it is one's span.
    pub(crate) sink: Option<&'static dyn ExemplarSink>,
    pub(crate) failed: bool,
    pub(crate) kind: &'a opentelemetry::trace::SpanKind,
    pub(crate) attributes: &'a [KeyValue],
}

/// A span is leaving for export: its exemplars are recorded (on the export thread).
pub(crate) fn on_export(span: Leaving<'_>) {
    let exemplar = span.exemplar;
    if let Some(sink) = span.sink {
        let error_type = span.failed.then(|| text_of(span.attributes, names::ERROR_TYPE)).flatten();
        sink.offer(exemplar, error_type.as_deref());
        return;
    }
    let series = match span.kind {
        opentelemetry::trace::SpanKind::Server => {
            (names::HTTP_SERVER_REQUEST_DURATION_SECONDS, &names::HTTP_SERVER_DURATION_ATTRIBUTES)
        }
        opentelemetry::trace::SpanKind::Client => {
            (names::HTTP_CLIENT_REQUEST_DURATION_SECONDS, &names::HTTP_CLIENT_DURATION_ATTRIBUTES)
        }
        _ => return,
    };
    if text_of(span.attributes, "http.request.method").is_none() {
        return;
    }
    let labels = labels_of(span.attributes, series.1);
    let mut map = HTTP.lock().unwrap_or_else(PoisonError::into_inner);
    let map = map.get_or_insert_with(HashMap::new);
    let key = (series.0, labels);
    if !map.contains_key(&key)
        && map.keys().filter(|(name, _)| *name == series.0).count() >= MAX_HTTP_SERIES
    {
        return;
    }
    let slots =
        map.entry(key).or_insert_with(|| vec![None; crate::names::HTTP_DURATION_BUCKETS.len() + 1]);
    let bounds = &crate::names::HTTP_DURATION_BUCKETS;
    let bucket = bounds.iter().position(|&b| exemplar.value <= b).unwrap_or(bounds.len());
    slots[bucket] = Some(exemplar);
}

/// The exemplars of the HTTP series `name{labels}` (labels without `service` and `le`), per
/// bucket of [`names::HTTP_DURATION_BUCKETS`] and `+Inf`.
pub(crate) fn http(name: &str, labels: &[(String, String)]) -> Option<Vec<Option<Exemplar>>> {
    let mut sorted = labels.to_vec();
    sorted.sort();
    let map = HTTP.lock().unwrap_or_else(PoisonError::into_inner);
    map.as_ref()?.iter().find(|((n, l), _)| *n == name && *l == sorted).map(|(_, e)| e.clone())
}

/// The labels of a series from the span attributes they come from (`http.route` is the label
/// `http_route`), sorted by name.
fn labels_of(attributes: &[KeyValue], from: &[&str]) -> Vec<(String, String)> {
    let mut labels: Vec<(String, String)> = from
        .iter()
        .filter_map(|attribute| {
            text_of(attributes, attribute).map(|value| (attribute.replace('.', "_"), value))
        })
        .collect();
    labels.sort();
    labels
}

fn text_of(attributes: &[KeyValue], key: &str) -> Option<String> {
    attributes.iter().find(|kv| kv.key.as_str() == key).map(|kv| match &kv.value {
        Value::String(s) => s.as_str().to_owned(),
        other => other.to_string(),
    })
}
