//! Export to a real OTLP receiver (oteltest's HttpSink, in Python), and what happens when it
//! goes down, comes back, or hangs: the program is never blocked, losses are counted, export
//! resumes, and shutdown is bounded.

#[path = "../common/mod.rs"]
mod common;

use common::{OtlpSink, attribute, free_port, wait_until};
use obs::config::{Limits, Sampler};
use serde_json::Value;
use std::net::TcpListener;
use std::time::{Duration, Instant};

#[obs::observe(err)]
fn reserve(sku: u64) -> Result<u64, String> {
    tracing::info!(sku, "reserving");
    if sku == 0 { Err("out of stock".into()) } else { Ok(sku) }
}

fn spans_named<'a>(spans: &'a [Value], name: &str) -> Vec<&'a Value> {
    spans.iter().filter(|s| s["name"] == name).collect()
}

#[test]
fn spans_and_logs_reach_a_real_receiver_through_outages() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut sink = OtlpSink::start(port, &dir.path().join("first.jsonl"));
    let telemetry = obs::TelemetryBuilder::new("otlp-test")
        .ignore_env()
        .otlp_endpoint(sink.endpoint())
        .otlp_timeout(Duration::from_millis(300))
        .sampler(Sampler::AlwaysOn)
        .prometheus(None)
        .log_writer(std::io::sink)
        .limits(Limits {
            export_queue: 256,
            export_batch: 32,
            export_delay: Duration::from_millis(50),
            shutdown_timeout: Duration::from_secs(2),
            ..Limits::default()
        })
        .init()
        .expect("init");

    // 1. The collector is up: spans (parent, child, attributes, status, events) and logs arrive.
    tracing::info_span!("order", otel.kind = "server", order.id = 7).in_scope(|| {
        reserve(3).unwrap();
        reserve(0).unwrap_err();
        tracing::warn!(retry = true, "stock low");
    });
    assert!(telemetry.flush());
    assert!(wait_until(Duration::from_secs(10), || spans_named(&sink.spans(), "otlp::reserve")
        .len()
        == 2));
    let spans = sink.spans();
    let order = spans_named(&spans, "order")[0];
    let reserves = spans_named(&spans, "otlp::reserve");
    assert_eq!(order["service"], "otlp-test");
    assert_eq!(order["kind"], "SPAN_KIND_SERVER");
    assert_eq!(attribute(order, "order.id"), Some(7.into()));
    for reserve in &reserves {
        assert_eq!(reserve["traceId"], order["traceId"]);
        assert_eq!(reserve["parentSpanId"], order["spanId"]);
    }
    let failed = reserves.iter().find(|s| attribute(s, "sku") == Some(0.into())).unwrap();
    assert_eq!(failed["status"]["code"], "STATUS_CODE_ERROR");
    assert_eq!(failed["status"]["message"], "out of stock");
    assert!(failed["events"].as_array().unwrap().iter().any(|e| e["name"] == "reserving"));

    assert!(wait_until(Duration::from_secs(10), || sink
        .logs()
        .iter()
        .any(|l| l["body"]["stringValue"] == "stock low")));
    let logs = sink.logs();
    let warn = logs.iter().find(|l| l["body"]["stringValue"] == "stock low").unwrap();
    assert_eq!(warn["severityText"], "WARN");
    assert_eq!(warn["traceId"], order["traceId"], "log records carry their trace");
    assert_eq!(warn["spanId"], order["spanId"]);
    assert_eq!(attribute(warn, "retry"), Some(true.into()));

    // 2. The collector goes down: calls go on, the losses are counted.
    sink.stop();
    let before = telemetry.stats();
    for sku in 1..=50 {
        tracing::info_span!("while_down").in_scope(|| reserve(sku).unwrap());
    }
    telemetry.flush();
    let down = telemetry.stats();
    assert!(down.export_failures > before.export_failures, "{down:?}");
    assert!(down.spans_export_failed >= before.spans_export_failed + 100, "{down:?}");

    // 3. It comes back on the same port: export resumes.
    let sink = OtlpSink::start(port, &dir.path().join("second.jsonl"));
    tracing::info_span!("after_restart").in_scope(|| reserve(9).unwrap());
    telemetry.flush();
    assert!(wait_until(Duration::from_secs(10), || !spans_named(&sink.spans(), "after_restart")
        .is_empty()));
    drop(sink);

    // 4. A collector that accepts connections and never answers: exports time out, the queue
    // fills and drops (counted), and the instrumented code is not held up.
    let hung = TcpListener::bind(("127.0.0.1", port)).unwrap();
    let started = Instant::now();
    for sku in 1..=2_000 {
        tracing::info_span!("while_hung").in_scope(|| reserve(sku).unwrap());
    }
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_secs(5),
        "4000 spans took {elapsed:?}: a hung collector must not slow the program down"
    );
    let hung_stats = telemetry.stats();
    assert!(hung_stats.spans_queue_full > down.spans_queue_full, "{hung_stats:?}");

    // 5. Shutdown with the collector still hung returns within its timeout.
    let started = Instant::now();
    let result = telemetry.shutdown();
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(4), "shutdown took {elapsed:?}");
    assert!(result.is_err(), "the unexported spans are reported: {result:?}");
    drop(hung);
}
