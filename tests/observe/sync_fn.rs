use crate::support::*;
use obs::observe;

#[observe]
fn add(a: u64, b: i32) -> u64 {
    tracing::info!("adding");
    a.wrapping_add_signed(b.into())
}

#[test]
fn span_is_named_module_function_and_records_typed_arguments() {
    enable_metrics();
    let (cap, sum) = capture(|| add(2, -1));
    assert_eq!(sum, 1);
    let span = cap.span("observe::sync_fn::add");
    assert_eq!((span.level.as_str(), span.target.as_str()), ("INFO", "observe::sync_fn"));
    assert_eq!(span.fields["a"], Value::U64(2));
    assert_eq!(span.fields["b"], Value::I64(-1));
    assert!(!span.fields.contains_key("otel.status_code"), "{span:?}");
    assert!(span.closed);
    let events = cap.events();
    assert_eq!(events[0].span.as_deref(), Some("observe::sync_fn::add"));
    assert_eq!(calls("observe::sync_fn::add"), [1, 0, 0, 0]);
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
    enable_metrics();
    assert_eq!(parse_sum("1", "2"), Ok(3));
    assert_eq!(parse_sum("", "x"), Ok(0));
    assert!(parse_sum("1", "x").is_err());
    assert_eq!(calls("observe::sync_fn::parse_sum"), [2, 1, 0, 0]);
}

#[observe]
fn parse_one(a: &str) -> Result<i64, std::num::ParseIntError> {
    a.parse()
}

#[test]
fn a_failed_call_marks_its_span() {
    let (cap, _) = capture(|| parse_one("z"));
    let span = cap.span("observe::sync_fn::parse_one");
    assert_eq!(span.fields["otel.status_code"], Value::Str("ERROR".into()));
    assert_eq!(span.fields["error.type"], Value::Str("core::num::error::ParseIntError".into()));
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
    assert_eq!(slow(3), 1, "the call is in flight while its body runs");
    let m = metrics("observe::sync_fn::slow");
    assert_eq!(m.in_flight, 0);
    assert_eq!(m.total_calls(), 1);
    assert!(m.sum_seconds >= 0.003, "{m:?}");
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
    assert_eq!(
        cap.span("observe::sync_fn::inner").parent.as_deref(),
        Some("observe::sync_fn::outer")
    );
    assert_eq!(cap.span("observe::sync_fn::outer").parent, None);
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
    assert_eq!(span.fields["w"], Value::I64(2));
    assert_eq!(span.fields["h"], Value::I64(3));
    assert_eq!(span.fields["x"], Value::I64(1));
}
