//! Every metric over OTLP/HTTP to a real receiver (oteltest's HttpSink), cumulative: the
//! function, operation, HTTP and process series arrive with their OpenTelemetry names, units and
//! attributes, exemplars that point to exported traces, and counts that match the calls made.

#[path = "../common/mod.rs"]
mod common;

use axum::Router;
use axum::routing::get;
use common::{OtlpSink, attribute, free_port, wait_until};
use serde_json::Value;
use std::time::Duration;

#[obs::observe(err)]
fn reserve(item: u64) -> Result<u64, String> {
    if item.is_multiple_of(4) { Err("out of stock".into()) } else { Ok(item) }
}

#[obs::golden_signals(operation = "order", business_event = "ordered")]
fn order(items: u64) -> u64 {
    items
}

/// Every metric of the receiver's last metrics request.
fn last_metrics(sink: &OtlpSink) -> Vec<Value> {
    sink.requests()
        .into_iter()
        .rev()
        .find(|(signal, _)| signal == "metrics")
        .map(|(_, r)| {
            r["resourceMetrics"][0]["scopeMetrics"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|s| s["metrics"].as_array().cloned().unwrap_or_default())
                .collect()
        })
        .unwrap_or_default()
}

fn metric<'a>(metrics: &'a [Value], name: &str) -> &'a Value {
    metrics.iter().find(|m| m["name"] == name).unwrap_or_else(|| {
        panic!("no {name} in {:?}", metrics.iter().map(|m| m["name"].clone()).collect::<Vec<_>>())
    })
}

fn number(v: &Value) -> f64 {
    v.as_f64().or_else(|| v.as_str()?.parse().ok()).unwrap_or(f64::NAN)
}

#[test]
fn every_metric_arrives_with_its_name_unit_attributes_exemplars_and_counts() {
    let dir = tempfile::tempdir().unwrap();
    let sink = OtlpSink::start(free_port(), &dir.path().join("otlp.jsonl"));
    let telemetry = obs::TelemetryBuilder::new("otlp-metrics")
        .ignore_env()
        .sampler(obs::config::Sampler::AlwaysOn)
        .otlp_endpoint(sink.endpoint())
        .otlp_metrics(Duration::from_millis(200))
        .prometheus(None)
        .log_writer(std::io::sink)
        .limits(obs::config::Limits {
            export_delay: Duration::from_millis(20),
            ..Default::default()
        })
        .init()
        .unwrap();
    let (runtime, listener, server) = common::runtime_and_listener();
    let app = Router::new()
        .route("/stock/{id}", get(|| async { "ok" }))
        .layer(obs::http::ServerLayer::new());
    runtime.spawn(async move { axum::serve(listener, app).await.unwrap() });
    let client = obs::http::client(obs::http::reqwest::Client::new());
    for i in 0..40u64 {
        let _ = reserve(i);
        order(i);
    }
    for i in 0..7 {
        runtime.block_on(async {
            client.get(format!("http://{server}/stock/{i}")).send().await.unwrap()
        });
    }
    assert!(telemetry.flush());
    let complete = |m: &[Value]| {
        m.iter().any(|m| m["name"] == "http.server.request.duration")
            && m.iter().any(|m| m["name"] == "function.calls")
    };
    assert!(
        wait_until(Duration::from_secs(15), || complete(&last_metrics(&sink))),
        "{:?}",
        sink.requests()
    );
    let metrics = last_metrics(&sink);

    // Calls, by result: 10 of the 40 reservations failed.
    let calls = metric(&metrics, "function.calls");
    assert_eq!(calls["unit"], "{call}");
    let sum = &calls["sum"];
    assert_eq!(sum["aggregationTemporality"], "AGGREGATION_TEMPORALITY_CUMULATIVE");
    assert_eq!(sum["isMonotonic"], true);
    let of = |result: &str| {
        sum["dataPoints"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| {
                attribute(p, "function") == Some("reserve".into())
                    && attribute(p, "result") == Some(result.into())
            })
            .map(|p| number(&p["asDouble"]))
    };
    assert_eq!((of("ok"), of("error")), (Some(30.0), Some(10.0)));
    let errors = sum["dataPoints"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| {
            attribute(p, "result") == Some("error".into())
                && attribute(p, "function") == Some("reserve".into())
        })
        .unwrap();
    assert!(
        errors["exemplars"].as_array().is_some_and(|e| !e.is_empty()),
        "an error counter's exemplar: {errors}"
    );

    // The latency histograms, in seconds, with their counts and exemplars.
    let duration = metric(&metrics, "function.calls.duration");
    assert_eq!(duration["unit"], "s");
    let point = duration["histogram"]["dataPoints"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| attribute(p, "function") == Some("reserve".into()))
        .unwrap();
    assert_eq!(number(&point["count"]), 40.0);
    let buckets: f64 = point["bucketCounts"].as_array().unwrap().iter().map(number).sum();
    assert_eq!(buckets, 40.0);
    assert_eq!(
        point["bucketCounts"].as_array().unwrap().len(),
        point["explicitBounds"].as_array().unwrap().len() + 1
    );
    let exemplar = &point["exemplars"][0];
    assert_eq!(exemplar["traceId"].as_str().unwrap().len(), 32);
    let traces: Vec<String> =
        sink.spans().iter().map(|s| s["traceId"].as_str().unwrap().to_owned()).collect();
    assert!(
        traces.contains(&exemplar["traceId"].as_str().unwrap().to_owned()),
        "the exemplar's trace was exported"
    );

    let operation = metric(&metrics, "obs.operation.duration");
    let point = &operation["histogram"]["dataPoints"][0];
    assert_eq!(
        (attribute(point, "operation"), number(&point["count"])),
        (Some("order".into()), 40.0)
    );
    let events = metric(&metrics, "obs.business.events");
    assert_eq!(number(&events["sum"]["dataPoints"][0]["asDouble"]), 40.0);

    // HTTP, with the semantic conventions' attribute names.
    let http = metric(&metrics, "http.server.request.duration");
    assert_eq!(http["unit"], "s");
    let point = &http["histogram"]["dataPoints"][0];
    assert_eq!(attribute(point, "http.route"), Some("/stock/{id}".into()));
    assert_eq!(attribute(point, "http.request.method"), Some("GET".into()));
    assert_eq!(number(&point["count"]), 7.0);
    assert!(point["exemplars"].as_array().is_some_and(|e| !e.is_empty()), "{point}");
    assert!(metrics.iter().any(|m| m["name"] == "http.client.request.duration"));

    // Process saturation, as a gauge; the resource names the service.
    let cpu = metric(&metrics, "process.cpu.utilization");
    assert_eq!(cpu["unit"], "1");
    assert!(cpu.get("gauge").is_some());
    let request = sink.requests().into_iter().rev().find(|(s, _)| s == "metrics").unwrap().1;
    assert_eq!(
        attribute(&request["resourceMetrics"][0]["resource"], "service.name"),
        Some("otlp-metrics".into())
    );
    telemetry.shutdown().unwrap();
}
