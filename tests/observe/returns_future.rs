use crate::support::*;
use obs::observe;
use std::future::Future;
use std::time::Duration;

#[observe]
fn delayed(ms: u64) -> impl Future<Output = Result<u64, String>> {
    tracing::info!("creating");
    async move {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        tracing::info!("resolved");
        if ms == 0 { Err("no delay".to_owned()) } else { Ok(ms) }
    }
}

#[test]
fn the_returned_future_is_observed_not_only_its_creation() {
    enable_metrics();
    let (cap, result) = capture_async(async {
        let future = delayed(20);
        let in_flight = metrics("observe::returns_future::delayed").in_flight;
        (in_flight, future.await)
    });
    assert_eq!(result, (1, Ok(20)), "in flight from the call until the future completes");
    let m = metrics("observe::returns_future::delayed");
    assert_eq!((m.calls, m.in_flight), ([1, 0, 0, 0], 0));
    assert!(m.sum_seconds >= 0.020, "latency covers the await, not only the creation: {m:?}");
    let span = cap.span("observe::returns_future::delayed");
    assert_eq!(span.fields["ms"], Value::U64(20));
    let events = cap.events();
    assert_eq!(events.len(), 2);
    assert!(events.iter().all(|e| e.span.as_deref() == Some("observe::returns_future::delayed")));
}

#[observe]
fn failing_later() -> impl Future<Output = Result<(), std::io::Error>> + Send {
    async { Err(std::io::Error::other("disk")) }
}

#[test]
fn the_output_of_the_future_decides_the_result() {
    enable_metrics();
    let (cap, r) = capture_async(async { failing_later().await });
    assert!(r.is_err());
    assert_eq!(calls("observe::returns_future::failing_later"), [0, 1, 0, 0]);
    let span = cap.span("observe::returns_future::failing_later");
    assert_eq!(span.fields["otel.status_code"], Value::Str("ERROR".into()));
}

#[observe]
fn never_polled() -> impl Future<Output = u8> {
    async { 1 }
}

#[test]
fn a_future_dropped_before_polling_is_cancelled() {
    enable_metrics();
    drop(never_polled());
    let m = metrics("observe::returns_future::never_polled");
    assert_eq!((m.calls, m.in_flight), ([0, 0, 0, 1], 0));
}
