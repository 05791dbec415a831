//! OTLP metrics with the standard variables: delta temporality on request (each push carries
//! what changed since the one before), the Prometheus endpoint beside the push, and a collector
//! that goes down: the program does not notice, the failed pushes are counted, and shutdown
//! returns within its timeout.

#[path = "common/mod.rs"]
mod common;

use common::{OtlpSink, attribute, free_port, http_get};
use serde_json::Value;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

#[obs::observe]
fn pick(item: u64) -> u64 {
    item
}

fn calls_in(request: &Value) -> Option<(f64, String)> {
    let metrics = request["resourceMetrics"][0]["scopeMetrics"][0]["metrics"].as_array()?;
    let calls = metrics.iter().find(|m| m["name"] == "function.calls")?;
    let point = calls["sum"]["dataPoints"].as_array()?.iter().find(|p| {
        attribute(p, "function") == Some("pick".into())
            && attribute(p, "result") == Some("ok".into())
    })?;
    Some((point["asDouble"].as_f64()?, calls["sum"]["aggregationTemporality"].as_str()?.to_owned()))
}

#[test]
fn delta_points_carry_what_changed_and_a_collector_that_is_down_costs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut sink = OtlpSink::start(free_port(), &dir.path().join("otlp.jsonl"));
    let metrics = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let env = [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", sink.endpoint()),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "1000".to_owned()),
        ("OTEL_METRICS_EXPORTER", "otlp,prometheus".to_owned()),
        ("OTEL_METRIC_EXPORT_INTERVAL", "3600000".to_owned()),
        ("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "delta".to_owned()),
        ("OBS_METRICS_ADDR", metrics.to_string()),
    ];
    let mut config = obs::TelemetryBuilder::new("delta").ignore_env().config().unwrap();
    config.apply_env(|k| env.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone())).unwrap();
    let telemetry = obs::TelemetryBuilder::new("delta")
        .with_config(config)
        .ignore_env()
        .log_writer(std::io::sink)
        .limits(obs::config::Limits {
            shutdown_timeout: Duration::from_secs(3),
            ..Default::default()
        })
        .init()
        .unwrap();

    for i in 0..10 {
        pick(i);
    }
    assert!(telemetry.flush());
    for i in 0..5 {
        pick(i);
    }
    assert!(telemetry.flush());
    let pushes: Vec<(f64, String)> = sink
        .requests()
        .into_iter()
        .filter(|(signal, _)| signal == "metrics")
        .filter_map(|(_, r)| calls_in(&r))
        .collect();
    let (first, second) = (&pushes[pushes.len() - 2], &pushes[pushes.len() - 1]);
    assert_eq!(first.1, "AGGREGATION_TEMPORALITY_DELTA");
    assert_eq!((first.0, second.0), (10.0, 5.0), "each push carries its own calls: {pushes:?}");

    // The endpoint beside the push still counts from the start.
    let text = http_get(metrics, "/metrics");
    assert!(
        text.lines().any(|l| l.starts_with("function_calls_total{")
            && l.contains("function=\"pick\"")
            && l.contains("result=\"ok\"")
            && l.ends_with(" 15")),
        "{text}"
    );

    // The collector goes down: calls stay as fast as before, pushes fail and are counted.
    sink.stop();
    let started = Instant::now();
    for i in 0..1000 {
        pick(i);
    }
    assert!(started.elapsed() < Duration::from_secs(1), "calls do not wait for the collector");
    telemetry.flush();
    telemetry.flush();
    let text = http_get(metrics, "/metrics");
    let failed = text
        .lines()
        .find(|l| l.starts_with("obs_metric_exports_failed_total"))
        .unwrap_or_else(|| panic!("failed pushes are counted:\n{text}"));
    assert!(!failed.ends_with(" 0"), "{failed}");
    let started = Instant::now();
    let _ = telemetry.shutdown();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "shutdown is bounded: {:?}",
        started.elapsed()
    );
}
