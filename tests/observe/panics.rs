use crate::support::*;
use obs::observe;
use std::panic::{AssertUnwindSafe, catch_unwind};

#[observe]
fn explode(n: u32) -> u32 {
    if n > 0 {
        panic!("boom {n}");
    }
    n
}

#[test]
fn a_panic_is_recorded_and_keeps_unwinding() {
    enable_metrics();
    let (cap, caught) = capture(|| catch_unwind(AssertUnwindSafe(|| explode(1))));
    let payload = caught.expect_err("the panic reaches the caller");
    assert_eq!(payload.downcast_ref::<String>().map(String::as_str), Some("boom 1"));
    let m = metrics("observe::panics::explode");
    assert_eq!((m.calls, m.in_flight), ([0, 0, 1, 0], 0));
    let span = cap.span("observe::panics::explode");
    assert_eq!(span.fields["otel.status_code"], Value::Str("ERROR".into()));
    assert_eq!(span.fields["error.type"], Value::Str("panic".into()));
    assert!(span.closed);
}

#[observe]
async fn explode_later() -> u8 {
    tokio::task::yield_now().await;
    panic!("async boom");
}

#[test]
fn a_panicking_task_is_recorded_and_the_gauge_returns() {
    enable_metrics();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
    let joined = rt.block_on(async { tokio::spawn(explode_later()).await });
    assert!(joined.unwrap_err().is_panic());
    let m = metrics("observe::panics::explode_later");
    assert_eq!((m.calls, m.in_flight), ([0, 0, 1, 0], 0));
}
