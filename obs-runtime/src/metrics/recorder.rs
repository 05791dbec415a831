//! The `metrics` recorder obs installs, and what it holds as families of series.
//!
//! - `metrics-exporter-prometheus`'s recorder holds every `metrics` series (counters, gauges,
//!   and the HTTP layer's histograms, with explicit buckets: without them it renders summaries),
//!   wrapped so that every label value is scrubbed and every metric's label sets are held to
//!   their limit.
//! - The latency histograms of observed functions and `#[golden_signals]` operations come from
//!   obs's own call counters (as of the last flush, like the call counters), with exemplars.
//!
//! Why the second: the exporter's histograms keep every raw sample until its upkeep folds them
//! into buckets, so forwarding a function's calls to it costs one pushed sample per call (memory
//! for millions of samples between upkeeps in a hot function, and a background thread's time per
//! call). obs's counters already hold exact bucket counts and sums. The Prometheus endpoint
//! ([`super::prometheus`]) and the OTLP push ([`super::otlp`]) read both from here.

use super::bridge::{self, CallHistogram};
use super::cardinality::{self, SeriesGuard};
use super::exposition::{self, Family, Kind, Labels, Sample};
use super::handles::Handles;
use super::native;
use crate::names::{self, HTTP_DURATION_BUCKETS};
use crate::observe::stats::DURATION_BUCKETS;
use crate::pii::scrub::{self, Scrubbed};
use crate::trace::exemplar::Exemplar;
use ::metrics::{Counter, Gauge, Histogram, Key, KeyName, Metadata, SharedString, Unit};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::borrow::Cow;
use std::sync::OnceLock;

pub(crate) struct Store {
    pub(crate) handle: PrometheusHandle,
    pub(crate) service: String,
}

static STORE: OnceLock<Store> = OnceLock::new();

/// Why the recorder could not be installed.
#[derive(Debug)]
pub(crate) enum InstallError {
    /// The exporter refused a setting.
    Exporter(String),
    /// The program already has a global `metrics` recorder.
    RecorderAlreadySet,
}

/// Installs the global recorder, once; from then on obs writes the latency histograms itself
/// (see [`bridge::serve_histograms`]).
pub(crate) fn install(service: &str, max_series: usize) -> Result<&'static Store, InstallError> {
    if let Some(store) = STORE.get() {
        return Ok(store);
    }
    // Every series carries `service`: the alert rules group by it, and Alertmanager inhibits by it.
    let recorder = PrometheusBuilder::new()
        .add_global_label("service", service)
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &HTTP_DURATION_BUCKETS)
        .map_err(|e| InstallError::Exporter(e.to_string()))?
        .build_recorder();
    let handle = recorder.handle();
    ::metrics::set_global_recorder(Guarded {
        inner: recorder,
        series: cardinality::install(max_series),
        counters: Handles::new(),
        gauges: Handles::new(),
        histograms: Handles::new(),
    })
    .map_err(|_| InstallError::RecorderAlreadySet)?;
    bridge::serve_histograms();
    Ok(STORE.get_or_init(|| Store { handle, service: service.to_owned() }))
}

/// The exporter's recorder, with every label value scrubbed before it is registered (a label
/// that a program fills from a request, a path or a header, cannot carry personal data to the
/// exposition), and every metric's label sets held to its limit (see [`super::cardinality`]).
/// A series registered again is looked up (see [`super::handles`]).
struct Guarded<R> {
    inner: R,
    series: &'static SeriesGuard,
    counters: Handles<Counter>,
    gauges: Handles<Gauge>,
    histograms: Handles<Histogram>,
}

impl<R> Guarded<R> {
    /// The handle of `key`: the one kept, or one `register` makes for the key as scrubbed and
    /// admitted, kept when that is `key` itself.
    fn handle<H: Clone>(
        &self,
        handles: &Handles<H>,
        key: &Key,
        register: impl FnOnce(&Key) -> H,
    ) -> H {
        if let Some(handle) = handles.get(key) {
            return handle;
        }
        let admitted = self.series.admit(scrub::metric_key(key).into_inner());
        let handle = register(&admitted);
        if let Cow::Borrowed(_) = admitted {
            handles.keep(key, &handle);
        }
        handle
    }
}

