//! The waterfall renderer: what it finds in a trace (slowest span, critical path, failing
//! span) and how it draws it (snapshots in `tests/snapshots/`).

use obs::traceview::{Style, parse};

/// A checkout across three services: the frontend calls the API, which reads a customer and
/// writes an order; the write is slow and fails.
const CHECKOUT: &str = r#"{"resourceSpans":[
 {"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"shop-frontend"}}]},"scopeSpans":[{"spans":[
  {"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"0000000000000001","name":"POST /checkout","kind":2,"startTimeUnixNano":"1000000000","endTimeUnixNano":"1500000000","status":{"code":2,"message":"502"}},
  {"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"0000000000000002","parentSpanId":"0000000000000001","name":"POST","kind":3,"startTimeUnixNano":"1010000000","endTimeUnixNano":"1490000000","status":{"code":2,"message":"502"}}]}]},
 {"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"shop-api"}}]},"scopeSpans":[{"spans":[
  {"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"0000000000000003","parentSpanId":"0000000000000002","name":"POST /orders","kind":2,"startTimeUnixNano":"1020000000","endTimeUnixNano":"1480000000","status":{"code":2}},
  {"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"0000000000000004","parentSpanId":"0000000000000003","name":"shop::api::load_customer","startTimeUnixNano":"1030000000","endTimeUnixNano":"1080000000","status":{}},
  {"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"0000000000000005","parentSpanId":"0000000000000003","name":"shop::api::write_order","startTimeUnixNano":"1090000000","endTimeUnixNano":"1470000000","status":{"code":2,"message":"disk I/O error"}}]}]}
]}"#;

/// The fixture as the file holds it: one request per line.
fn checkout() -> String {
    CHECKOUT.replace('\n', "")
}

#[test]
fn the_renderer_finds_where_the_time_went_and_what_failed() {
    let traces = parse(&checkout()).unwrap();
    assert_eq!(traces.len(), 1);
    let trace = &traces[0];
    assert_eq!(trace.duration_ms(), 500.0);
    assert!(trace.failed());
    let slowest = trace.slowest_span().unwrap();
    assert_eq!(slowest.name, "shop::api::write_order", "380 ms of its own");
    let failing = trace.failing_span().unwrap();
    assert_eq!(
        (failing.name.as_str(), failing.message.as_str()),
        ("shop::api::write_order", "disk I/O error")
    );
    let path: Vec<&str> = trace.critical_path().iter().map(|s| s.name.as_str()).collect();
    assert_eq!(path, ["POST /checkout", "POST", "POST /orders", "shop::api::write_order"]);
    let outer = &trace.spans[0];
    assert_eq!(trace.self_time_ns(outer), 20_000_000, "the frontend's own time around its call");
}

#[test]
fn waterfall_snapshot() {
    let trace = &parse(&checkout()).unwrap()[0];
    insta::assert_snapshot!(trace.render(&Style { width: 40, color: false }));
}

#[test]
fn waterfall_with_colour_marks_failures_red_and_the_slowest_span_yellow() {
    let trace = &parse(&checkout()).unwrap()[0];
    let shown = trace.render(&Style { width: 40, color: true });
    let line = shown.lines().find(|l| l.contains("write_order")).unwrap();
    assert!(line.starts_with("\x1b[31m") && line.ends_with("\x1b[0m"), "{line:?}");
    assert!(!shown.lines().find(|l| l.contains("load_customer")).unwrap().contains('\x1b'));
}

#[test]
fn unreadable_lines_are_skipped_and_an_empty_input_is_an_error() {
    let half_written = format!("{}\n{{\"resourceSpans\":[{{\"res", checkout());
    assert_eq!(parse(&half_written).unwrap().len(), 1);
    let error = parse("not json\n").unwrap_err().to_string();
    assert!(error.contains("no OTLP-JSON trace request"), "{error}");
}

#[test]
fn string_enums_from_other_producers_are_understood() {
    let collector = checkout().replace("\"code\":2", "\"code\":\"STATUS_CODE_ERROR\"");
    assert!(parse(&collector).unwrap()[0].failed());
}
