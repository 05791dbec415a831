use crate::support::{block_on, calls};
use obs::observe;
use obs::testing::{capture, capture_async};
use opentelemetry::Value;
use opentelemetry::trace::Status;

#[derive(Debug)]
struct PaymentDeclined {
    code: u16,
}

impl std::fmt::Display for PaymentDeclined {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "payment declined with code {}", self.code)
    }
}

#[observe(err)]
fn pay(cents: u32) -> Result<u32, PaymentDeclined> {
    if cents > 100 { Err(PaymentDeclined { code: 51 }) } else { Ok(cents) }
}

#[test]
fn err_records_the_error_display_and_an_error_event() {
    let (cap, r) = capture(|| pay(500));
    assert!(r.is_err());
    let span = cap.span("observe::err::pay");
    assert!(span.is_error(), "{cap}");
    assert_eq!(span.status_description(), Some("payment declined with code 51"), "{cap}");
    span.assert_attribute("error.type", "observe::err::PaymentDeclined");
    let events = span.events();
    assert_eq!(events.len(), 1, "{cap}");
    assert_eq!(events[0].attribute("level"), Some(&Value::from("ERROR")), "{cap}");
    assert_eq!(
        events[0].attribute("error"),
        Some(&Value::from("payment declined with code 51")),
        "{cap}"
    );
    assert_eq!(events[0].attribute("target"), Some(&Value::from("observe::err")), "{cap}");
    // The same event, as a log line of the span.
    let lines = cap.logs();
    assert_eq!(lines.len(), 1, "{cap}");
    assert_eq!(lines[0].level(), Some("ERROR"), "{cap}");
    assert_eq!(lines[0].field("span").and_then(|s| s.as_str()), Some(span.name()), "{cap}");
    assert_eq!(lines[0].field("target").and_then(|t| t.as_str()), Some("observe::err"));
    assert_eq!(
        lines[0].field("error").and_then(|e| e.as_str()),
        Some("payment declined with code 51")
    );
}

#[test]
fn err_adds_nothing_to_a_successful_call() {
    let (cap, r) = capture(|| pay(5));
    assert_eq!(r.unwrap(), 5);
    let span = cap.span("observe::err::pay");
    assert!(span.events().is_empty() && cap.logs().is_empty(), "{cap}");
    assert_eq!(span.status(), &Status::Unset, "{cap}");
}

#[observe(err)]
async fn pay_later(cents: u32) -> Result<u32, String> {
    tokio::task::yield_now().await;
    if cents > 100 { Err(format!("{cents} is too much")) } else { Ok(cents) }
}

#[test]
fn err_works_on_async_functions() {
    let (cap, r) = block_on(capture_async(pay_later(101)));
    assert!(r.is_err());
    assert!(cap.span("observe::err::pay_later").is_error(), "{cap}");
    let lines = cap.logs();
    assert_eq!(lines.len(), 1, "{cap}");
    assert_eq!(lines[0].field("error").and_then(|e| e.as_str()), Some("101 is too much"), "{cap}");
    // Emitted inside the function's span, as for a sync function.
    let span = cap.span("observe::err::pay_later");
    assert_eq!(lines[0].field("span").and_then(|s| s.as_str()), Some(span.name()), "{cap}");
    assert_eq!(lines[0].field("span_id").and_then(|s| s.as_str()), Some(span.span_id().as_str()));
    assert_eq!(span.events().len(), 1, "{cap}");
}

#[observe(err(Debug, level = warn))]
fn pay_warn(cents: u32) -> Result<u32, PaymentDeclined> {
    if cents > 100 { Err(PaymentDeclined { code: 5 }) } else { Ok(cents) }
}

#[test]
fn err_takes_a_format_and_a_level_like_tracings() {
    let (cap, r) = capture(|| pay_warn(500));
    assert!(r.is_err());
    let span = cap.span("observe::err::pay_warn");
    assert_eq!(span.status_description(), Some("PaymentDeclined { code: 5 }"), "{cap}");
    let events = span.events();
    assert_eq!(events.len(), 1, "{cap}");
    assert_eq!(events[0].attribute("level"), Some(&Value::from("WARN")), "{cap}");
    assert_eq!(
        events[0].attribute("error"),
        Some(&Value::from("PaymentDeclined { code: 5 }")),
        "{cap}"
    );
    assert_eq!(cap.logs().len(), 1, "{cap}");
    assert_eq!(cap.logs()[0].level(), Some("WARN"), "{cap}");
    // The call is an error whatever the event's level.
    assert_eq!(calls(&cap, "pay_warn"), [0, 1, 0, 0], "{cap}");
}