impl<R: ::metrics::Recorder> ::metrics::Recorder for Guarded<R> {
    fn describe_counter(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.inner.describe_counter(key, unit, description);
    }
    fn describe_gauge(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.inner.describe_gauge(key, unit, description);
    }
    fn describe_histogram(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.inner.describe_histogram(key, unit, description);
    }
    fn register_counter(&self, key: &Key, metadata: &Metadata<'_>) -> Counter {
        self.handle(&self.counters, key, |key| self.inner.register_counter(key, metadata))
    }
    fn register_gauge(&self, key: &Key, metadata: &Metadata<'_>) -> Gauge {
        self.handle(&self.gauges, key, |key| self.inner.register_gauge(key, metadata))
    }
    fn register_histogram(&self, key: &Key, metadata: &Metadata<'_>) -> Histogram {
        self.handle(&self.histograms, key, |key| {
            native::twin(key, self.inner.register_histogram(key, metadata))
        })
    }
}

/// Folds the histogram samples the recorder received since the last upkeep into its buckets
/// (the HTTP layer's request durations); the metrics thread runs it after every flush.
pub(crate) fn upkeep() {
    if let Some(store) = STORE.get() {
        store.handle.run_upkeep();
    }
}

impl Store {
    /// Every series now, as families, with exemplars: the exporter's, then obs's histograms.
    pub(crate) fn families(&self) -> Vec<Family> {
        let mut families = exposition::parse_text(&self.handle.render());
        attach_exemplars(&mut families);
        for family in families.iter_mut().filter(|f| f.kind == Kind::Histogram) {
            family.native = native::of(&family.name);
        }
        families.extend(histogram_families(&self.service, &bridge::call_histograms()));
        families
    }
}

/// The exemplars of series the exporter holds: the HTTP duration histograms' buckets, and the
/// error counters.
fn attach_exemplars(families: &mut [Family]) {
    let errors = bridge::error_exemplars();
    for family in families {
        let http = [
            names::HTTP_SERVER_REQUEST_DURATION_SECONDS,
            names::HTTP_CLIENT_REQUEST_DURATION_SECONDS,
        ]
        .contains(&family.name.as_str());
        // The series whose buckets are being read, and its exemplars (looked up once).
        let mut series: Option<(Labels, Option<Vec<Option<Exemplar>>>)> = None;
        for sample in &mut family.samples {
            if http && sample.name.ends_with("_bucket") {
                let labels: Vec<(String, String)> = sample
                    .labels
                    .iter()
                    .filter(|(k, _)| k != "le" && k != "service")
                    .cloned()
                    .collect();
                if series.as_ref().is_none_or(|(l, _)| *l != labels) {
                    let exemplars = crate::trace::exemplar::http(&family.name, &labels);
                    series = Some((labels, exemplars));
                }
                let bucket = sample.label("le").and_then(|le| le.parse::<f64>().ok()).map_or(
                    HTTP_DURATION_BUCKETS.len(),
                    |le| {
                        HTTP_DURATION_BUCKETS
                            .iter()
                            .position(|&b| b == le)
                            .unwrap_or(HTTP_DURATION_BUCKETS.len())
                    },
                );
                sample.exemplar =
                    series.as_ref().and_then(|(_, e)| e.as_ref()?.get(bucket).copied().flatten());
            } else if sample.name == names::FUNCTION_CALLS_TOTAL
                && sample.label(names::LABEL_RESULT) == Some("error")
            {
                sample.exemplar = errors
                    .functions
                    .iter()
                    .find(|((function, module), _)| {
                        sample.label(names::LABEL_FUNCTION) == Some(function)
                            && sample.label(names::LABEL_MODULE) == Some(module)
                    })
                    .map(|(_, e)| *e);
            } else if sample.name == names::OPERATION_ERRORS_TOTAL {
                sample.exemplar = errors
                    .operations
                    .iter()
                    .find(|((operation, error_type), _)| {
                        sample.label(names::LABEL_OPERATION) == Some(operation)
                            && sample.label(names::LABEL_ERROR_TYPE) == Some(error_type.as_str())
                    })
                    .map(|(_, e)| *e);
            }
        }
    }
}

