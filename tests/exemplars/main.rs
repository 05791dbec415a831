//! From a latency histogram to the guilty trace: exemplars on the latency histograms of observed
//! functions, operations and HTTP routes and on the error counters, served in the OpenMetrics
//! format to a scraper that asks for it; read by PyPI prometheus-client's OpenMetrics parser and
//! by a real Prometheus (`--enable-feature=exemplar-storage`). Every exemplar's trace is in the
//! trace file: exemplars come only from kept traces.

#[path = "../common/mod.rs"]
mod common;

use axum::Router;
use axum::routing::get;
use common::{free_port, promtool_check_metrics, wait_until};
use serde_json::Value;
use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

struct Env {
    telemetry: obs::Telemetry,
    traces: PathBuf,
    metrics: SocketAddr,
    _runtime: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
}

#[obs::observe(err)]
fn lookup(id: u64) -> Result<u64, String> {
    if id.is_multiple_of(9) { Err(format!("no item {id}")) } else { Ok(id * 2) }
}

#[obs::golden_signals(operation = "checkout", err)]
fn checkout(items: u64) -> Result<u64, String> {
    if items == 0 { Err("empty cart".into()) } else { Ok(items) }
}

async fn item(axum::extract::Path(id): axum::extract::Path<u64>) -> axum::http::StatusCode {
    if id.is_multiple_of(7) {
        axum::http::StatusCode::SERVICE_UNAVAILABLE
    } else {
        axum::http::StatusCode::OK
    }
}

fn env() -> &'static Env {
    static ENV: OnceLock<Env> = OnceLock::new();
    ENV.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let traces = dir.path().join("traces.jsonl");
        let metrics = SocketAddr::from(([127, 0, 0, 1], free_port()));
        // The default sampler: 10% of traces, and every failed one. Exemplars may only point to
        // those.
        let telemetry = obs::TelemetryBuilder::new("exemplars")
            .ignore_env()
            .traces_file(Some(&traces))
            .prometheus(Some(metrics))
            .log_writer(std::io::sink)
            .limits(obs::config::Limits {
                export_delay: Duration::from_millis(20),
                metrics_interval: Duration::from_millis(100),
                ..Default::default()
            })
            .init()
            .unwrap();
        let (runtime, listener, server) = common::runtime_and_listener();
        let app =
            Router::new().route("/items/{id}", get(item)).layer(obs::http::ServerLayer::new());
        runtime.spawn(async move { axum::serve(listener, app).await.unwrap() });
        let client = obs::http::client(obs::http::reqwest::Client::new());
        for i in 0..300u64 {
            let _ = lookup(i);
            let _ = checkout(i % 6);
            let url = format!("http://{server}/items/{i}");
            runtime.block_on(async { client.get(url).send().await.unwrap() });
        }
        assert!(telemetry.flush());
        std::thread::sleep(Duration::from_millis(300));
        Env { telemetry, traces, metrics, _runtime: runtime, _dir: dir }
    })
}

