use crate::support::{calls, enable_metrics, metrics, tracing_spans};
use obs::observe;
use obs::testing::capture;
use opentelemetry::trace::Status;

#[observe]
fn add(a: u64, b: i32) -> u64 {
    tracing::info!("adding");
    a.wrapping_add_signed(b.into())
}

#[test]
fn span_is_named_module_function_and_records_typed_arguments() {
    let (cap, sum) = capture(|| add(2, -1));
    assert_eq!(sum, 1);
    // A captured span is one that was closed (spans are exported as they end).
    let span = cap.span("observe::sync_fn::add");
    assert_eq!(span.name(), "observe::sync_fn::add");
    span.assert_attribute("a", 2);
    span.assert_attribute("b", -1);
    assert_eq!(span.status(), &Status::Unset, "{cap}");
    let events: Vec<_> = span.events().iter().map(|e| e.name.as_str()).collect();
    assert_eq!(events, ["adding"], "{cap}");
    assert_eq!(cap.logs().len(), 1, "{cap}");
    assert_eq!(cap.logs()[0].field("span").and_then(|s| s.as_str()), Some(span.name()));
    assert_eq!(calls(&cap, "add"), [1, 0, 0, 0], "{cap}");
}

// A span's `tracing` level and target are not exported: checked through a `tracing` subscriber.
#[test]
fn the_span_is_at_info_with_the_module_as_target() {
    let (spans, sum) = tracing_spans(|| add(2, -1));
    assert_eq!(sum, 1);
    let span = spans.span("observe::sync_fn::add");
    assert_eq!((span.level.as_str(), span.target.as_str()), ("INFO", "observe::sync_fn"));
}

#[observe]
fn parse_sum(a: &str, b: &str) -> Result<i64, std::num::ParseIntError> {
    if a.is_empty() {
        return Ok(0);
    }
    let x: i64 = a.parse()?;
    let y: i64 = b.parse()?;
    Ok(x + y)
}

#[test]
fn early_returns_and_question_marks_are_classified() {
    let (cap, ()) = capture(|| {
        assert_eq!(parse_sum("1", "2"), Ok(3));
        assert_eq!(parse_sum("", "x"), Ok(0));
        assert!(parse_sum("1", "x").is_err());
    });
    assert_eq!(calls(&cap, "parse_sum"), [2, 1, 0, 0], "{cap}");
}

#[observe]
fn parse_one(a: &str) -> Result<i64, std::num::ParseIntError> {
    a.parse()
}

#[test]
fn a_failed_call_marks_its_span() {
    let (cap, _) = capture(|| parse_one("z"));
    let span = cap.span("observe::sync_fn::parse_one");
    assert!(span.is_error(), "{cap}");
    span.assert_attribute("error.type", "core::num::error::ParseIntError");
}

/// The return type is only known from the signature: the body must still infer.
#[observe]
fn parsed() -> u32 {
    "5".parse().unwrap()
}

#[test]
fn body_types_are_inferred_from_the_signature() {
    assert_eq!(parsed(), 5);
}

#[observe]
fn slow(ms: u64) -> u64 {
    let inside = obs::metrics::function("observe::sync_fn::slow").unwrap().in_flight;
    std::thread::sleep(std::time::Duration::from_millis(ms));
    inside
}

#[test]
fn latency_and_in_flight_are_measured() {
    enable_metrics();
    let (cap, inside) = capture(|| slow(3));
    assert_eq!(inside, 1, "the call is in flight while its body runs");
    assert_eq!(calls(&cap, "slow"), [1, 0, 0, 0], "{cap}");
    let seconds = cap.histogram("function_calls_duration_seconds", &[("function", "slow")]);
    assert_eq!(seconds.len(), 1, "{cap}");
    assert!(seconds[0] >= 0.003, "{cap}");
    // The in-flight gauge and the latency buckets are not in a capture: obs's own counters.
    let m = metrics("observe::sync_fn::slow");
    assert_eq!(m.in_flight, 0);
    let p50 = m.quantile(0.5).unwrap();
    assert!(p50 >= 0.0025, "3 ms falls in the 2.5–5 ms bucket or above: {m:?}");
}

#[observe]
fn outer(n: u32) -> u32 {
    inner(n) + 1
}

#[observe]
fn inner(n: u32) -> u32 {
    n * 2
}

#[test]
fn nested_calls_nest_their_spans() {
    let (cap, value) = capture(|| outer(3));
    assert_eq!(value, 7);
    let outer = cap.span("observe::sync_fn::outer");
    cap.assert_parent(cap.span("observe::sync_fn::inner"), outer);
    assert_eq!(outer.parent_span_id(), None, "{cap}");
}

#[observe]
fn plain(n: u32) -> u32 {
    n + 1
}

#[test]
fn without_subscriber_the_function_still_works() {
    let thread = std::thread::spawn(|| {
        // A scoped "no subscriber" on this thread.
        tracing::subscriber::with_default(tracing::subscriber::NoSubscriber::default(), || plain(1))
    });
    assert_eq!(thread.join().unwrap(), 2);
}

/// Destructured parameters record each binding.
#[observe]
fn area((w, h): (u32, u32), Point { x, .. }: Point) -> u32 {
    w * h + x
}

pub struct Point {
    x: u32,
    #[allow(dead_code)]
    y: u32,
}

#[test]
fn destructured_parameters_record_their_bindings() {
    let (cap, a) = capture(|| area((2, 3), Point { x: 1, y: 9 }));
    assert_eq!(a, 7);
    let span = cap.span("observe::sync_fn::area");
    span.assert_attribute("w", 2);
    span.assert_attribute("h", 3);
    span.assert_attribute("x", 1);
}
