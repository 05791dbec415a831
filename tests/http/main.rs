//! HTTP across real boundaries: an axum server with `ServerLayer` and a reqwest client with
//! `ClientMiddleware` on 127.0.0.1, OpenTelemetry's Python SDK as a foreign client, and
//! `#[golden_signals]` handlers with business events and checks. One `obs::init` per process.

#[path = "../common/mod.rs"]
mod common;

use axum::Router;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::routing::get;
use common::{Lines, attribute, free_port, http_get, otlp_spans};
use obs::config::{Limits, Sampler};
use serde_json::Value;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

struct Env {
    telemetry: obs::Telemetry,
    lines: Lines,
    traces: PathBuf,
    metrics: SocketAddr,
    server: SocketAddr,
    runtime: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
}

static ORDERS_HEALTHY: AtomicBool = AtomicBool::new(true);

#[obs::golden_signals(
    operation = "get_order",
    objective(success = 99.5, latency_ms = 300),
    business_event = "order_viewed"
)]
async fn get_order(Path(id): Path<u64>) -> (StatusCode, String) {
    match id {
        0 => (StatusCode::NOT_FOUND, "no such order".into()),
        500 => (StatusCode::SERVICE_UNAVAILABLE, "orders database unavailable".into()),
        id => (StatusCode::OK, format!("order {id}")),
    }
}

async fn explode() -> &'static str {
    panic!("handler bug");
}

async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_secs(3)).await;
    "late"
}

/// The trace id the handler sees, and the `baggage` it received.
async fn whoami(headers: axum::http::HeaderMap) -> String {
    tracing::info!("who am I");
    let trace = obs::context::trace_id().map(|t| t.to_string()).unwrap_or_default();
    let baggage =
        headers.get("baggage").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    format!("{trace} {baggage}")
}

/// A handler that calls another service (here, itself) through the instrumented client.
async fn chain(axum::extract::State(port): axum::extract::State<u16>) -> String {
    let client = obs::http::client(reqwest::Client::new());
    let response = client.get(format!("http://127.0.0.1:{port}/whoami")).send().await.unwrap();
    response.text().await.unwrap()
}

fn env() -> &'static Env {
    static ENV: OnceLock<Env> = OnceLock::new();
    ENV.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let traces = dir.path().join("traces.jsonl");
        let metrics = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let lines = Lines::default();
        let telemetry = obs::TelemetryBuilder::new("http-test")
            .ignore_env()
            .sampler(Sampler::AlwaysOn)
            .traces_file(Some(&traces))
            .prometheus(Some(metrics))
            .log_writer(lines.clone())
            .limits(Limits { export_delay: Duration::from_millis(20), ..Limits::default() })
            .init()
            .unwrap();
        obs::health::register("orders-roundtrip", || async {
            if ORDERS_HEALTHY.load(Ordering::SeqCst) {
                Ok(())
            } else {
                Err("orders cannot be read back")
            }
        });
        let (runtime, listener, server) = common::runtime_and_listener();
        let app = Router::new()
            .route("/orders/{id}", get(get_order))
            .route("/explode", get(explode))
            .route("/slow", get(slow))
            .route("/whoami", get(whoami))
            .route("/chain", get(chain))
            .with_state(server.port())
            .merge(obs::http::health_router())
            .layer(obs::http::ServerLayer::new());
        runtime.spawn(async move { axum::serve(listener, app).await.unwrap() });
        Env { telemetry, lines, traces, metrics, server, runtime, _dir: dir }
    })
}

fn exported() -> Vec<Value> {
    let env = env();
    assert!(env.telemetry.flush());
    std::fs::read_to_string(&env.traces)
        .unwrap_or_default()
        .lines()
        .flat_map(|line| otlp_spans(&serde_json::from_str(line).unwrap()))
        .collect()
}

fn url(path: &str) -> String {
    format!("http://{}{path}", env().server)
}

