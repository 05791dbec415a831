//! Every metric over OTLP: at each interval, what the recorder holds ([`super::recorder`]) is
//! converted to an `ExportMetricsServiceRequest` and pushed by one thread of obs's own to a
//! [`MetricsSink`] (OTLP/HTTP protobuf, or gRPC with the `grpc` feature; built by `crate::setup`).
//!
//! Written here rather than with `opentelemetry_sdk`'s metrics pipeline because obs's data is
//! already aggregated (call counters, the exporter's series): the SDK takes only measurements
//! through its instruments, its data types cannot be built from outside (their fields are
//! crate-private), and its API has no asynchronous histogram. The messages are
//! `opentelemetry-proto`'s.
//!
//! Names and units follow OpenTelemetry's conventions for obs's own series
//! (`http_server_request_duration_seconds` is `http.server.request.duration` in `s`), and labels
//! become attributes (`http_route` is `http.route`); other series keep their name without the
//! unit suffix. Temporality is cumulative by default, delta on request (the differences since the
//! last push). Histograms go with their classic buckets, or exponential ones (scale 3) on
//! request. A collector that is down costs the program nothing: a failed push is counted
//! (`obs_metric_exports_failed_total`) and the next one sends the cumulative state again.

use super::exposition::{Family, Kind, Labels, Sample};
use super::recorder::Store;
use crate::hotpath::exponential::{self, Counts};
use crate::trace::exemplar::Exemplar;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, bounded};
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope, KeyValue, any_value};
use opentelemetry_proto::tonic::metrics::v1 as proto;
use opentelemetry_proto::tonic::resource::v1::Resource;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Cumulative (the default) or delta, as `OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE`
/// asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Temporality {
    /// Every point counts from the series' start.
    Cumulative,
    /// Every point counts since the previous push.
    Delta,
}

/// How histograms are pushed, as `OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION`
/// asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HistogramAggregation {
    /// `explicit_bucket_histogram` (the default): the classic buckets, the bounds the
    /// Prometheus endpoint serves.
    ExplicitBuckets,
    /// `base2_exponential_bucket_histogram`: exponential buckets of scale 3 (each 2^(1/8)
    /// wide) for the duration histograms, which have them; others keep their bounds.
    Exponential,
}

/// Where pushes go.
pub(crate) trait MetricsSink: Send {
    fn export(&mut self, request: ExportMetricsServiceRequest) -> Result<(), String>;
}

/// How the pusher runs.
pub(crate) struct PushSettings {
    pub(crate) interval: Duration,
    pub(crate) temporality: Temporality,
    pub(crate) histograms: HistogramAggregation,
    pub(crate) resource: Resource,
}

/// Pushes that failed, since the start.
static FAILED: AtomicU64 = AtomicU64::new(0);

/// Publishes `obs_metric_exports_failed_total`.
pub(crate) fn publish_metrics() {
    ::metrics::counter!(crate::names::OBS_METRIC_EXPORTS_FAILED_TOTAL)
        .absolute(FAILED.load(Ordering::Relaxed));
}

/// Describes the metrics of this module.
pub(crate) fn describe_metrics() {
    ::metrics::describe_counter!(
        crate::names::OBS_METRIC_EXPORTS_FAILED_TOTAL,
        ::metrics::Unit::Count,
        "OTLP metric pushes that failed (the next push sends the state again)"
    );
}

enum Control {
    /// Push now, then answer.
    Flush(Sender<()>),
    /// Push, answer, and stop.
    Stop(Sender<()>),
}

/// The push thread.
pub(crate) struct Pusher {
    control: Sender<Control>,
    thread: Option<JoinHandle<()>>,
}

impl Pusher {
    pub(crate) fn start(
        store: &'static Store,
        sink: Box<dyn MetricsSink>,
        settings: PushSettings,
    ) -> std::io::Result<Pusher> {
        let (control, controls) = bounded(4);
        let thread = std::thread::Builder::new()
            .name("obs-metrics-push".into())
            .spawn(move || run(store, sink, settings, controls))?;
        Ok(Pusher { control, thread: Some(thread) })
    }

    /// Pushes what is held now; waits at most `timeout`.
    pub(crate) fn flush(&self, timeout: Duration) -> bool {
        let (ack, done) = bounded(1);
        self.control.send_timeout(Control::Flush(ack), timeout).is_ok()
            && done.recv_timeout(timeout).is_ok()
    }