/// `GET /metrics` with an `Accept` header: the content type and the body.
fn scrape(addr: SocketAddr, accept: &str) -> (String, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(stream, "GET /metrics HTTP/1.0\r\nHost: {addr}\r\nAccept: {accept}\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    let content_type = head
        .lines()
        .find_map(|l| l.strip_prefix("content-type: ").or_else(|| l.strip_prefix("Content-Type: ")))
        .unwrap_or_default()
        .to_owned();
    (content_type, body.to_owned())
}

fn trace_ids_in_file() -> BTreeSet<String> {
    let env = env();
    assert!(env.telemetry.flush());
    std::fs::read_to_string(&env.traces)
        .unwrap()
        .lines()
        .flat_map(|l| common::otlp_spans(&serde_json::from_str(l).unwrap()))
        .map(|s| s["traceId"].as_str().unwrap().to_owned())
        .collect()
}

/// PyPI prometheus-client's OpenMetrics parser on `text`: its families and exemplars.
fn parse_openmetrics(text: &str) -> Value {
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/openmetrics_check.py");
    let mut child = Command::new("python3")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 with prometheus-client (.ci/run installs it)");
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the OpenMetrics parser refuses the exposition: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn openmetrics_with_exemplars_is_served_to_a_scraper_that_asks_and_parses_whole() {
    let env = env();
    let (content_type, text) =
        scrape(env.metrics, "application/openmetrics-text;version=1.0.0,text/plain;q=0.5");
    assert!(
        content_type.starts_with("application/openmetrics-text; version=1.0.0"),
        "{content_type}"
    );
    assert!(text.ends_with("# EOF\n"));
    let parsed = parse_openmetrics(&text);
    let exemplars = parsed["exemplars"].as_array().unwrap();
    let on = |sample: &str| exemplars.iter().filter(|e| e["sample"] == sample).collect::<Vec<_>>();
    let functions = on("function_calls_duration_seconds_bucket");
    assert!(functions.iter().any(|e| e["labels"]["function"] == "lookup"), "{parsed}");
    assert!(!on("obs_operation_duration_seconds_bucket").is_empty(), "{parsed}");
    assert!(!on("http_server_request_duration_seconds_bucket").is_empty(), "{parsed}");
    assert!(!on("http_client_request_duration_seconds_bucket").is_empty(), "{parsed}");
    let errors = on("function_calls_total");
    assert!(
        errors.iter().all(|e| e["labels"]["result"] == "error") && !errors.is_empty(),
        "{parsed}"
    );
    assert!(!on("obs_operation_errors_total").is_empty(), "{parsed}");
    // Every exemplar opens a trace that was kept.
    let kept = trace_ids_in_file();
    for exemplar in exemplars {
        let trace = exemplar["exemplar"]["trace_id"].as_str().unwrap();
        assert!(
            kept.contains(trace),
            "exemplar {exemplar} points to a trace that is not in the file"
        );
        assert_eq!(exemplar["exemplar"]["span_id"].as_str().unwrap().len(), 16);
    }
    // A bucket's exemplar fell in that bucket.
    for exemplar in functions {
        let le = exemplar["labels"]["le"].as_str().unwrap();
        let value = exemplar["value"].as_f64().unwrap();
        assert!(le == "+Inf" || value <= le.parse::<f64>().unwrap(), "{exemplar}");
    }
}

#[test]
fn the_prometheus_text_format_is_unchanged_for_other_scrapers() {
    let env = env();
    let (content_type, text) = scrape(env.metrics, "text/plain");
    assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
    assert!(!text.contains("# EOF") && !text.contains("trace_id="));
    promtool_check_metrics(&text).unwrap();
}

#[test]
fn a_real_prometheus_stores_exemplars_that_open_traces_in_the_trace_file() {
    let env = env();
    let prometheus = common::Prometheus::start(
        "exemplars",
        &[env.metrics],
        "",
        &["--enable-feature=exemplar-storage"],
    );
    let now =
        || std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let start = now() - 60;
    let query = |q: &str| {
        let path = format!("/api/v1/query_exemplars?query={q}&start={start}&end={}", now() + 60);
        prometheus.api(&path)
    };
    let found = wait_until(Duration::from_secs(60), || {
        query("function_calls_duration_seconds_bucket")
            .is_some_and(|v| v["data"].as_array().is_some_and(|d| !d.is_empty()))
    });
    assert!(found, "Prometheus stored no exemplar:\n{}", prometheus.log());
    let kept = trace_ids_in_file();
    let mut seen = 0;
    for q in [
        "function_calls_duration_seconds_bucket",
        "obs_operation_duration_seconds_bucket",
        "http_server_request_duration_seconds_bucket",
    ] {
        let result = query(q).unwrap_or_default();
        for series in result["data"].as_array().into_iter().flatten() {
            for exemplar in series["exemplars"].as_array().into_iter().flatten() {
                let trace = exemplar["labels"]["trace_id"].as_str().unwrap();
                assert!(kept.contains(trace), "{q}: {trace} is not in the trace file");
                seen += 1;
            }
        }
    }
    assert!(seen > 0);
}
