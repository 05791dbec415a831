use crate::support::*;
use obs::observe;

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
    enable_metrics();
    let (cap, r) = capture(|| pay(500));
    assert!(r.is_err());
    let span = cap.span("observe::err::pay");
    assert_eq!(span.fields["otel.status_code"], Value::Str("ERROR".into()));
    assert_eq!(
        span.fields["otel.status_description"],
        Value::Debug("payment declined with code 51".into())
    );
    assert_eq!(span.fields["error.type"], Value::Str("observe::err::PaymentDeclined".into()));
    let events = cap.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].level, "ERROR");
    assert_eq!(events[0].span.as_deref(), Some("observe::err::pay"));
    assert_eq!(events[0].fields["error"], Value::Debug("payment declined with code 51".into()));
    assert_eq!(events[0].target, "observe::err");
}

#[test]
fn err_adds_nothing_to_a_successful_call() {
    let (cap, r) = capture(|| pay(5));
    assert_eq!(r.unwrap(), 5);
    assert!(cap.events().is_empty());
    assert!(!cap.span("observe::err::pay").fields.contains_key("otel.status_description"));
}

#[observe(err)]
async fn pay_later(cents: u32) -> Result<u32, String> {
    tokio::task::yield_now().await;
    if cents > 100 { Err(format!("{cents} is too much")) } else { Ok(cents) }
}

#[test]
fn err_works_on_async_functions() {
    let (cap, r) = capture_async(pay_later(101));
    assert!(r.is_err());
    assert_eq!(cap.events()[0].fields["error"], Value::Debug("101 is too much".into()));
}

#[observe(err(Debug, level = warn))]
fn pay_warn(cents: u32) -> Result<u32, PaymentDeclined> {
    if cents > 100 { Err(PaymentDeclined { code: 5 }) } else { Ok(cents) }
}

#[test]
fn err_takes_a_format_and_a_level_like_tracings() {
    enable_metrics();
    let (cap, r) = capture(|| pay_warn(500));
    assert!(r.is_err());
    let span = cap.span("observe::err::pay_warn");
    assert_eq!(
        span.fields["otel.status_description"],
        Value::Debug("PaymentDeclined { code: 5 }".into())
    );
    let events = cap.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].level, "WARN");
    assert_eq!(events[0].fields["error"], Value::Debug("PaymentDeclined { code: 5 }".into()));
    // The call is an error whatever the event's level.
    assert_eq!(calls("observe::err::pay_warn"), [0, 1, 0, 0]);
}
