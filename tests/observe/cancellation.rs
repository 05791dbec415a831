use crate::support::{block_on, calls, enable_metrics, metrics};
use obs::observe;
use obs::testing::capture_async;
use opentelemetry::trace::Status;
use std::time::Duration;

#[observe]
async fn wait_forever() -> u8 {
    std::future::pending::<()>().await;
    1
}

#[test]
fn a_future_dropped_mid_flight_is_cancelled_and_the_gauge_returns() {
    enable_metrics();
    let (cap, timed_out) = block_on(capture_async(async {
        tokio::time::timeout(Duration::from_millis(5), wait_forever()).await
    }));
    assert!(timed_out.is_err());
    assert_eq!(calls(&cap, "wait_forever"), [0, 0, 0, 1], "{cap}");
    // The in-flight gauge is not in a capture: obs's own counters.
    assert_eq!(metrics("observe::cancellation::wait_forever").in_flight, 0);
    // A captured span is one that was closed (spans are exported as they end).
    let span = cap.span("observe::cancellation::wait_forever");
    assert_eq!(span.status(), &Status::Unset, "cancellation is not a failure: {cap}");
}

#[observe]
async fn quick() -> u8 {
    1
}

#[test]
fn select_losers_are_cancelled_winners_are_ok() {
    let (cap, ()) = block_on(capture_async(async {
        tokio::select! {
            biased;
            v = quick() => assert_eq!(v, 1),
            _ = wait_forever() => unreachable!(),
        }
    }));
    assert_eq!(calls(&cap, "quick"), [1, 0, 0, 0], "{cap}");
}
