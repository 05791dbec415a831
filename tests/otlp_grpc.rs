//! OTLP over gRPC (the `grpc` feature) to a real receiver, oteltest's GrpcSink: traces, logs and
//! metrics.
#![cfg(feature = "grpc")]

#[path = "common/mod.rs"]
mod common;

use common::{OtlpSink, attribute, free_port, wait_until};
use obs::config::Sampler;
use std::time::Duration;

#[obs::observe]
fn lookup(sku: u64) -> u64 {
    tracing::info!(sku, "looking up");
    sku * 2
}

#[test]
fn spans_and_logs_reach_a_grpc_receiver() {
    let dir = tempfile::tempdir().unwrap();
    let sink = OtlpSink::start_grpc(free_port(), &dir.path().join("grpc.jsonl"));
    let config = [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", sink.endpoint()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc".to_owned()),
        ("OTEL_METRICS_EXPORTER", "otlp".to_owned()),
        ("OTEL_METRIC_EXPORT_INTERVAL", "200".to_owned()),
    ];
    let mut builder = obs::TelemetryBuilder::new("grpc-test")
        .ignore_env()
        .sampler(Sampler::AlwaysOn)
        .prometheus(None)
        .log_writer(std::io::sink);
    // The protocol is chosen the way operators choose it: through the standard variables.
    let mut resolved = builder.config().unwrap();
    resolved.apply_env(|k| config.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone())).unwrap();
    builder = builder.with_config(resolved);
    let telemetry = builder.init().expect("init");

    tracing::info_span!("grpc_request").in_scope(|| lookup(21));
    assert!(telemetry.flush());
    assert!(wait_until(Duration::from_secs(15), || sink
        .spans()
        .iter()
        .any(|s| s["name"] == "otlp_grpc::lookup")));
    let spans = sink.spans();
    let lookup = spans.iter().find(|s| s["name"] == "otlp_grpc::lookup").unwrap();
    let request = spans.iter().find(|s| s["name"] == "grpc_request").unwrap();
    assert_eq!(lookup["parentSpanId"], request["spanId"]);
    assert_eq!(attribute(lookup, "sku"), Some(21.into()));
    assert_eq!(lookup["service"], "grpc-test");
    assert!(wait_until(Duration::from_secs(15), || sink
        .logs()
        .iter()
        .any(|l| l["body"]["stringValue"] == "looking up")));
    // Metrics over gRPC too: the call counted, in its histogram.
    assert!(telemetry.flush());
    let pushed = |sink: &OtlpSink| {
        sink.requests().into_iter().filter(|(s, _)| s == "metrics").any(|(_, r)| {
            r["resourceMetrics"][0]["scopeMetrics"][0]["metrics"].as_array().is_some_and(|m| {
                m.iter().any(|m| {
                    m["name"] == "function.calls.duration"
                        && m["histogram"]["dataPoints"][0]["count"] == "1"
                })
            })
        })
    };
    assert!(wait_until(Duration::from_secs(15), || pushed(&sink)), "{:?}", sink.requests());
    telemetry.shutdown().unwrap();
}
