use crate::support::{block_on, calls, enable_metrics, metrics};
use obs::observe;
use obs::testing::{capture, capture_async};
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
    let (cap, result) = block_on(capture_async(async {
        let future = delayed(20);
        // The in-flight gauge is not in a capture: obs's own counters.
        let in_flight = metrics("observe::returns_future::delayed").in_flight;
        (in_flight, future.await)
    }));
    assert_eq!(result, (1, Ok(20)), "in flight from the call until the future completes");
    assert_eq!(metrics("observe::returns_future::delayed").in_flight, 0);
    assert_eq!(calls(&cap, "delayed"), [1, 0, 0, 0], "{cap}");
    let seconds = cap.histogram("function_calls_duration_seconds", &[("function", "delayed")]);
    assert_eq!(seconds.len(), 1, "{cap}");
    assert!(seconds[0] >= 0.020, "latency covers the await, not only the creation: {cap}");
    let span = cap.span("observe::returns_future::delayed");
    span.assert_attribute("ms", 20);
    let events: Vec<_> = span.events().iter().map(|e| e.name.as_str()).collect();
    assert_eq!(events, ["creating", "resolved"], "{cap}");
    assert_eq!(cap.logs().len(), 2, "{cap}");
    assert!(
        cap.logs().iter().all(|line| line.field("span").and_then(|s| s.as_str())
            == Some("observe::returns_future::delayed")),
        "{cap}"
    );
}

#[observe]
fn failing_later() -> impl Future<Output = Result<(), std::io::Error>> + Send {
    async { Err(std::io::Error::other("disk")) }
}

#[test]
fn the_output_of_the_future_decides_the_result() {
    let (cap, r) = block_on(capture_async(async { failing_later().await }));
    assert!(r.is_err());
    assert_eq!(calls(&cap, "failing_later"), [0, 1, 0, 0], "{cap}");
    assert!(cap.span("observe::returns_future::failing_later").is_error(), "{cap}");
}

#[observe]
fn never_polled() -> impl Future<Output = u8> {
    async { 1 }
}

#[test]
fn a_future_dropped_before_polling_is_cancelled() {
    enable_metrics();
    let (cap, ()) = capture(|| drop(never_polled()));
    assert_eq!(calls(&cap, "never_polled"), [0, 0, 0, 1], "{cap}");
    // The in-flight gauge is not in a capture: obs's own counters.
    assert_eq!(metrics("observe::returns_future::never_polled").in_flight, 0);
}
