use crate::support::*;
use obs::observe;

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
    let events = cap.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].fields["return"], Value::I64(42));
    assert_eq!(events[0].level, "INFO");
    assert_eq!(events[0].span.as_deref(), Some("observe::ret::double"));

    let (cap, _) = capture_async(receipt(3));
    let events = cap.events();
    assert_eq!(events[0].fields["return"], Value::Debug("Receipt { total: 3 }".into()));
    assert_eq!(events[0].level, "DEBUG", "the event has the span's level");
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
    let events = cap.events();
    assert_eq!(events[0].fields["return"], Value::Debug("label a".into()), "by Display");
    assert_eq!(events[0].level, "TRACE");
    let (cap, _) = capture(name);
    assert_eq!(cap.events()[0].fields["return"], Value::Debug("\"b\"".into()), "by Debug");
}