/// A request from the instrumented client, inside a root span of its own.
fn traced_get(
    root: &'static str,
    path: &str,
) -> (reqwest::StatusCode, reqwest::header::HeaderMap, String) {
    let env = env();
    let client = obs::http::client(
        reqwest::Client::builder().timeout(Duration::from_secs(1)).build().unwrap(),
    );
    let url = url(path);
    env.runtime.block_on(async move {
        let span = tracing::info_span!("root", otel.name = root);
        let response = tracing::Instrument::instrument(client.get(url).send(), span).await.unwrap();
        let (status, headers) = (response.status(), response.headers().clone());
        (status, headers, response.text().await.unwrap())
    })
}

fn spans_of_trace(trace: &str) -> Vec<Value> {
    exported().into_iter().filter(|s| s["traceId"] == trace).collect()
}

#[test]
fn client_and_server_spans_form_one_trace() {
    let (status, headers, _) = traced_get("client_server_root", "/orders/42");
    assert_eq!(status, 200);
    let request_id = headers["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(request_id.len(), 32, "a request id is generated and returned");
    assert!(
        request_id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        "32 lowercase hex digits: {request_id}"
    );

    let spans = exported();
    let root = spans.iter().find(|s| s["name"] == "client_server_root").expect("the root span");
    let trace = root["traceId"].as_str().unwrap();
    let spans: Vec<&Value> = spans.iter().filter(|s| s["traceId"] == trace).collect();
    let client = spans.iter().find(|s| s["kind"] == 3).expect("a CLIENT span");
    let server = spans.iter().find(|s| s["kind"] == 2).expect("a SERVER span");
    let handler =
        spans.iter().find(|s| s["name"] == "http::get_order").expect("the handler's span");
    assert_eq!(client["parentSpanId"], root["spanId"]);
    assert_eq!(server["parentSpanId"], client["spanId"], "the server continues the client's span");
    assert_eq!(handler["parentSpanId"], server["spanId"]);
    assert_eq!(client["name"], "GET");
    assert_eq!(server["name"], "GET /orders/{id}", "named after the route template, not the path");
    assert_eq!(attribute(server, "http.route"), Some("/orders/{id}".into()));
    assert_eq!(attribute(server, "http.request.method"), Some("GET".into()));
    assert_eq!(attribute(server, "url.scheme"), Some("http".into()));
    assert_eq!(attribute(server, "url.path"), Some("/orders/42".into()));
    assert_eq!(attribute(server, "http.response.status_code"), Some(200.into()));
    assert_eq!(attribute(client, "http.response.status_code"), Some(200.into()));
    assert_eq!(attribute(client, "server.address"), Some("127.0.0.1".into()));
    assert_eq!(attribute(handler, "id"), Some(42.into()));
    assert!(server.get("status").is_none_or(|s| s.get("code").is_none_or(|c| c == 0)));
    // Both are entered at each poll of their future: how long they were busy, and waited.
    for span in [client, server] {
        let busy = attribute(span, "busy_ns").and_then(|v| v.as_i64()).expect("busy_ns");
        let idle = attribute(span, "idle_ns").and_then(|v| v.as_i64()).expect("idle_ns");
        let duration = span["endTimeUnixNano"].as_str().unwrap().parse::<i64>().unwrap()
            - span["startTimeUnixNano"].as_str().unwrap().parse::<i64>().unwrap();
        // The same clock, converted twice: to the microsecond.
        assert!((busy + idle - duration).abs() < 1_000, "{span}");
        assert!(busy > 0, "{span}");
    }
}

#[test]
fn the_request_id_is_in_every_log_line_of_the_request() {
    let env = env();
    let client = reqwest::blocking::Client::new();
    let response = client.get(url("/whoami")).header("x-request-id", "req-abc-123").send().unwrap();
    assert_eq!(response.headers()["x-request-id"], "req-abc-123", "a valid incoming id is kept");
    let trace_id = response.text().unwrap().split(' ').next().unwrap().to_owned();
    let lines = env.lines.json();
    let line = lines
        .iter()
        .find(|l| l["msg"] == "who am I" && l["request_id"] == "req-abc-123")
        .expect("the handler's log line");
    assert_eq!(line["trace_id"], trace_id);

    let response =
        client.get(url("/whoami")).header("x-request-id", "bad id with spaces").send().unwrap();
    let replaced = response.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_ne!(replaced, "bad id with spaces");
    assert_eq!(replaced.len(), 32);
}

#[test]
fn a_foreign_opentelemetry_client_continues_into_the_rust_server() {
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/otel_client.py");
    let out = std::process::Command::new("python3")
        .arg(script)
        .arg(url("/whoami"))
        .output()
        .expect("python3");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let python: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(python["status"], 200);
    let trace = python["trace_id"].as_str().unwrap();
    assert!(
        python["body"].as_str().unwrap().starts_with(trace),
        "the handler runs in the Python trace"
    );
    let spans = spans_of_trace(trace);
    let server =
        spans.iter().find(|s| s["kind"] == 2).expect("the Rust SERVER span is in the Python trace");
    assert_eq!(
        server["parentSpanId"], python["client_span_id"],
        "its parent is the Python CLIENT span"
    );
    assert_eq!(server["name"], "GET /whoami");
}

#[test]
fn client_errors_are_not_server_failures_but_server_errors_are() {
    let (status, _, _) = traced_get("not_found_root", "/orders/0");
    assert_eq!(status, 404);
    let (status, _, _) = traced_get("unavailable_root", "/orders/500");
    assert_eq!(status, 503);
    let spans = exported();
    let server = |root_name: &str| {
        let root = spans.iter().find(|s| s["name"] == root_name).unwrap();
        spans.iter().find(|s| s["traceId"] == root["traceId"] && s["kind"] == 2).unwrap().clone()
    };
    let not_found = server("not_found_root");
    assert_eq!(attribute(&not_found, "http.response.status_code"), Some(404.into()));
    assert_eq!(
        not_found["status"]["code"].as_i64().unwrap_or(0),
        0,
        "a 4xx does not fail the server span"
    );
    assert_eq!(attribute(&not_found, "error.type"), None);
    let unavailable = server("unavailable_root");
    assert_eq!(unavailable["status"]["code"], 2, "a 5xx fails the server span");
    assert_eq!(attribute(&unavailable, "error.type"), Some("503".into()));
    // The client span fails on both (a 4xx is a client-side error too).
    let client_404 =
        spans.iter().find(|s| s["traceId"] == not_found["traceId"] && s["kind"] == 3).unwrap();
    assert_eq!(attribute(client_404, "error.type"), Some("404".into()));
}

#[test]
fn a_panicking_handler_answers_500_and_the_gauge_returns_to_zero() {
    let env = env();
    let (status, headers, _) = traced_get("panic_root", "/explode");
    assert_eq!(status, 500);
    assert!(headers.contains_key("x-request-id"));
    let spans = exported();
    let root = spans.iter().find(|s| s["name"] == "panic_root").unwrap();
    let server = spans.iter().find(|s| s["traceId"] == root["traceId"] && s["kind"] == 2).unwrap();
    assert_eq!(server["status"]["code"], 2);
    assert_eq!(attribute(server, "error.type"), Some("panic".into()));
    let lines = env.lines.json();
    let logged =
        lines.iter().find(|l| l["msg"] == "panicked: handler bug").expect("the panic is logged");
    assert_eq!(logged["trace_id"], root["traceId"]);
    env.telemetry.flush();
    let body = http_get(env.metrics, "/metrics");
    let active: f64 = body
        .lines()
        .filter(|l| l.starts_with("http_server_active_requests{"))
        .map(|l| l.rsplit(' ').next().unwrap().parse::<f64>().unwrap())
        .sum();
    assert_eq!(active, 0.0, "{body}");
}

#[test]
fn a_client_timeout_fails_the_client_span() {
    let env = env();
    let client = obs::http::client(
        reqwest::Client::builder().timeout(Duration::from_millis(200)).build().unwrap(),
    );
    let url = url("/slow");
    let error = env.runtime.block_on(async move {
        let span = tracing::info_span!("timeout_root");
        tracing::Instrument::instrument(client.get(url).send(), span).await.unwrap_err()
    });
    assert!(error.is_timeout(), "{error}");
    let spans = exported();
    let root = spans.iter().find(|s| s["name"] == "timeout_root").unwrap();
    let client_span =
        spans.iter().find(|s| s["traceId"] == root["traceId"] && s["kind"] == 3).unwrap();
    assert_eq!(client_span["status"]["code"], 2);
    assert_eq!(attribute(client_span, "error.type"), Some("timeout".into()));
}

#[test]
fn trace_context_and_baggage_travel_to_downstream_calls() {
    // /chain calls /whoami through the instrumented client; /whoami answers with the trace id
    // it runs in and the baggage it received.
    let client = reqwest::blocking::Client::new();
    let response = client
        .get(url("/chain"))
        .header("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
        .header("baggage", "tenant=acme")
        .send()
        .unwrap();
    let body = response.text().unwrap();
    assert_eq!(
        body, "0af7651916cd43dd8448eb211c80319c tenant=acme",
        "same trace, same baggage, one hop further"
    );
    let spans = spans_of_trace("0af7651916cd43dd8448eb211c80319c");
    let chain = spans.iter().find(|s| s["name"] == "GET /chain").unwrap();
    assert_eq!(chain["parentSpanId"], "b7ad6b7169203331");
    let hop = spans.iter().find(|s| s["kind"] == 3).expect("the client span of the hop");
    assert_eq!(hop["parentSpanId"], chain["spanId"]);
    let downstream =
        spans.iter().find(|s| s["name"] == "GET /whoami").expect("the downstream server span");
    assert_eq!(downstream["parentSpanId"], hop["spanId"]);
}

#[test]
fn golden_signals_metrics_and_business_checks() {
    let env = env();
    for id in [1, 2, 3, 0, 500] {
        traced_get("golden_root", &format!("/orders/{id}"));
    }
    let client = reqwest::blocking::Client::new();
    let healthy = client.get(url("/health")).send().unwrap();
    assert_eq!(healthy.status(), 200);
    ORDERS_HEALTHY.store(false, Ordering::SeqCst);
    let failing = client.get(url("/health")).send().unwrap();
    assert_eq!(failing.status(), 503);
    let body: Value = failing.json().unwrap();
    assert_eq!(body["failing"], serde_json::json!(["orders-roundtrip"]));
    assert_eq!(body["checks"][0]["error"], "orders cannot be read back");
    ORDERS_HEALTHY.store(true, Ordering::SeqCst);

    env.telemetry.flush();
    let metrics = http_get(env.metrics, "/metrics");
    for expected in [
        "obs_operation_errors_total{service=\"http-test\",operation=\"get_order\",kind=\"server\",error_type=\"503\"}",
        "obs_business_events_total{service=\"http-test\",operation=\"get_order\",event=\"order_viewed\"}",
        "obs_operation_duration_seconds_count{service=\"http-test\",operation=\"get_order\",kind=\"server\"}",
        "obs_operation_active{service=\"http-test\",operation=\"get_order\",kind=\"server\"} 0",
        "obs_business_check_up{service=\"http-test\",check=\"orders-roundtrip\"} 0",
        "http_server_request_duration_seconds_bucket{service=\"http-test\",http_request_method=\"GET\",url_scheme=\"http\",http_route=\"/orders/{id}\",http_response_status_code=\"404\",le=\"0.005\"}",
        "http_client_request_duration_seconds_count{service=\"http-test\",http_request_method=\"GET\",server_address=\"127.0.0.1\"",
    ] {
        assert!(metrics.contains(expected), "missing `{expected}`");
    }
    let events: f64 = metrics
        .lines()
        .find(|l| {
            l.starts_with("obs_business_events_total{service=\"http-test\",operation=\"get_order\"")
        })
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
        .unwrap();
    assert!(events >= 3.0, "one business event per successful order view: {events}");
    common::promtool_check_metrics(&metrics).unwrap();
    let operation = obs::golden::operations().iter().find(|o| o.name == "get_order").unwrap();
    assert_eq!(operation.objective.unwrap().success_percent, 99.5);
}
