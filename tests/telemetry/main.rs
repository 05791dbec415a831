//! The runtime with its embedded defaults: JSON logs, the OTLP-JSON trace file, tail sampling,
//! the panic hook and the Prometheus endpoint (checked with `promtool`). One `obs::init` per
//! process, so every test here shares it.

#[path = "../common/mod.rs"]
mod common;

use common::{Lines, attribute, free_port, http_get, otlp_spans, promtool_check_metrics};
use obs::config::Limits;
use opentelemetry::trace::{SpanContext, SpanId, TraceFlags, TraceId, TraceState};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

struct Env {
    telemetry: obs::Telemetry,
    lines: Lines,
    traces: PathBuf,
    metrics: SocketAddr,
    _dir: tempfile::TempDir,
}

fn env() -> &'static Env {
    static ENV: OnceLock<Env> = OnceLock::new();
    ENV.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let traces = dir.path().join("traces.jsonl");
        let metrics = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let lines = Lines::default();
        let telemetry = obs::TelemetryBuilder::new("telemetry-test")
            .ignore_env()
            .version("1.2.3")
            .environment("test")
            .sampling_ratio(0.1)
            .keep_traces_slower_than(Duration::from_millis(60))
            .traces_file(Some(&traces))
            .prometheus(Some(metrics))
            .log_writer(lines.clone())
            .limits(Limits {
                max_spans_per_trace: 50,
                export_delay: Duration::from_millis(50),
                ..Limits::default()
            })
            .init()
            .expect("init");
        Env { telemetry, lines, traces, metrics, _dir: dir }
    })
}

/// Every span in the trace file, after exporting what is queued.
fn exported() -> Vec<Value> {
    let env = env();
    assert!(env.telemetry.flush(), "flush timed out");
    std::fs::read_to_string(&env.traces)
        .unwrap_or_default()
        .lines()
        .flat_map(|line| otlp_spans(&serde_json::from_str(line).expect("an OTLP-JSON line")))
        .collect()
}

fn remote_parent(sampled: bool) -> SpanContext {
    let flags = if sampled { TraceFlags::SAMPLED } else { TraceFlags::default() };
    SpanContext::new(
        TraceId::from(fastrand::u128(1..)),
        SpanId::from(fastrand::u64(1..)),
        flags,
        true,
        TraceState::default(),
    )
}

#[test]
fn log_lines_are_json_with_the_trace_context_at_the_top_level() {
    let env = env();
    let parent = remote_parent(true);
    let span = obs::context::with_remote_parent(&parent, || tracing::info_span!("logs_test"));
    let trace_id = span.in_scope(|| {
        tracing::info!(order_id = 42u64, level = "spoofed", "order placed");
        obs::context::trace_id().expect("a traced span")
    });
    drop(span);
    tracing::warn!(marker = "outside", "no span here");

    let lines = env.lines.json();
    let line = lines.iter().find(|l| l["msg"] == "order placed").expect("the line");
    let timestamp = line["timestamp"].as_str().unwrap();
    assert!(humantime::parse_rfc3339(timestamp).is_ok() && timestamp.ends_with('Z'), "{timestamp}");
    assert_eq!(line["level"], "INFO");
    assert_eq!(line["target"], "telemetry");
    assert_eq!(trace_id, parent.trace_id());
    assert_eq!(
        line["trace_id"],
        format!("{:032x}", u128::from_be_bytes(parent.trace_id().to_bytes()))
    );
    assert_eq!(line["span_id"].as_str().unwrap().len(), 16);
    assert_eq!(line["trace_flags"], "01");
    assert_eq!(line["span"], "logs_test");
    assert_eq!(line["order_id"], 42);
    assert_eq!(line["field.level"], "spoofed", "a field cannot overwrite obs's own keys");

    let outside = lines.iter().find(|l| l["marker"] == "outside").unwrap();
    assert_eq!(outside["level"], "WARN");
    assert!(outside.get("trace_id").is_none(), "{outside}");
}