/// obs's latency histograms as OpenMetrics families: cumulative buckets with their exemplars,
/// `_count`, `_sum` and `_created`.
fn histogram_families(service: &str, histograms: &[CallHistogram]) -> Vec<Family> {
    let families = [
        (names::FUNCTION_CALLS_DURATION_SECONDS, bridge::FUNCTION_DURATION_HELP),
        (names::OPERATION_DURATION_SECONDS, bridge::OPERATION_DURATION_HELP),
    ];
    let mut out = Vec::new();
    for (name, help) in families {
        let mut samples = Vec::new();
        let mut natives = Vec::new();
        for histogram in histograms.iter().filter(|h| h.name == name) {
            natives.push((
                histogram
                    .labels
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), Scrubbed::text(v).into_inner()))
                    .collect(),
                histogram.native.clone(),
            ));
            let labels: Vec<(String, String)> = [&("service", service)]
                .into_iter()
                .chain(&histogram.labels)
                .map(|(k, v)| ((*k).to_owned(), Scrubbed::text(v).into_inner()))
                .collect();
            let with = |extra: Option<(&str, String)>| {
                let mut labels = labels.clone();
                labels.extend(extra.map(|(k, v)| (k.to_owned(), v)));
                labels
            };
            let mut cumulative = 0;
            for (i, count) in histogram.buckets.iter().enumerate() {
                cumulative += count;
                let le =
                    DURATION_BUCKETS.get(i).map_or_else(|| "+Inf".to_owned(), |b| b.to_string());
                samples.push(Sample {
                    name: format!("{name}_bucket"),
                    labels: with(Some(("le", le))),
                    value: cumulative.to_string(),
                    exemplar: histogram.exemplars.get(i).copied().flatten(),
                });
            }
            for (suffix, value) in [
                ("_count", cumulative.to_string()),
                ("_sum", histogram.sum_seconds.to_string()),
                ("_created", format!("{:.3}", exposition::unix_seconds(histogram.created))),
            ] {
                samples.push(Sample {
                    name: format!("{name}{suffix}"),
                    labels: with(None),
                    value,
                    exemplar: None,
                });
            }
        }
        if !samples.is_empty() {
            out.push(Family {
                name: name.to_owned(),
                kind: Kind::Histogram,
                help: Some(help.to_owned()),
                samples,
                native: natives,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::metrics::{Label, Recorder};
    use metrics_util::debugging::DebuggingRecorder;

    fn key(label: &str, value: &str) -> Key {
        Key::from_parts("logins_total", vec![Label::new(label.to_owned(), value.to_owned())])
    }

    #[test]
    fn only_series_registered_as_asked_are_kept() {
        let guarded = Guarded {
            inner: DebuggingRecorder::new(),
            series: Box::leak(Box::new(SeriesGuard::new(2))),
            counters: Handles::new(),
            gauges: Handles::new(),
            histograms: Handles::new(),
        };
        let metadata = ::metrics::Metadata::new("test", ::metrics::Level::INFO, None);
        let register = |key: &Key| drop(guarded.register_counter(key, &metadata));
        register(&key("user", "u-1"));
        assert!(guarded.counters.get(&key("user", "u-1")).is_some(), "an admitted series is kept");
        // The scrubber changes the label: the handle is of `[REDACTED:email]`, not kept under
        // a key that every distinct address would add to.
        register(&key("user", "jane@example.com"));
        assert!(guarded.counters.get(&key("user", "jane@example.com")).is_none());
        // Past the limit of two label sets (`u-1` and the redacted one): the overflow series,
        // not kept, counted each time.
        register(&key("user", "u-2"));
        register(&key("user", "u-3"));
        register(&key("user", "u-3"));
        assert!(guarded.counters.get(&key("user", "u-3")).is_none());
        let overflowed = guarded.series.overflowed.lock().map(|o| o["logins_total"]).ok();
        assert_eq!(overflowed, Some(3), "each registration past the limit is counted");
    }
}
