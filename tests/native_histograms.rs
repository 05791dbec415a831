//! Native histograms with real parts: two Debian Prometheus servers scrape one service, one with
//! `--enable-feature=native-histograms` (it asks for the protobuf format and stores the
//! exponential buckets), one without (it takes the text format and the classic buckets). For the
//! latency series of an observed function, a `#[golden_signals]` operation and an HTTP route,
//! `histogram_quantile` over the native histogram agrees with the one over the classic buckets
//! within their resolution, and is within one exponential bucket of the true median.

#[path = "common/mod.rs"]
mod common;

use axum::Router;
use axum::routing::get;
use common::{Prometheus, free_port, wait_until};
use serde_json::Value;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

const SLEEP: Duration = Duration::from_millis(20);

#[obs::observe]
fn sleepy() {
    std::thread::sleep(SLEEP);
}

#[obs::golden_signals(operation = "nap")]
fn nap() {
    std::thread::sleep(SLEEP);
}

/// How long the handler took, each time (the server layer measures a little more: the
/// routing and the response around it; the client much more).
static HANDLED: std::sync::Mutex<Vec<Duration>> = std::sync::Mutex::new(Vec::new());

async fn slow() -> &'static str {
    let t = Instant::now();
    tokio::time::sleep(SLEEP).await;
    HANDLED.lock().unwrap().push(t.elapsed());
    "ok"
}

/// The median of `durations`, in seconds.
fn median(mut durations: Vec<Duration>) -> f64 {
    durations.sort();
    durations[durations.len() / 2].as_secs_f64()
}

/// A number from a query result's first sample.
fn scalar(result: &[Value]) -> Option<f64> {
    result.first()?["value"][1].as_str()?.parse().ok()
}

/// The classic bucket bounds (`le`) around `value`.
fn classic_bucket(value: f64, bounds: &[f64]) -> (f64, f64) {
    let upper = bounds.iter().position(|&b| value <= b).unwrap_or(bounds.len() - 1);
    (if upper == 0 { 0.0 } else { bounds[upper - 1] }, bounds[upper])
}

#[test]
fn native_and_classic_quantiles_agree_in_real_prometheus_servers() {
    let dir = tempfile::tempdir().unwrap();
    let metrics = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let telemetry = obs::TelemetryBuilder::new("native")
        .ignore_env()
        .traces_file(Some(dir.path().join("traces.jsonl")))
        .prometheus(Some(metrics))
        .log_writer(std::io::sink)
        .limits(obs::config::Limits {
            metrics_interval: Duration::from_millis(100),
            ..Default::default()
        })
        .init()
        .unwrap();
    let (runtime, listener, server) = common::runtime_and_listener();
    let app = Router::new().route("/slow", get(slow)).layer(obs::http::ServerLayer::new());
    runtime.spawn(async move { axum::serve(listener, app).await.unwrap() });
    let client = obs::http::reqwest::Client::new();

    // The truth, measured around the calls (a little more than obs measures inside them).
    let (mut functions, mut operations) = (Vec::new(), Vec::new());
    for _ in 0..40 {
        let t = Instant::now();
        sleepy();
        functions.push(t.elapsed());
        let t = Instant::now();
        nap();
        operations.push(t.elapsed());
        runtime.block_on(async {
            client.get(format!("http://{server}/slow")).send().await.unwrap();
        });
    }
    assert!(telemetry.flush());
    std::thread::sleep(Duration::from_millis(300));

    let native =
        Prometheus::start("native", &[metrics], "", &["--enable-feature=native-histograms"]);
    let classic = Prometheus::start("classic", &[metrics], "", &[]);

    let cases = [
        ("function_calls_duration_seconds", "function=\"sleepy\"", median(functions)),
        ("obs_operation_duration_seconds", "operation=\"nap\"", median(operations)),
        (
            "http_server_request_duration_seconds",
            "http_route=\"/slow\"",
            median(HANDLED.lock().unwrap().clone()),
        ),
    ];
    for (name, selector, truth) in cases {
        let native_query = format!("histogram_quantile(0.5,{name}{{{selector}}})");
        let classic_query = format!("histogram_quantile(0.5,{name}_bucket{{{selector}}})");
        let scraped = wait_until(Duration::from_secs(60), || {
            !native.query(&format!("{name}{{{selector}}}")).is_empty()
                && scalar(&classic.query(&classic_query)).is_some()
        });
        assert!(
            scraped,
            "{name}: not scraped\nnative:\n{}\nclassic:\n{}",
            native.log(),
            classic.log()
        );

        // The native server stored a native histogram (the protobuf format was negotiated),
        // and no classic buckets.
        let series = native.query(&format!("{name}{{{selector}}}"));
        assert!(series[0].get("histogram").is_some(), "{name}: not native: {series:?}");
        assert!(native.query(&format!("{name}_bucket{{{selector}}}")).is_empty());
        // The classic server stored classic buckets only.
        assert!(classic.query(&format!("{name}{{{selector}}}")).is_empty());

        let from_native = scalar(&native.query(&native_query)).unwrap();
        let from_classic = scalar(&classic.query(&classic_query)).unwrap();
        let bounds: Vec<f64> = if name.starts_with("http_") {
            obs::metrics::HTTP_DURATION_BUCKETS.to_vec()
        } else {
            obs::metrics::DURATION_BUCKETS.to_vec()
        };
        // Within the classic resolution: both answers lie in the same classic bucket.
        let (low, high) = classic_bucket(from_classic, &bounds);
        assert!(
            low < from_native && from_native <= high,
            "{name}: native {from_native} outside the classic bucket ({low}, {high}] of {from_classic}"
        );
        // And the native answer is within one exponential bucket (2^(1/8), about 9 %) of the
        // true median, where the classic one is only within its 10 … 25 ms bucket.
        assert!(
            (from_native / truth - 1.0).abs() < 0.09,
            "{name}: native median {from_native}, true median {truth} (classic {from_classic})"
        );
    }
    drop(runtime);
}