#[test]
fn request_and_user_ids_follow_every_line_of_the_request() {
    let env = env();
    let span = obs::context::with_remote_parent(&remote_parent(false), || {
        tracing::info_span!("request_test")
    });
    span.in_scope(|| {
        obs::context::set_request_id("req-7").unwrap();
        tracing::info!("request line one");
        obs::context::set_user_id("u-9").unwrap();
        tracing::info_span!("request_child").in_scope(|| tracing::info!("request line two"));
        assert_eq!(obs::context::request_id().as_deref(), Some("req-7"));
        assert_eq!(obs::context::user_id().as_deref(), Some("u-9"));
    });
    let lines = env.lines.json();
    let one = lines.iter().find(|l| l["msg"] == "request line one").unwrap();
    assert_eq!(one["request_id"], "req-7");
    assert!(one.get("user_id").is_none());
    let two = lines.iter().find(|l| l["msg"] == "request line two").unwrap();
    assert_eq!((&two["request_id"], &two["user_id"]), (&Value::from("req-7"), &Value::from("u-9")));
    assert_eq!(two["trace_flags"], "00", "an unsampled parent");
}

#[obs::observe(err)]
fn charge(cents: u64) -> Result<u64, String> {
    if cents > 100 { Err("card declined".into()) } else { Ok(cents) }
}

