//! The Prometheus endpoint: `/metrics` in Prometheus's text format, from two sources.
//!
//! - `metrics-exporter-prometheus`'s recorder holds every `metrics` series (counters, gauges,
//!   and the HTTP layer's histograms, with explicit buckets: without them it renders summaries).
//! - The latency histograms of observed functions and `#[golden_signals]` operations are written
//!   here, from obs's own call counters (as of the last flush, like the call counters).
//!
//! Why the second: the exporter's histograms keep every raw sample until its upkeep folds them
//! into buckets, so forwarding a function's calls to it costs one pushed sample per call (memory
//! for millions of samples between upkeeps in a hot function, and a background thread's time per
//! call). obs's counters already hold exact bucket counts and sums; written out directly, a scrape
//! costs a few lines per function whatever the call rate. The exporter's own HTTP listener serves
//! only its recorder, so obs serves the endpoint (hyper, on a thread of its own).

use super::bridge::{self, CallHistogram};
use super::cardinality::{self, SeriesGuard};
use super::exposition::{self, Family, Kind, Sample};
use crate::names;
use crate::observe::stats::DURATION_BUCKETS;
use crate::pii::scrub::{self, Scrubbed};
use crate::trace::exemplar::Exemplar;
use ::metrics::{Counter, Gauge, Histogram, Key, KeyName, Metadata, SharedString, Unit};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{ACCEPT, CONTENT_TYPE, HeaderValue};
use hyper::{Request, Response};
use metrics_exporter_prometheus::formatting::sanitize_label_value;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

pub use crate::names::HTTP_DURATION_BUCKETS;

/// The content type of Prometheus's text format.
const TEXT_FORMAT: &str = "text/plain; version=0.0.4";

struct Endpoint {
    handle: PrometheusHandle,
    service: String,
}

static ENDPOINT: OnceLock<Arc<Endpoint>> = OnceLock::new();

/// Why the endpoint could not be installed.
#[derive(Debug)]
pub(crate) enum InstallError {
    /// The address cannot be served (taken, or not local), or the exporter refused a setting.
    Endpoint(String),
    /// The program already has a global `metrics` recorder.
    RecorderAlreadySet,
}

/// Installs the global recorder and serves `/metrics` on `addr`, on a thread of its own.
pub(crate) fn install(
    addr: SocketAddr,
    service: &str,
    max_series: usize,
) -> Result<(), InstallError> {
    let endpoint_error = |reason: String| InstallError::Endpoint(reason);
    // Binding first gives a clear error for a taken port, before anything is installed.
    let listener = std::net::TcpListener::bind(addr).map_err(|e| endpoint_error(e.to_string()))?;
    listener.set_nonblocking(true).map_err(|e| endpoint_error(e.to_string()))?;
    // Every series carries `service`: the alert rules group by it, and Alertmanager inhibits by it.
    let builder = PrometheusBuilder::new()
        .add_global_label("service", service)
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &HTTP_DURATION_BUCKETS)
        .map_err(|e| endpoint_error(e.to_string()))?;
    let recorder = builder.build_recorder();
    let endpoint = Arc::new(Endpoint { handle: recorder.handle(), service: service.to_owned() });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .map_err(|e| endpoint_error(e.to_string()))?;
    ::metrics::set_global_recorder(Guarded {
        inner: recorder,
        series: cardinality::install(max_series),
    })
    .map_err(|_| InstallError::RecorderAlreadySet)?;
    let _ = ENDPOINT.set(endpoint.clone());
    bridge::serve_histograms();
    std::thread::Builder::new()
        .name("obs-prometheus".into())
        .spawn(move || runtime.block_on(serve(listener, endpoint)))
        .map_err(|e| endpoint_error(e.to_string()))?;
    Ok(())
}

/// The exporter's recorder, with every label value scrubbed before it is registered (a label
/// that a program fills from a request, a path or a header, cannot carry personal data to the
/// exposition), and every metric's label sets held to its limit (see [`super::cardinality`]).
struct Guarded<R> {
    inner: R,
    series: &'static SeriesGuard,
}

impl<R> Guarded<R> {
    fn key<'a>(&self, key: &'a Key) -> std::borrow::Cow<'a, Key> {
        self.series.admit(scrub::metric_key(key).into_inner())
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
        self.inner.register_counter(&self.key(key), metadata)
    }
    fn register_gauge(&self, key: &Key, metadata: &Metadata<'_>) -> Gauge {
        self.inner.register_gauge(&self.key(key), metadata)
    }
    fn register_histogram(&self, key: &Key, metadata: &Metadata<'_>) -> Histogram {
        self.inner.register_histogram(&self.key(key), metadata)
    }
}

/// Folds the histogram samples the recorder received since the last upkeep into its buckets
/// (the HTTP layer's request durations); the metrics thread runs it after every flush.
pub(crate) fn upkeep() {
    if let Some(endpoint) = ENDPOINT.get() {
        endpoint.handle.run_upkeep();
    }
}

