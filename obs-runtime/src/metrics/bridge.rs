//! The bridge into the `metrics` facade: collection on and off, and [`flush`], which forwards
//! what the call counters gathered since the last flush to the current recorder.

use crate::golden::{GoldenCounters, Operation};
use crate::hotpath::exponential;
use crate::names::*;
use crate::observe::outcome::Outcome;
use crate::observe::site::{self, Site};
use crate::observe::stats::{self, BUCKETS, Totals};
use crate::trace::exemplar::Exemplar;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::SystemTime;

/// Starts collecting call metrics. `obs::init` calls it; call it yourself when you install
/// your own `metrics` recorder and call [`flush`] (or run [`spawn_flusher`]).
///
/// Until it is called, `#[observe]` reads no clock and touches no counter.
pub fn enable() {
    crate::hotpath::clock::warm_up();
    stats::set_collecting(true);
}

/// Stops collecting call metrics; counters keep their values.
pub fn disable() {
    stats::set_collecting(false);
}

/// Whether call metrics are being collected.
#[inline]
pub fn is_collecting() -> bool {
    stats::is_collecting()
}

/// The totals each site had at the last flush, by registration index.
static FLUSHED: Mutex<Vec<Totals>> = Mutex::new(Vec::new());

/// Whether obs's Prometheus endpoint writes the latency histograms itself (see
/// `crate::metrics::prometheus`), so that [`flush`] does not forward them to the recorder.
static HISTOGRAMS_SERVED: AtomicBool = AtomicBool::new(false);

/// HELP text of `function_calls_duration_seconds`.
pub(crate) const FUNCTION_DURATION_HELP: &str = "Latency of calls of an observed function";
/// HELP text of `obs_operation_duration_seconds`.
pub(crate) const OPERATION_DURATION_HELP: &str =
    "Latency of an operation declared with #[golden_signals]; traffic is the rate of its count";

/// From now on, [`flush`] leaves the latency histograms to obs's Prometheus endpoint.
pub(crate) fn serve_histograms() {
    HISTOGRAMS_SERVED.store(true, Ordering::Release);
}

/// A latency histogram as of the last [`flush`]: a function's, or an operation's (summed over
/// its call sites).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct CallHistogram {
    /// `function_calls_duration_seconds` or `obs_operation_duration_seconds`.
    pub(crate) name: &'static str,
    pub(crate) labels: Vec<(&'static str, &'static str)>,
    /// Calls per bucket (not cumulative), the last one `+Inf`.
    pub(crate) buckets: [u64; BUCKETS],
    /// The same calls in exponential buckets (a native histogram).
    pub(crate) native: exponential::Counts,
    pub(crate) sum_seconds: f64,
    /// The latest exported call per bucket (see `crate::trace::exemplar`).
    pub(crate) exemplars: Vec<Option<Exemplar>>,
    /// When the series began.
    pub(crate) created: SystemTime,
}