#[test]
fn exported_spans_keep_parents_attributes_status_and_events() {
    let parent = remote_parent(true);
    let span = obs::context::with_remote_parent(&parent, || {
        tracing::info_span!("checkout", otel.kind = "server", http.route = "/pay")
    });
    span.in_scope(|| {
        tracing::info!(items = 3, "charging");
        let _ = charge(500);
    });
    drop(span);

    let trace = format!("{:032x}", u128::from_be_bytes(parent.trace_id().to_bytes()));
    let spans: Vec<Value> = exported().into_iter().filter(|s| s["traceId"] == trace).collect();
    assert_eq!(spans.len(), 2, "{spans:#?}");
    let checkout = spans.iter().find(|s| s["name"] == "checkout").unwrap();
    let charge = spans.iter().find(|s| s["name"] == "telemetry::charge").unwrap();
    assert_eq!(
        checkout["parentSpanId"],
        format!("{:016x}", u64::from_be_bytes(parent.span_id().to_bytes()))
    );
    assert_eq!(charge["parentSpanId"], checkout["spanId"]);
    assert_eq!(checkout["kind"], 2, "SPAN_KIND_SERVER");
    assert_eq!(attribute(checkout, "http.route"), Some("/pay".into()));
    let event = &checkout["events"][0];
    assert_eq!(event["name"], "charging");
    assert_eq!(attribute(event, "items"), Some(3.into()));
    assert_eq!(checkout["service"], "telemetry-test");

    assert_eq!(attribute(charge, "cents"), Some(500.into()), "an integer attribute, not a string");
    assert_eq!(charge["status"]["code"], 2, "STATUS_CODE_ERROR");
    assert_eq!(charge["status"]["message"], "card declined");
    assert_eq!(attribute(charge, "error.type"), Some("alloc::string::String".into()));
    let error_event = charge["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| attribute(e, "level") == Some("ERROR".into()));
    assert!(error_event.is_some(), "{charge:#}");
}

#[test]
fn the_resource_names_the_service() {
    let span = obs::context::with_remote_parent(&remote_parent(true), || {
        tracing::info_span!("resource_test")
    });
    drop(span);
    env().telemetry.flush();
    let text = std::fs::read_to_string(&env().traces).unwrap();
    let request: Value =
        serde_json::from_str(text.lines().find(|l| l.contains("resource_test")).unwrap()).unwrap();
    let resource = &request["resourceSpans"][0]["resource"];
    assert_eq!(attribute(resource, "service.name"), Some("telemetry-test".into()));
    assert_eq!(attribute(resource, "service.version"), Some("1.2.3".into()));
    assert_eq!(attribute(resource, "deployment.environment.name"), Some("test".into()));
    assert_eq!(attribute(resource, "telemetry.sdk.language"), Some("rust".into()));
}

#[test]
fn ten_percent_of_ok_traces_and_every_failed_trace_are_exported_complete() {
    for _ in 0..10_000 {
        tracing::info_span!("stat_ok")
            .in_scope(|| tracing::info_span!("stat_ok_child").in_scope(|| {}));
    }
    for _ in 0..1_000 {
        tracing::info_span!("stat_failed").in_scope(|| {
            tracing::info_span!("stat_failed_before").in_scope(|| {});
            tracing::info_span!("stat_failed_bad").in_scope(|| tracing::error!("stat failure"));
            tracing::info_span!("stat_failed_after").in_scope(|| {});
        });
    }
    let mut traces: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for span in exported() {
        let name = span["name"].as_str().unwrap().to_owned();
        if name.starts_with("stat_") {
            traces.entry(span["traceId"].as_str().unwrap().to_owned()).or_default().insert(name);
        }
    }
    let ok: Vec<_> = traces.values().filter(|names| names.contains("stat_ok")).collect();
    let failed: Vec<_> = traces.values().filter(|names| names.contains("stat_failed")).collect();
    let share = ok.len() as f64 / 10_000.0;
    assert!(
        (0.085..=0.115).contains(&share),
        "kept {share} of ordinary traces, expected 10% ± 1.5%"
    );
    assert!(ok.iter().all(|names| names.len() == 2), "kept ordinary traces are complete");
    assert_eq!(failed.len(), 1_000, "every failed trace is kept");
    assert!(failed.iter().all(|names| names.len() == 4), "each failed trace is complete");
}

#[test]
fn an_unsampled_trace_that_does_not_fail_is_not_exported() {
    let parent = remote_parent(false);
    obs::context::with_remote_parent(&parent, || tracing::info_span!("quiet_request")).in_scope(
        || {
            tracing::info_span!("quiet_child")
                .in_scope(|| tracing::warn!("handled, not a failure"));
        },
    );
    let trace = format!("{:032x}", u128::from_be_bytes(parent.trace_id().to_bytes()));
    assert!(exported().iter().all(|s| s["traceId"] != trace));
}

#[test]
fn a_trace_with_a_slow_span_is_kept_a_fast_one_is_not() {
    let slow = remote_parent(false);
    obs::context::with_remote_parent(&slow, || tracing::info_span!("slow_request")).in_scope(
        || {
            tracing::info_span!("slow_query")
                .in_scope(|| std::thread::sleep(Duration::from_millis(80)));
        },
    );
    let fast = remote_parent(false);
    obs::context::with_remote_parent(&fast, || tracing::info_span!("fast_request")).in_scope(
        || {
            tracing::info_span!("fast_query")
                .in_scope(|| std::thread::sleep(Duration::from_millis(5)));
        },
    );
    let id = |p: &SpanContext| format!("{:032x}", u128::from_be_bytes(p.trace_id().to_bytes()));
    let spans = exported();
    let slow_spans: Vec<&Value> = spans.iter().filter(|s| s["traceId"] == id(&slow)).collect();
    assert_eq!(slow_spans.len(), 2, "the whole slow trace is kept");
    assert!(spans.iter().all(|s| s["traceId"] != id(&fast)));
    assert!(env().telemetry.stats().traces_kept_slow >= 1);
}

#[test]
fn a_panic_is_logged_with_its_trace_and_keeps_the_trace() {
    let env = env();
    let parent = remote_parent(false);
    let trace = format!("{:032x}", u128::from_be_bytes(parent.trace_id().to_bytes()));
    let joined = std::thread::spawn(move || {
        let span =
            obs::context::with_remote_parent(&parent, || tracing::info_span!("panicking_request"));
        let _entered = span.enter();
        panic!("kaboom 17");
    })
    .join();
    assert!(joined.is_err(), "the panic still unwinds");
    let lines = env.lines.json();
    let line =
        lines.iter().find(|l| l["msg"] == "panicked: kaboom 17").expect("the panic is logged");
    assert_eq!(line["level"], "ERROR");
    assert_eq!(line["trace_id"], trace);
    assert!(line["panic.location"].as_str().unwrap().contains("main.rs"));
    assert!(exported().iter().any(|s| s["traceId"] == trace && s["name"] == "panicking_request"));
}

#[test]
fn a_trace_longer_than_the_cap_is_cut_and_the_cut_is_counted() {
    let parent = remote_parent(false);
    obs::context::with_remote_parent(&parent, || tracing::info_span!("cap_root")).in_scope(|| {
        for _ in 0..60 {
            tracing::info_span!("cap_child").in_scope(|| {});
        }
        tracing::info_span!("cap_failure").in_scope(|| tracing::error!("after 60 spans"));
    });
    let trace = format!("{:032x}", u128::from_be_bytes(parent.trace_id().to_bytes()));
    let spans: Vec<Value> = exported().into_iter().filter(|s| s["traceId"] == trace).collect();
    let children = spans.iter().filter(|s| s["name"] == "cap_child").count();
    assert_eq!(children, 50, "the buffer holds 50 spans per trace");
    assert!(
        spans.iter().any(|s| s["name"] == "cap_failure")
            && spans.iter().any(|s| s["name"] == "cap_root")
    );
    let body = http_get(env().metrics, "/metrics");
    let dropped = body
        .lines()
        .find(|l| {
            l.starts_with(
                "obs_spans_dropped_total{service=\"telemetry-test\",reason=\"trace_too_long\"}",
            )
        })
        .and_then(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .expect("the drop counter");
    assert!(dropped >= 10, "{dropped}");
}

#[obs::observe]
fn scraped(n: u32) -> Result<u32, String> {
    if n == 0 { Err("zero".into()) } else { Ok(n) }
}

#[obs::observe(labels(tier = "gold", shard = 3))]
fn labelled() {}

#[test]
fn the_prometheus_endpoint_passes_promtool() {
    let env = env();
    labelled();
    scraped(1).unwrap();
    scraped(2).unwrap();
    scraped(0).unwrap_err();
    env.telemetry.flush();
    let body = http_get(env.metrics, "/metrics");
    for expected in [
        "function_calls_total{service=\"telemetry-test\",function=\"scraped\",module=\"telemetry\",result=\"ok\"} 2",
        "function_calls_total{service=\"telemetry-test\",function=\"scraped\",module=\"telemetry\",result=\"error\"} 1",
        "function_calls_duration_seconds_bucket{service=\"telemetry-test\",function=\"scraped\",module=\"telemetry\",le=\"0.005\"} 3",
        "function_calls_duration_seconds_count{service=\"telemetry-test\",function=\"scraped\",module=\"telemetry\"} 3",
        "function_calls_duration_seconds_bucket{service=\"telemetry-test\",function=\"labelled\",module=\"telemetry\",tier=\"gold\",shard=\"3\",le=\"+Inf\"} 1",
        "function_calls_concurrent{service=\"telemetry-test\",function=\"scraped\",module=\"telemetry\"} 0",
        "function_calls_total{service=\"telemetry-test\",function=\"labelled\",module=\"telemetry\",tier=\"gold\",shard=\"3\",result=\"ok\"} 1",
        "# HELP function_calls_total",
        "# TYPE function_calls_duration_seconds histogram",
        "process_resident_memory_bytes",
        "process_cpu_utilization_ratio",
        "process_open_fds",
        "system_filesystem_utilization_ratio{service=\"telemetry-test\",mountpoint=",
        "obs_traces_total{service=\"telemetry-test\",decision=\"kept_failed\"}",
    ] {
        assert!(body.contains(expected), "missing `{expected}` in\n{body}");
    }
    promtool_check_metrics(&body).unwrap();
}

#[test]
fn a_second_init_is_a_typed_error() {
    env();
    let err = obs::init("again").err().expect("refused");
    assert!(matches!(err, obs::InitError::AlreadyInitialized), "{err}");
}

#[obs::observe(fields(stage = "outer", later))]
fn outer_work() -> u64 {
    tracing::Span::current().record("later", 7u64);
    // The usual way to carry the context to another thread: the current span.
    let current = tracing::Span::current();
    let inner = std::thread::spawn(move || {
        current.in_scope(|| tracing::info_span!("on_another_thread").in_scope(inner_work))
    })
    .join()
    .unwrap();
    tracing::info!("outer log line");
    inner
}

#[obs::observe]
fn inner_work() -> u64 {
    tracing::info!("inner log line");
    1
}

#[test]
fn observed_functions_and_tracing_spans_nest_both_ways_and_across_threads() {
    let env = env();
    let parent = remote_parent(true);
    let root = obs::context::with_remote_parent(&parent, || tracing::info_span!("nesting_root"));
    assert_eq!(root.in_scope(outer_work), 1);
    drop(root);

    let trace = format!("{:032x}", u128::from_be_bytes(parent.trace_id().to_bytes()));
    let spans: Vec<Value> = exported().into_iter().filter(|s| s["traceId"] == trace).collect();
    let named = |name: &str| spans.iter().find(|s| s["name"] == name).expect(name);
    let (root, outer) = (named("nesting_root"), named("telemetry::outer_work"));
    let (thread, inner) = (named("on_another_thread"), named("telemetry::inner_work"));
    assert_eq!(spans.len(), 4, "the span standing in for outer_work is not exported: {spans:#?}");
    assert_eq!(outer["parentSpanId"], root["spanId"]);
    assert_eq!(thread["parentSpanId"], outer["spanId"], "Span::current() is outer_work's span");
    assert_eq!(inner["parentSpanId"], thread["spanId"]);
    assert_eq!(attribute(outer, "stage"), Some("outer".into()));
    assert_eq!(attribute(outer, "later"), Some(7.into()), "recorded through Span::current()");
    assert_eq!(outer["events"][0]["name"], "outer log line");

    let lines = env.lines.json();
    let line = |msg: &str| lines.iter().find(|l| l["msg"] == msg).expect(msg).clone();
    let (outer_line, inner_line) = (line("outer log line"), line("inner log line"));
    assert_eq!(outer_line["span_id"], outer["spanId"]);
    assert_eq!(outer_line["span"], "telemetry::outer_work");
    assert_eq!(inner_line["span_id"], inner["spanId"]);
    assert_eq!(inner_line["trace_id"], trace);
}

#[obs::observe]
async fn waits_for_io(ms: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    ms
}

#[obs::observe]
fn computes(n: u64) -> u64 {
    (0..n).fold(0u64, |a, b| a.wrapping_add(b * b))
}

#[test]
fn an_async_function_records_how_long_it_was_busy_and_how_long_it_waited() {
    env();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    let parent = remote_parent(true);
    let span = obs::context::with_remote_parent(&parent, || tracing::info_span!("busy_idle"));
    let _ = runtime.block_on(tracing::Instrument::instrument(waits_for_io(80), span.clone()));
    span.in_scope(|| computes(1000));
    drop(span);
    let trace = parent.trace_id().to_string();
    let spans = exported();
    let of = |name: &str| {
        spans.iter().find(|s| s["traceId"] == trace && s["name"] == name).cloned().unwrap_or_else(
            || {
                panic!(
                    "{name} not in {:?}",
                    spans
                        .iter()
                        .filter(|s| s["traceId"] == trace)
                        .map(|s| s["name"].clone())
                        .collect::<Vec<_>>()
                )
            },
        )
    };
    let waiting = of("telemetry::waits_for_io");
    let (busy, idle) =
        (attribute(&waiting, "busy_ns").unwrap(), attribute(&waiting, "idle_ns").unwrap());
    let (busy, idle) = (busy.as_i64().unwrap(), idle.as_i64().unwrap());
    assert!(idle >= 70_000_000, "it waited the 80 ms sleep: idle {idle} ns");
    assert!(busy < idle / 4, "and was not busy for it: busy {busy} ns");
    // The `tracing` span around it was entered at each poll: busy while the function ran.
    let around = of("busy_idle");
    assert!(attribute(&around, "busy_ns").is_some() && attribute(&around, "idle_ns").is_some());
    // A sync function has no polls: nothing is recorded.
    assert_eq!(attribute(&of("telemetry::computes"), "busy_ns"), None);
}
