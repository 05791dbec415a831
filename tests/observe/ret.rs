use crate::support::block_on;
use obs::observe;
use obs::testing::{capture, capture_async};
use opentelemetry::Value;

#[observe(ret)]
fn double(n: u32) -> u32 {
    n * 2
}

#[derive(Debug)]
#[allow(dead_code)]
struct Receipt {
    total: u32,
}

#[observe(ret, level = debug)]
async fn receipt(total: u32) -> Receipt {
    Receipt { total }
}

#[test]
fn ret_emits_the_return_value_as_an_event_of_the_span() {
    let (cap, v) = capture(|| double(21));
    assert_eq!(v, 42);
    let events = cap.span("observe::ret::double").events();
    assert_eq!((events.len(), cap.logs().len()), (1, 1), "{cap}");
    assert_eq!(events[0].attribute("return"), Some(&Value::I64(42)), "{cap}");
    assert_eq!(events[0].attribute("level"), Some(&Value::from("INFO")), "{cap}");
    let line = &cap.logs()[0];
    assert_eq!(line.field("span").and_then(|s| s.as_str()), Some("observe::ret::double"));
    assert_eq!(line.field("return").and_then(|r| r.as_i64()), Some(42), "{cap}");

    let (cap, _) = block_on(capture_async(receipt(3)));
    assert_eq!(cap.logs().len(), 1, "{cap}");
    let line = &cap.logs()[0];
    let value = line.field("return").and_then(|r| r.as_str());
    assert_eq!(value, Some("Receipt { total: 3 }"), "{cap}");
    assert_eq!(line.level(), Some("DEBUG"), "the event has the span's level: {cap}");
    // Inside the async function's span, as for a sync function.
    assert_eq!(line.field("span").and_then(|s| s.as_str()), Some("observe::ret::receipt"));
    assert_eq!(cap.span("receipt").events().len(), 1, "{cap}");
}

struct Label(&'static str);

impl std::fmt::Display for Label {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "label {}", self.0)
    }
}

#[observe(ret(Display, level = trace))]
fn label() -> Label {
    Label("a")
}

#[observe(ret(Debug))]
fn name() -> &'static str {
    "b"
}

#[test]
fn ret_takes_a_format_and_a_level_like_tracings() {
    let (cap, _) = capture(label);
    let events = cap.span("observe::ret::label").events();
    assert_eq!(events[0].attribute("return"), Some(&Value::from("label a")), "by Display: {cap}");
    assert_eq!(events[0].attribute("level"), Some(&Value::from("TRACE")), "{cap}");
    let (cap, _) = capture(name);
    let events = cap.span("observe::ret::name").events();
    assert_eq!(events[0].attribute("return"), Some(&Value::from("\"b\"")), "by Debug: {cap}");
}