async fn serve(listener: std::net::TcpListener, endpoint: Arc<Endpoint>) {
    let listener = match tokio::net::TcpListener::from_std(listener) {
        Ok(listener) => listener,
        Err(error) => {
            tracing::error!(%error, "the Prometheus endpoint cannot listen: /metrics is not served");
            return;
        }
    };
    loop {
        // A failed accept (out of file descriptors, a connection reset before it was
        // accepted) loses that connection only.
        let Ok((stream, _)) = listener.accept().await else { continue };
        let endpoint = endpoint.clone();
        tokio::spawn(async move {
            // Every path answers the metrics, as the exporter's own listener does.
            let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                let openmetrics =
                    request.headers().get_all(ACCEPT).iter().any(|v| {
                        v.to_str().is_ok_and(|v| v.contains("application/openmetrics-text"))
                    });
                let response = respond(&endpoint, openmetrics);
                async move { Ok::<_, std::convert::Infallible>(response) }
            });
            // A client that goes away mid-request is its own problem: nothing to report.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .await;
        });
    }
}

/// The exposition: Prometheus's text format, or OpenMetrics (with exemplars) when the scraper
/// asks for it.
fn respond(endpoint: &Endpoint, openmetrics: bool) -> Response<Full<Bytes>> {
    let (body, content_type) = if openmetrics {
        let mut families = exposition::parse_text(&endpoint.handle.render());
        attach_exemplars(&mut families);
        families.extend(histogram_families(&endpoint.service, &bridge::call_histograms()));
        (exposition::render_openmetrics(&families), exposition::OPENMETRICS)
    } else {
        let mut body = endpoint.handle.render();
        write_histograms(&mut body, &endpoint.service, &bridge::call_histograms());
        (body, TEXT_FORMAT)
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

type Labels = Vec<(String, String)>;

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
        for histogram in histograms.iter().filter(|h| h.name == name) {
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
            });
        }
    }
    out
}

/// Writes `histograms` in Prometheus's text format, each family once with its HELP and TYPE,
/// `service` first as on the recorder's series.
fn write_histograms(out: &mut String, service: &str, histograms: &[CallHistogram]) {
    let families = [
        (names::FUNCTION_CALLS_DURATION_SECONDS, bridge::FUNCTION_DURATION_HELP),
        (names::OPERATION_DURATION_SECONDS, bridge::OPERATION_DURATION_HELP),
    ];
    for (family, help) in families {
        let mut members = histograms.iter().filter(|h| h.name == family).peekable();
        if members.peek().is_none() {
            continue;
        }
        let _ = writeln!(out, "# HELP {family} {help}");
        let _ = writeln!(out, "# TYPE {family} histogram");
        for histogram in members {
            let mut labels = String::new();
            for (key, value) in [&("service", service)].into_iter().chain(&histogram.labels) {
                // Scrubbed and escaped as the recorder's series are, so that they match.
                let value = Scrubbed::text(value);
                let _ = write!(labels, "{key}=\"{}\",", sanitize_label_value(value.as_str()));
            }
            let mut cumulative = 0;
            for (i, count) in histogram.buckets.iter().enumerate() {
                cumulative += count;
                let le: &dyn std::fmt::Display = match DURATION_BUCKETS.get(i) {
                    Some(bound) => bound,
                    None => &"+Inf",
                };
                let _ = writeln!(out, "{family}_bucket{{{labels}le=\"{le}\"}} {cumulative}");
            }
            let labels = labels.trim_end_matches(',');
            let _ = writeln!(out, "{family}_sum{{{labels}}} {}", histogram.sum_seconds);
            let _ = writeln!(out, "{family}_count{{{labels}}} {cumulative}");
        }
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_cumulative_with_sum_count_and_escaped_labels() {
        let mut buckets = [0; DURATION_BUCKETS.len() + 1];
        buckets[0] = 2;
        buckets[3] = 1;
        buckets[DURATION_BUCKETS.len()] = 1;
        let histograms = [CallHistogram {
            name: names::FUNCTION_CALLS_DURATION_SECONDS,
            labels: vec![("function", "f\"1"), ("module", "m")],
            buckets,
            sum_seconds: 20.5,
            exemplars: vec![None; DURATION_BUCKETS.len() + 1],
            created: std::time::SystemTime::UNIX_EPOCH,
        }];
        let mut out = String::new();
        write_histograms(&mut out, "shop", &histograms);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines[0],
            "# HELP function_calls_duration_seconds Latency of calls of an observed function"
        );
        assert_eq!(lines[1], "# TYPE function_calls_duration_seconds histogram");
        let labels = r#"service="shop",function="f\"1",module="m""#;
        assert_eq!(
            lines[2],
            format!("function_calls_duration_seconds_bucket{{{labels},le=\"0.000001\"}} 2")
        );
        assert_eq!(
            lines[4],
            format!("function_calls_duration_seconds_bucket{{{labels},le=\"0.000005\"}} 2")
        );
        assert_eq!(
            lines[5],
            format!("function_calls_duration_seconds_bucket{{{labels},le=\"0.00001\"}} 3")
        );
        assert_eq!(
            lines[26],
            format!("function_calls_duration_seconds_bucket{{{labels},le=\"10\"}} 3")
        );
        assert_eq!(
            lines[27],
            format!("function_calls_duration_seconds_bucket{{{labels},le=\"+Inf\"}} 4")
        );
        assert_eq!(lines[28], format!("function_calls_duration_seconds_sum{{{labels}}} 20.5"));
        assert_eq!(lines[29], format!("function_calls_duration_seconds_count{{{labels}}} 4"));
        assert!(!out.contains("operation_duration"), "no empty family: {out}");
    }
}