/// The exemplars of the error counters: per function (`function_calls_total{result="error"}`)
/// and per operation and error type (`obs_operation_errors_total`), the latest exported
/// failed call.
#[derive(Default)]
pub(crate) struct ErrorExemplars {
    pub(crate) functions: HashMap<(&'static str, &'static str), Exemplar>,
    pub(crate) operations: HashMap<(&'static str, String), Exemplar>,
}

/// The error counters' exemplars, now.
pub(crate) fn error_exemplars() -> ErrorExemplars {
    let mut out = ErrorExemplars::default();
    for site in site::registered() {
        let Some(stats) = site.stats_if_any() else { continue };
        let errors = stats.error_exemplars.lock().unwrap_or_else(PoisonError::into_inner).clone();
        for (error_type, exemplar) in errors {
            latest(out.functions.entry((site.function(), site.module())), exemplar);
            if let Some(operation) = site.operation() {
                latest(out.operations.entry((operation.name, error_type)), exemplar);
            }
        }
    }
    out
}

fn latest<K>(entry: std::collections::hash_map::Entry<'_, K, Exemplar>, exemplar: Exemplar) {
    entry
        .and_modify(|e| {
            if exemplar.at > e.at {
                *e = exemplar
            }
        })
        .or_insert(exemplar);
}

/// Per bucket, the later of two exemplars.
fn merge(into: &mut [Option<Exemplar>], from: &[Option<Exemplar>]) {
    for (slot, candidate) in into.iter_mut().zip(from) {
        match (slot.as_ref(), candidate) {
            (Some(a), Some(b)) if b.at > a.at => *slot = Some(*b),
            (None, Some(b)) => *slot = Some(*b),
            _ => {}
        }
    }
}

/// The latency histograms of every function and operation called before the last [`flush`],
/// from the totals it forwarded: consistent with the counters the recorder holds.
pub(crate) fn call_histograms() -> Vec<CallHistogram> {
    let flushed = FLUSHED.lock().unwrap_or_else(PoisonError::into_inner);
    let mut out = Vec::new();
    let mut operations: Vec<CallHistogram> = Vec::new();
    for (site, totals) in site::registered().iter().zip(flushed.iter()) {
        let Some(stats) = site.stats_if_any() else { continue };
        let sum_seconds = totals.sums_ns.iter().sum::<u64>() as f64 / 1e9;
        let mut labels = vec![(LABEL_FUNCTION, site.function()), (LABEL_MODULE, site.module())];
        labels.extend_from_slice(site.labels());
        let exemplars = stats.exemplars.get();
        out.push(CallHistogram {
            name: FUNCTION_CALLS_DURATION_SECONDS,
            labels,
            buckets: totals.counts,
            native: totals.native.clone(),
            sum_seconds,
            exemplars: exemplars.clone(),
            created: stats.created,
        });
        if let (Some(operation), Some(_)) = (site.operation(), &stats.golden) {
            let labels = vec![(LABEL_OPERATION, operation.name), (LABEL_KIND, operation.kind)];
            match operations.iter_mut().find(|h| h.labels == labels) {
                Some(histogram) => {
                    for (sum, n) in histogram.buckets.iter_mut().zip(&totals.counts) {
                        *sum += n;
                    }
                    histogram.native.merge(&totals.native);
                    histogram.sum_seconds += sum_seconds;
                    merge(&mut histogram.exemplars, &exemplars);
                    histogram.created = histogram.created.min(stats.created);
                }
                None => operations.push(CallHistogram {
                    name: OPERATION_DURATION_SECONDS,
                    labels,
                    buckets: totals.counts,
                    native: totals.native.clone(),
                    sum_seconds,
                    exemplars,
                    created: stats.created,
                }),
            }
        }
    }
    out.extend(operations);
    out
}

/// Forwards every change since the previous flush to the current `metrics` recorder: counter
/// increments, the in-flight gauge, and histogram samples (each bucket's new calls, recorded at
/// their mean latency, so bucket counts and sums stay exact). A recorder receives one sample
/// per call; obs's own Prometheus endpoint instead writes the histograms from the totals of
/// the last flush, at no cost per call.
///
/// Also describes each series (HELP text and unit), which Prometheus tools require.
pub fn flush() {
    let mut flushed = FLUSHED.lock().unwrap_or_else(PoisonError::into_inner);
    let sites = site::registered();
    flushed.resize_with(sites.len(), Totals::default);
    if !sites.is_empty() {
        describe();
    }
    for (site, last) in sites.iter().zip(flushed.iter_mut()) {
        if let Some(stats) = site.stats_if_any() {
            let now = stats.read();
            forward(site, last, &now);
            *last = now;
        }
    }
}

fn describe() {
    use ::metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        FUNCTION_CALLS_TOTAL,
        Unit::Count,
        "Calls of an observed function that finished, by result (ok, error, panic, cancelled)"
    );
    describe_histogram!(FUNCTION_CALLS_DURATION_SECONDS, Unit::Seconds, FUNCTION_DURATION_HELP);
    describe_gauge!(
        FUNCTION_CALLS_CONCURRENT,
        Unit::Count,
        "Calls of an observed function in flight"
    );
    describe_histogram!(OPERATION_DURATION_SECONDS, Unit::Seconds, OPERATION_DURATION_HELP);
    describe_counter!(
        OPERATION_ERRORS_TOTAL,
        Unit::Count,
        "Failed calls of an operation, by error type (error type, panic, or HTTP status)"
    );
    describe_gauge!(OPERATION_ACTIVE, Unit::Count, "Calls of an operation in flight (saturation)");
    crate::golden::health::describe();
    describe_histogram!(
        HTTP_SERVER_REQUEST_DURATION_SECONDS,
        Unit::Seconds,
        "Duration of HTTP server requests"
    );
    describe_gauge!(HTTP_SERVER_ACTIVE_REQUESTS, Unit::Count, "HTTP server requests in flight");
    describe_histogram!(
        HTTP_CLIENT_REQUEST_DURATION_SECONDS,
        Unit::Seconds,
        "Duration of HTTP client requests"
    );
    describe_counter!(
        BUSINESS_EVENTS_TOTAL,
        Unit::Count,
        "Business events counted on successful calls of an operation"
    );
}

/// The labels of a function's series: `function`, `module`, and its own constant labels.
fn site_labels(site: &Site) -> Vec<::metrics::Label> {
    use ::metrics::Label;
    let mut labels = vec![
        Label::from_static_parts(LABEL_FUNCTION, site.function()),
        Label::from_static_parts(LABEL_MODULE, site.module()),
    ];
    labels.extend(site.labels().iter().map(|&(k, v)| Label::from_static_parts(k, v)));
    labels
}

