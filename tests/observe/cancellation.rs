use crate::support::*;
use obs::observe;
use std::time::Duration;

#[observe]
async fn wait_forever() -> u8 {
    std::future::pending::<()>().await;
    1
}

#[test]
fn a_future_dropped_mid_flight_is_cancelled_and_the_gauge_returns() {
    enable_metrics();
    let (cap, timed_out) = capture_async(async {
        tokio::time::timeout(Duration::from_millis(5), wait_forever()).await
    });
    assert!(timed_out.is_err());
    let m = metrics("observe::cancellation::wait_forever");
    assert_eq!((m.calls, m.in_flight), ([0, 0, 0, 1], 0));
    let span = cap.span("observe::cancellation::wait_forever");
    assert!(span.closed);
    assert!(!span.fields.contains_key("otel.status_code"), "cancellation is not a failure");
}

#[observe]
async fn quick() -> u8 {
    1
}

#[test]
fn select_losers_are_cancelled_winners_are_ok() {
    enable_metrics();
    block_on(async {
        tokio::select! {
            biased;
            v = quick() => assert_eq!(v, 1),
            _ = wait_forever() => unreachable!(),
        }
    });
    assert_eq!(calls("observe::cancellation::quick"), [1, 0, 0, 0]);
}
