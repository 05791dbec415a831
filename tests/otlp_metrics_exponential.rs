//! Exponential histograms over OTLP on request
//! (`OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION=base2_exponential_bucket_histogram`),
//! read where they land: oteltest's OTLP/HTTP receiver. The latency histograms of functions,
//! operations and HTTP routes arrive as exponential histograms of scale 3 whose buckets hold
//! exactly the calls made, each in the bucket its measured duration belongs to, and with delta
//! temporality each push carries only its own calls, up to the last one, at shutdown.

#[path = "common/mod.rs"]
mod common;

use axum::Router;
use axum::routing::get;
use common::{OtlpSink, attribute, free_port};
use serde_json::Value;
use std::time::{Duration, Instant};

#[obs::observe]
fn wait(ms: u64) {
    std::thread::sleep(Duration::from_millis(ms));
}

#[obs::golden_signals(operation = "pause")]
fn pause() {
    std::thread::sleep(Duration::from_millis(3));
}

async fn page() -> &'static str {
    "ok"
}

/// The exponential points of metric `name` in a push whose attribute `key` is `value`.
fn point(request: &Value, name: &str, key: &str, value: &str) -> Option<Value> {
    let metrics = request["resourceMetrics"][0]["scopeMetrics"][0]["metrics"].as_array()?;
    let metric = metrics.iter().find(|m| m["name"] == name)?;
    let histogram = &metric["exponentialHistogram"];
    assert_eq!(histogram["aggregationTemporality"], "AGGREGATION_TEMPORALITY_DELTA", "{metric}");
    histogram["dataPoints"]
        .as_array()?
        .iter()
        .find(|p| attribute(p, key) == Some(value.into()))
        .cloned()
}

fn number(v: &Value) -> u64 {
    v.as_u64().or_else(|| v.as_str()?.parse().ok()).unwrap_or(0)
}

/// `(lower, upper, count)` of every non-empty bucket of a point.
fn buckets(point: &Value) -> Vec<(f64, f64, u64)> {
    assert_eq!(point["scale"], 3, "{point}");
    let offset = point["positive"]["offset"].as_i64().unwrap_or(0);
    let base = 2f64.powf(1.0 / 8.0);
    point["positive"]["bucketCounts"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, n)| {
            let index = (offset + i as i64) as i32;
            (base.powi(index), base.powi(index + 1), number(n))
        })
        .filter(|b| b.2 > 0)
        .collect()
}

#[test]
fn latency_histograms_arrive_as_exponential_histograms_with_every_call_in_its_bucket() {
    let dir = tempfile::tempdir().unwrap();
    let sink = OtlpSink::start(free_port(), &dir.path().join("otlp.jsonl"));
    let env = [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", sink.endpoint()),
        ("OTEL_METRICS_EXPORTER", "otlp".to_owned()),
        ("OTEL_METRIC_EXPORT_INTERVAL", "3600000".to_owned()),
        ("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "delta".to_owned()),
        (
            "OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION",
            "base2_exponential_bucket_histogram".to_owned(),
        ),
    ];
    let mut config = obs::TelemetryBuilder::new("exponential").ignore_env().config().unwrap();
    config.apply_env(|k| env.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone())).unwrap();
    let telemetry = obs::TelemetryBuilder::new("exponential")
        .with_config(config)
        .ignore_env()
        .log_writer(std::io::sink)
        .init()
        .unwrap();
    let (runtime, listener, server) = common::runtime_and_listener();
    let app = Router::new().route("/page", get(page)).layer(obs::http::ServerLayer::new());
    runtime.spawn(async move { axum::serve(listener, app).await.unwrap() });
    let client = obs::http::reqwest::Client::new();

    // Calls of 2 and 9 ms, measured from outside (obs measures a little less, never more).
    let mut longest = Duration::ZERO;
    for ms in [2, 9, 2, 9, 2, 9, 2, 9] {
        let t = Instant::now();
        wait(ms);
        longest = longest.max(t.elapsed());
    }
    for _ in 0..4 {
        pause();
        runtime.block_on(async {
            client.get(format!("http://{server}/page")).send().await.unwrap();
        });
    }
    assert!(telemetry.flush());
    let first = sink.requests().into_iter().rev().find(|(s, _)| s == "metrics").unwrap().1;

    let calls = point(&first, "function.calls.duration", "function", "wait").expect("wait's point");
    assert_eq!(number(&calls["count"]), 8, "{calls}");
    assert_eq!(number(&calls["zeroCount"]), 0);
    let buckets_of_wait = buckets(&calls);
    assert_eq!(buckets_of_wait.iter().map(|b| b.2).sum::<u64>(), 8, "{calls}");
    for (lower, upper, n) in &buckets_of_wait {
        // Each call is in a bucket reaching 2 ms … 9 ms, or the measured maximum.
        let in_range = (*upper >= 0.002 && *lower < 0.0025)
            || (*upper >= 0.009 && *lower < longest.as_secs_f64());
        assert!(in_range, "{n} calls in ({lower}, {upper}]: {calls}");
        // Scale 3: each bucket is 2^(1/8) wide.
        assert!((upper / lower - 2f64.powf(0.125)).abs() < 1e-9);
    }
    let sum = calls["sum"].as_f64().unwrap();
    assert!((0.044..longest.as_secs_f64() * 8.0).contains(&sum), "sum {sum}");

    let operation = point(&first, "obs.operation.duration", "operation", "pause").expect("pause");
    assert_eq!(number(&operation["count"]), 4);
    assert!(buckets(&operation).iter().all(|(_, upper, _)| *upper >= 0.003), "{operation}");
    let route =
        point(&first, "http.server.request.duration", "http.route", "/page").expect("route");
    assert_eq!(number(&route["count"]), 4, "{route}");
    assert_eq!(buckets(&route).iter().map(|b| b.2).sum::<u64>() + number(&route["zeroCount"]), 4);

    // Delta: the next push carries the next calls only.
    wait(2);
    assert!(telemetry.flush());
    let second = sink.requests().into_iter().rev().find(|(s, _)| s == "metrics").unwrap().1;
    let calls =
        point(&second, "function.calls.duration", "function", "wait").expect("wait's point");
    assert_eq!(number(&calls["count"]), 1, "{calls}");
    assert_eq!(buckets(&calls).len(), 1);

    // Shutdown pushes a last time: the calls since the last push are not lost.
    wait(2);
    wait(2);
    let pushes = sink.requests().len();
    telemetry.shutdown().unwrap();
    let requests = sink.requests();
    assert!(requests.len() > pushes, "shutdown pushed nothing");
    let last = requests.into_iter().rev().find(|(s, _)| s == "metrics").unwrap().1;
    let calls = point(&last, "function.calls.duration", "function", "wait").expect("wait's point");
    assert_eq!(number(&calls["count"]), 2, "{calls}");
    drop(runtime);
}