    /// Pushes a last time and stops; waits at most `timeout`.
    pub(crate) fn shutdown(mut self, timeout: Duration) -> bool {
        let (ack, done) = bounded(1);
        let sent = self.control.send_timeout(Control::Stop(ack), timeout).is_ok()
            && done.recv_timeout(timeout).is_ok();
        if sent && let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        sent
    }
}

fn run(
    store: &'static Store,
    mut sink: Box<dyn MetricsSink>,
    settings: PushSettings,
    controls: Receiver<Control>,
) {
    let start = SystemTime::now();
    let mut state = Previous::default();
    let mut push = |state: &mut Previous| {
        crate::metrics::flush();
        let request = request(&store.families(), &settings, start, state);
        if let Err(error) = sink.export(request) {
            let failures = FAILED.fetch_add(1, Ordering::Relaxed);
            // Not through `tracing` (it would feed telemetry), and not on every failure.
            if failures.is_power_of_two() || failures == 0 {
                eprintln!("obs: metric export failed ({} failures so far): {error}", failures + 1);
            }
            // The differences are sent again next time.
            state.rollback();
        }
    };
    loop {
        match controls.recv_timeout(settings.interval) {
            Err(RecvTimeoutError::Timeout) => push(&mut state),
            Ok(Control::Flush(ack)) => {
                push(&mut state);
                let _ = ack.send(());
            }
            Ok(Control::Stop(ack)) => {
                push(&mut state);
                let _ = ack.send(());
                return;
            }
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// A series: its family's name and its labels.
type SeriesKey = (String, Labels);

/// What delta temporality subtracts: per series, the values of the last push, and when.
#[derive(Clone, Default)]
struct Snapshot {
    at: Option<SystemTime>,
    values: HashMap<SeriesKey, Vec<f64>>,
    native: HashMap<SeriesKey, Counts>,
}

#[derive(Default)]
struct Previous {
    last: Snapshot,
    /// What the current push replaced, to restore if it fails.
    undo: Option<Snapshot>,
}

impl Previous {
    /// The values `now` of a series, made deltas (a value that went down is a reset: sent whole).
    fn delta(&mut self, key: SeriesKey, now: &[f64]) -> Vec<f64> {
        let before = self.last.values.insert(key, now.to_vec());
        match before {
            Some(before)
                if before.len() == now.len() && before.iter().zip(now).all(|(b, n)| n >= b) =>
            {
                now.iter().zip(&before).map(|(n, b)| n - b).collect()
            }
            _ => now.to_vec(),
        }
    }

    /// The exponential buckets `now` of a series, made deltas (a reset sends them whole).
    fn native_delta(&mut self, key: SeriesKey, now: &Counts) -> Counts {
        match self.last.native.insert(key, now.clone()) {
            Some(before) => now.since(&before).unwrap_or_else(|| now.clone()),
            None => now.clone(),
        }
    }

    fn rollback(&mut self) {
        if let Some(snapshot) = self.undo.take() {
            self.last = snapshot;
        }
    }
}

fn nanos(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// The request of one push.
fn request(
    families: &[Family],
    settings: &PushSettings,
    start: SystemTime,
    state: &mut Previous,
) -> ExportMetricsServiceRequest {
    let now = SystemTime::now();
    state.undo = Some(state.last.clone());
    let delta = settings.temporality == Temporality::Delta;
    // A delta point starts at the previous push; a cumulative one at the series' start.
    let since = if delta { state.last.at.unwrap_or(start) } else { start };
    let metrics = families
        .iter()
        .filter_map(|f| metric(f, settings.histograms, delta, since, now, state))
        .collect();
    state.last.at = Some(now);
    ExportMetricsServiceRequest {
        resource_metrics: vec![proto::ResourceMetrics {
            resource: Some(settings.resource.clone()),
            scope_metrics: vec![proto::ScopeMetrics {
                scope: Some(InstrumentationScope {
                    name: "obs".into(),
                    version: env!("CARGO_PKG_VERSION").into(),
                    ..Default::default()
                }),
                metrics,
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }],
    }
}

/// The OpenTelemetry name and unit of a family.
fn name_and_unit(family: &Family) -> (String, String) {
    use crate::names::*;
    let known = [
        (FUNCTION_CALLS_TOTAL, "function.calls", "{call}"),
        (FUNCTION_CALLS_DURATION_SECONDS, "function.calls.duration", "s"),
        (FUNCTION_CALLS_CONCURRENT, "function.calls.concurrent", "{call}"),
        (OPERATION_DURATION_SECONDS, "obs.operation.duration", "s"),
        (OPERATION_ERRORS_TOTAL, "obs.operation.errors", "{error}"),
        (OPERATION_ACTIVE, "obs.operation.active", "{call}"),
        (BUSINESS_EVENTS_TOTAL, "obs.business.events", "{event}"),
        (HTTP_SERVER_REQUEST_DURATION_SECONDS, "http.server.request.duration", "s"),
        (HTTP_SERVER_ACTIVE_REQUESTS, "http.server.active_requests", "{request}"),
        (HTTP_CLIENT_REQUEST_DURATION_SECONDS, "http.client.request.duration", "s"),
        (PROCESS_CPU_UTILIZATION_RATIO, "process.cpu.utilization", "1"),
        (SYSTEM_FILESYSTEM_UTILIZATION_RATIO, "system.filesystem.utilization", "1"),
    ];
    if let Some((_, name, unit)) = known.iter().find(|(p, _, _)| *p == family.name) {
        return ((*name).into(), (*unit).into());
    }
    let name = family.name.strip_suffix("_total").unwrap_or(&family.name);
    for (suffix, unit) in [("_seconds", "s"), ("_bytes", "By"), ("_ratio", "1")] {
        if let Some(stem) = name.strip_suffix(suffix) {
            return (stem.into(), unit.into());
        }
    }
    (name.into(), String::new())
}

/// A label as an attribute: the HTTP series' labels are their span attributes' names again
/// (`http_route` is `http.route`); `service` is the resource's, not an attribute.
fn attributes(family: &str, labels: &[(String, String)]) -> Vec<KeyValue> {
    use crate::names::*;
    let http: &[&str] = match family {
        HTTP_SERVER_REQUEST_DURATION_SECONDS | HTTP_SERVER_ACTIVE_REQUESTS => {
            &HTTP_SERVER_DURATION_ATTRIBUTES
        }
        HTTP_CLIENT_REQUEST_DURATION_SECONDS => &HTTP_CLIENT_DURATION_ATTRIBUTES,
        _ => &[],
    };
    labels
        .iter()
        .filter(|(k, _)| k != "service" && k != "le" && k != "quantile")
        .map(|(k, v)| {
            let key = http
                .iter()
                .find(|a| a.replace('.', "_") == *k)
                .map_or_else(|| k.clone(), |a| (*a).to_owned());
            let key = if k == super::cardinality::OVERFLOW_LABEL {
                "otel.metric.overflow".to_owned()
            } else {
                key
            };
            KeyValue {
                key,
                value: Some(AnyValue { value: Some(any_value::Value::StringValue(v.clone())) }),
                ..Default::default()
            }
        })
        .collect()
}

fn exemplar(e: &Exemplar) -> proto::Exemplar {
    proto::Exemplar {
        filtered_attributes: Vec::new(),
        time_unix_nano: nanos(e.at),
        span_id: e.span_id.to_bytes().to_vec(),
        trace_id: e.trace_id.to_bytes().to_vec(),
        value: Some(proto::exemplar::Value::AsDouble(e.value)),
    }
}

fn metric(
    family: &Family,
    histograms: HistogramAggregation,
    delta: bool,
    since: SystemTime,
    now: SystemTime,
    state: &mut Previous,
) -> Option<proto::Metric> {
    let (name, unit) = name_and_unit(family);
    let temporality = if delta {
        proto::AggregationTemporality::Delta
    } else {
        proto::AggregationTemporality::Cumulative
    } as i32;
    let series = family.series();
    let (start, time) = (nanos(since), nanos(now));
    let data = match family.kind {
        Kind::Counter => proto::metric::Data::Sum(proto::Sum {
            data_points: series
                .iter()
                .filter_map(|(labels, samples)| {
                    let sample = samples.iter().find(|s| !s.name.ends_with("_created"))?;
                    let v = if delta {
                        state.delta((family.name.clone(), labels.clone()), &[sample.number()])[0]
                    } else {
                        sample.number()
                    };
                    Some(proto::NumberDataPoint {
                        attributes: attributes(&family.name, labels),
                        start_time_unix_nano: start,
                        time_unix_nano: time,
                        exemplars: sample.exemplar.iter().map(exemplar).collect(),
                        flags: 0,
                        value: Some(proto::number_data_point::Value::AsDouble(v)),
                    })
                })
                .collect(),
            aggregation_temporality: temporality,
            is_monotonic: true,
        }),
        Kind::Gauge | Kind::Unknown => proto::metric::Data::Gauge(proto::Gauge {
            data_points: series
                .iter()
                .filter_map(|(labels, samples)| {
                    Some(proto::NumberDataPoint {
                        attributes: attributes(&family.name, labels),
                        start_time_unix_nano: start,
                        time_unix_nano: time,
                        exemplars: Vec::new(),
                        flags: 0,
                        value: Some(proto::number_data_point::Value::AsDouble(
                            samples.first()?.number(),
                        )),
                    })
                })
                .collect(),
        }),
        Kind::Histogram
            if histograms == HistogramAggregation::Exponential
                && series.iter().all(|(labels, _)| family.native_of(labels).is_some()) =>
        {
            proto::metric::Data::ExponentialHistogram(proto::ExponentialHistogram {
                data_points: series
                    .iter()
                    .filter_map(|(labels, samples)| {
                        let native = family.native_of(labels)?;
                        Some(exponential_point(
                            family, labels, samples, native, delta, start, time, state,
                        ))
                    })
                    .collect(),
                aggregation_temporality: temporality,
            })
        }
        Kind::Histogram => proto::metric::Data::Histogram(proto::Histogram {
            data_points: series
                .iter()
                .map(|(labels, samples)| {
                    histogram_point(family, labels, samples, delta, start, time, state)
                })
                .collect(),
            aggregation_temporality: temporality,
        }),
        Kind::Summary => proto::metric::Data::Summary(proto::Summary {
            data_points: series
                .iter()
                .map(|(labels, samples)| {
                    let of = |suffix: &str| {
                        samples
                            .iter()
                            .find(|s| s.name.ends_with(suffix))
                            .map_or(0.0, |s| s.number())
                    };
                    proto::SummaryDataPoint {
                        attributes: attributes(&family.name, labels),
                        start_time_unix_nano: start,
                        time_unix_nano: time,
                        count: of("_count") as u64,
                        sum: of("_sum"),
                        quantile_values: samples
                            .iter()
                            .filter_map(|s| {
                                Some(proto::summary_data_point::ValueAtQuantile {
                                    quantile: s.label("quantile")?.parse().ok()?,
                                    value: s.number(),
                                })
                            })
                            .collect(),
                        flags: 0,
                    }
                })
                .collect(),
        }),
    };
    Some(proto::Metric {
        name,
        description: family.help.clone().unwrap_or_default(),
        unit,
        metadata: Vec::new(),
        data: Some(data),
    })
}

/// A classic histogram's point: its cumulative buckets made per-bucket counts.
fn histogram_point(
    family: &Family,
    labels: &[(String, String)],
    samples: &[&Sample],
    delta: bool,
    start: u64,
    time: u64,
    state: &mut Previous,
) -> proto::HistogramDataPoint {
    let mut buckets: Vec<(f64, f64, Option<Exemplar>)> = samples
        .iter()
        .filter(|s| s.name.ends_with("_bucket"))
        .filter_map(|s| {
            Some((
                s.label("le").map(|le| {
                    if le == "+Inf" { f64::INFINITY } else { le.parse().unwrap_or(f64::NAN) }
                })?,
                s.number(),
                s.exemplar,
            ))
        })
        .collect();
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    let of = |suffix: &str| {
        samples.iter().find(|s| s.name.ends_with(suffix)).map_or(0.0, |s| s.number())
    };
    let created = samples.iter().find(|s| s.name.ends_with("_created")).map(|s| s.number());
    // Per-bucket counts from cumulative ones, then the count and sum after them.
    let mut values: Vec<f64> = buckets
        .iter()
        .scan(0.0, |previous, (_, cumulative, _)| {
            let n = cumulative - *previous;
            *previous = *cumulative;
            Some(n)
        })
        .collect();
    values.push(of("_count"));
    values.push(of("_sum"));
    if delta {
        values = state.delta((family.name.clone(), labels.to_vec()), &values);
    }
    let sum = values.pop().unwrap_or(0.0);
    let count = values.pop().unwrap_or(0.0);
    let start = match created {
        Some(created) if !delta => (created * 1e9) as u64,
        _ => start,
    };
    proto::HistogramDataPoint {
        attributes: attributes(&family.name, labels),
        start_time_unix_nano: start,
        time_unix_nano: time,
        count: count as u64,
        sum: Some(sum),
        bucket_counts: values.iter().map(|n| *n as u64).collect(),
        explicit_bounds: buckets.iter().map(|b| b.0).filter(|b| b.is_finite()).collect(),
        exemplars: buckets.iter().filter_map(|b| b.2.as_ref()).map(exemplar).collect(),
        flags: 0,
        min: None,
        max: None,
    }
}

/// An exponential histogram's point. The count is the buckets' (the classic count is read a
/// moment apart), the sum the classic series'.
#[allow(clippy::too_many_arguments)]
fn exponential_point(
    family: &Family,
    labels: &[(String, String)],
    samples: &[&Sample],
    native: &Counts,
    delta: bool,
    start: u64,
    time: u64,
    state: &mut Previous,
) -> proto::ExponentialHistogramDataPoint {
    let key = (family.name.clone(), labels.to_vec());
    let mut sum = samples.iter().find(|s| s.name.ends_with("_sum")).map_or(0.0, |s| s.number());
    let created = samples.iter().find(|s| s.name.ends_with("_created")).map(|s| s.number());
    let native = if delta {
        sum = state.delta(key.clone(), &[sum])[0];
        state.native_delta(key, native)
    } else {
        native.clone()
    };
    let start = match created {
        Some(created) if !delta => (created * 1e9) as u64,
        _ => start,
    };
    let exemplars = samples.iter().filter_map(|s| s.exemplar.as_ref()).map(exemplar).collect();
    proto::ExponentialHistogramDataPoint {
        attributes: attributes(&family.name, labels),
        start_time_unix_nano: start,
        time_unix_nano: time,
        count: native.total(),
        sum: Some(sum),
        scale: exponential::SCHEMA,
        zero_count: native.zero,
        // OpenTelemetry's index of a bucket is one less than Prometheus's key: index `i`
        // holds `(base^i, base^(i+1)]`.
        positive: Some(proto::exponential_histogram_data_point::Buckets {
            offset: native.first - 1,
            bucket_counts: native.counts.clone(),
        }),
        negative: None,
        flags: 0,
        exemplars,
        min: None,
        max: None,
        zero_threshold: exponential::ZERO_THRESHOLD,
    }
}

/// The sink over OTLP/HTTP protobuf: a POST to the metrics endpoint.
pub(crate) struct HttpSink {
    pub(crate) client: reqwest::blocking::Client,
    pub(crate) endpoint: String,
}

impl MetricsSink for HttpSink {
    fn export(&mut self, request: ExportMetricsServiceRequest) -> Result<(), String> {
        use prost::Message;
        let response = self
            .client
            .post(&self.endpoint)
            .header("content-type", "application/x-protobuf")
            .body(request.encode_to_vec())
            .send()
            .map_err(|e| e.to_string())?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(format!("{} answered {}", self.endpoint, response.status()))
        }
    }
}

/// The sink over OTLP/gRPC, with a Tokio runtime of its own for tonic.
#[cfg(feature = "grpc")]
pub(crate) struct GrpcSink {
    pub(crate) client: opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_client::MetricsServiceClient<tonic::transport::Channel>,
    pub(crate) runtime: tokio::runtime::Runtime,
    pub(crate) timeout: Duration,
}

#[cfg(feature = "grpc")]
impl MetricsSink for GrpcSink {
    fn export(&mut self, request: ExportMetricsServiceRequest) -> Result<(), String> {
        let mut request = tonic::Request::new(request);
        request.set_timeout(self.timeout);
        let client = &mut self.client;
        self.runtime.block_on(client.export(request)).map(|_| ()).map_err(|e| e.to_string())
    }
}
