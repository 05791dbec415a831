//! Every shape #[golden_signals] accepts, lint-clean.
#![deny(warnings)]

#[obs::golden_signals(operation = "orders.place", kind = consumer, objective(success = 99.9, latency_ms = 250, percentile = 99, window_days = 28), business_event = "order_placed", err)]
pub async fn place(order_id: u64) -> Result<u64, String> {
    Ok(order_id)
}

#[obs::golden_signals(kind = "job")]
pub fn nightly() {}

#[obs::golden_signals]
pub fn handler() -> http::StatusCode {
    http::StatusCode::OK
}

fn main() {
    let _ = place(1);
    nightly();
    let _ = handler();
    assert_eq!(obs::golden::operations().len(), 3);
}
