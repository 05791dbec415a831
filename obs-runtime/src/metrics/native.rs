//! Native (exponential) twins of the duration histograms that go through the `metrics`
//! recorder: the HTTP server and client request durations and the business checks'. The
//! exporter keeps their classic buckets; each handle the recorder hands out for a `_seconds`
//! histogram also counts into exponential buckets here, keyed by the series (after scrubbing
//! and the cardinality guard, so this holds no more series than the exposition).
//!
//! obs's own latency histograms (functions, operations) keep theirs in the call counters
//! (`crate::observe::stats`).

use crate::hotpath::exponential::{Buckets, Counts};
use ::metrics::{Histogram, HistogramFn, Key};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

static SERIES: Mutex<Option<HashMap<Key, Arc<Buckets>>>> = Mutex::new(None);

/// Whether a histogram named so measures durations (and gets exponential buckets).
fn is_duration(name: &str) -> bool {
    name.ends_with("_seconds")
}

/// The handle to give out for `key`: `inner`, and for a duration its exponential buckets too.
pub(crate) fn twin(key: &Key, inner: Histogram) -> Histogram {
    if !is_duration(key.name()) {
        return inner;
    }
    let buckets = {
        let mut series = SERIES.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(series.get_or_insert_default().entry(key.clone()).or_default())
    };
    Histogram::from_arc(Arc::new(Twin { inner, buckets }))
}

struct Twin {
    inner: Histogram,
    buckets: Arc<Buckets>,
}

impl HistogramFn for Twin {
    fn record(&self, value: f64) {
        self.inner.record(value);
        self.buckets.record(value);
    }
}

/// The exponential buckets of every series of histogram `name`, by their labels.
pub(crate) fn of(name: &str) -> Vec<(Vec<(String, String)>, Counts)> {
    let series = SERIES.lock().unwrap_or_else(PoisonError::into_inner);
    let Some(series) = series.as_ref() else { return Vec::new() };
    series
        .iter()
        .filter(|(key, _)| key.name() == name)
        .map(|(key, buckets)| {
            let labels = key.labels().map(|l| (l.key().to_owned(), l.value().to_owned())).collect();
            (labels, buckets.read())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duration_histograms_get_twins_others_do_not() {
        let key =
            Key::from_parts("native_test_duration_seconds", vec![::metrics::Label::new("a", "1")]);
        for _ in 0..2 {
            twin(&key, Histogram::noop()).record(0.02);
        }
        twin(&Key::from_name("native_test_size_bytes"), Histogram::noop()).record(3.0);
        let series = of("native_test_duration_seconds");
        assert_eq!(series.len(), 1);
        assert_eq!(series[0].0, vec![("a".to_owned(), "1".to_owned())]);
        assert_eq!(series[0].1.total(), 2);
        assert!(of("native_test_size_bytes").is_empty());
    }
}
