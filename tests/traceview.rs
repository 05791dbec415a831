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
    // The write waited for the customer's load: both are on the path, one after the other.
    assert_eq!(
        path,
        [
            "POST /checkout",
            "POST",
            "POST /orders",
            "shop::api::load_customer",
            "shop::api::write_order"
        ]
    );
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

/// A one-service trace from `(span, parent, name, start ms, end ms)`.
fn trace_of(spans: &[(u32, Option<u32>, &str, u64, u64)]) -> obs::traceview::TraceView {
    let spans: Vec<String> = spans
        .iter()
        .map(|(id, parent, name, start, end)| {
            let parent = parent.map_or(String::new(), |p| format!(r#""parentSpanId":"{p:016x}","#));
            format!(
                r#"{{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"{id:016x}",{parent}"name":"{name}","startTimeUnixNano":"{}","endTimeUnixNano":"{}","status":{{}}}}"#,
                start * 1_000_000,
                end * 1_000_000
            )
        })
        .collect();
    let line = format!(
        r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"web"}}}}]}},"scopeSpans":[{{"spans":[{}]}}]}}]}}"#,
        spans.join(",")
    );
    parse(&line).unwrap().remove(0)
}

fn path_of(trace: &obs::traceview::TraceView) -> Vec<(String, u64)> {
    trace
        .critical_segments()
        .iter()
        .map(|segment| (segment.span.name.clone(), segment.self_ns / 1_000_000))
        .collect()
}

fn owned(path: &[(&str, u64)]) -> Vec<(String, u64)> {
    path.iter().map(|(name, ms)| (name.to_string(), *ms)).collect()
}

#[test]
fn the_critical_path_goes_through_a_slow_child_that_is_not_the_last_to_end() {
    // The case the first waterfall got wrong: a slow call followed by a quick one.
    let trace = trace_of(&[
        (1, None, "GET /item", 0, 500),
        (2, Some(1), "web::get_item", 2, 467),
        (3, Some(2), "store::load_item", 5, 460),
        (4, Some(1), "web::render", 468, 497),
    ]);
    assert_eq!(
        path_of(&trace),
        owned(&[
            ("GET /item", 6),
            ("web::get_item", 10),
            ("store::load_item", 455),
            ("web::render", 29)
        ])
    );
}

#[test]
fn sequential_children_are_all_on_the_critical_path() {
    let trace = trace_of(&[
        (1, None, "job", 0, 100),
        (2, Some(1), "a", 0, 30),
        (3, Some(1), "b", 30, 60),
        (4, Some(1), "c", 60, 100),
    ]);
    assert_eq!(path_of(&trace), owned(&[("job", 0), ("a", 30), ("b", 30), ("c", 40)]));
}

#[test]
fn of_parallel_children_only_the_one_waited_for_is_on_the_critical_path() {
    let trace = trace_of(&[
        (1, None, "fan out", 0, 100),
        (2, Some(1), "fast", 0, 40),
        (3, Some(1), "slow", 0, 95),
        (4, Some(1), "medium", 0, 70),
    ]);
    assert_eq!(path_of(&trace), owned(&[("fan out", 5), ("slow", 95)]));
}

#[test]
fn an_overlapping_child_that_ends_after_the_next_one_starts_is_not_on_the_path() {
    // `b` starts before `a` ends: the end waited for `b`, and before `b` for nothing of `a`'s
    // that `b` did not overlap. A child that outlives its parent is clamped to its end.
    let trace = trace_of(&[
        (1, None, "request", 0, 100),
        (2, Some(1), "a", 0, 60),
        (3, Some(1), "b", 50, 90),
        (4, Some(1), "fire and forget", 95, 400),
    ]);
    assert_eq!(path_of(&trace), owned(&[("request", 55), ("b", 40), ("fire and forget", 5)]));
}

#[test]
fn a_span_that_waited_is_drawn_with_its_idle_share_dotted() {
    let line = checkout().replace(
        r#""name":"shop::api::write_order","#,
        r#""name":"shop::api::write_order","attributes":[{"key":"busy_ns","value":{"intValue":"95000000"}},{"key":"idle_ns","value":{"intValue":"285000000"}}],"#,
    );
    let trace = &parse(&line).unwrap()[0];
    let write = trace.spans.iter().find(|s| s.name == "shop::api::write_order").unwrap();
    assert_eq!(write.busy_share(), Some(0.25));
    let shown = trace.render(&Style { width: 40, color: false });
    let row = shown.lines().find(|l| l.contains("write_order")).unwrap();
    let (solid, dotted) = (row.matches('█').count(), row.matches('·').count());
    assert_eq!(solid + dotted, 30, "{row}");
    assert!((7..=8).contains(&solid), "a quarter busy: {row}");
    assert!(shown.contains("· idle (waiting)"));
}