/// One call's metrics, under the names and labels [`flush`] forwards them with, for a capture
/// (`obs::testing`), which sees its calls one by one through the current local recorder.
#[cfg(feature = "testing")]
pub(crate) fn record_call(site: &Site, verdict: crate::observe::outcome::Verdict, ns: u64) {
    use ::metrics::Label;
    let seconds = ns as f64 / 1e9;
    let labels = site_labels(site);
    let mut with_result = labels.clone();
    with_result.push(Label::from_static_parts(LABEL_RESULT, verdict.outcome.as_str()));
    ::metrics::counter!(FUNCTION_CALLS_TOTAL, with_result).increment(1);
    ::metrics::histogram!(FUNCTION_CALLS_DURATION_SECONDS, labels).record(seconds);
    let Some(operation) = site.operation() else { return };
    let (name, kind) = (operation.name, operation.kind);
    ::metrics::histogram!(OPERATION_DURATION_SECONDS, LABEL_OPERATION => name, LABEL_KIND => kind)
        .record(seconds);
    if let Some(error_type) = verdict.operation_error() {
        ::metrics::counter!(OPERATION_ERRORS_TOTAL, LABEL_OPERATION => name, LABEL_KIND => kind, LABEL_ERROR_TYPE => error_type)
            .increment(1);
    } else if let (Outcome::Ok, Some(event)) = (verdict.outcome, operation.business_event) {
        ::metrics::counter!(BUSINESS_EVENTS_TOTAL, LABEL_OPERATION => name, LABEL_EVENT => event)
            .increment(1);
    }
}

fn forward(site: &Site, last: &Totals, now: &Totals) {
    use ::metrics::Label;
    let labels = site_labels(site);
    for outcome in Outcome::ALL {
        let i = outcome.index();
        let mut with_result = labels.clone();
        with_result.push(Label::from_static_parts(LABEL_RESULT, outcome.as_str()));
        // Incrementing by zero still creates the series, so error ratios have a denominator
        // and a numerator from the first scrape on.
        ::metrics::counter!(FUNCTION_CALLS_TOTAL, with_result)
            .increment(now.finished[i] - last.finished[i]);
    }
    ::metrics::gauge!(FUNCTION_CALLS_CONCURRENT, labels.clone()).set(now.in_flight() as f64);
    if !HISTOGRAMS_SERVED.load(Ordering::Acquire) {
        record_buckets(&::metrics::histogram!(FUNCTION_CALLS_DURATION_SECONDS, labels), last, now);
    }
    if let (Some(operation), Some(golden)) =
        (site.operation(), site.stats_if_any().and_then(|s| s.golden.as_ref()))
    {
        forward_golden(operation, golden, last, now);
    }
}

/// Records each bucket's new calls at their mean latency, so counts and sums stay exact.
fn record_buckets(histogram: &::metrics::Histogram, last: &Totals, now: &Totals) {
    for bucket in 0..BUCKETS {
        let calls = now.counts[bucket] - last.counts[bucket];
        if calls > 0 {
            let mean_ns = (now.sums_ns[bucket] - last.sums_ns[bucket]) as f64 / calls as f64;
            histogram.record_many(mean_ns / 1e9, calls as usize);
        }
    }
}

/// The golden signals of a `#[golden_signals]` operation (see [`crate::golden`]).
fn forward_golden(operation: &Operation, golden: &GoldenCounters, last: &Totals, now: &Totals) {
    let (name, kind) = (operation.name, operation.kind);
    if !HISTOGRAMS_SERVED.load(Ordering::Acquire) {
        record_buckets(
            &::metrics::histogram!(OPERATION_DURATION_SECONDS, LABEL_OPERATION => name, LABEL_KIND => kind),
            last,
            now,
        );
    }
    ::metrics::gauge!(OPERATION_ACTIVE, LABEL_OPERATION => name, LABEL_KIND => kind)
        .set(now.in_flight() as f64);
    for (error_type, count) in golden.errors() {
        ::metrics::counter!(OPERATION_ERRORS_TOTAL, LABEL_OPERATION => name, LABEL_KIND => kind, LABEL_ERROR_TYPE => error_type)
            .absolute(count);
    }
    if let Some(event) = operation.business_event {
        ::metrics::counter!(BUSINESS_EVENTS_TOTAL, LABEL_OPERATION => name, LABEL_EVENT => event)
            .absolute(golden.business_events.load(std::sync::atomic::Ordering::Relaxed));
    }
}

/// Runs [`flush`] every `interval` on a background thread, for programs that install their own
/// `metrics` recorder. Enables collection.
///
/// ```no_run
/// obs_runtime::metrics::spawn_flusher(std::time::Duration::from_secs(1)).expect("thread");
/// ```
pub fn spawn_flusher(interval: std::time::Duration) -> std::io::Result<()> {
    enable();
    std::thread::Builder::new().name("obs-metrics-flush".into()).spawn(move || {
        loop {
            std::thread::sleep(interval);
            flush();
        }
    })?;
    Ok(())
}
