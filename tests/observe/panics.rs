use crate::support::{calls, enable_metrics, metrics};
use obs::observe;
use obs::testing::{Scope, capture, capture_async};
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
    assert_eq!(calls(&cap, "explode"), [0, 0, 1, 0], "{cap}");
    // The in-flight gauge is not in a capture: obs's own counters.
    assert_eq!(metrics("observe::panics::explode").in_flight, 0);
    // A captured span is one that was closed (spans are exported as they end).
    let span = cap.span("observe::panics::explode");
    assert!(span.is_error(), "{cap}");
    span.assert_attribute("error.type", "panic");
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
    let (cap, joined) = rt.block_on(capture_async(async {
        // The task runs on the runtime's threads: the capture is carried into it.
        let scope = Scope::current().expect("inside a capture");
        tokio::spawn(scope.wrap(explode_later())).await
    }));
    assert!(joined.unwrap_err().is_panic());
    assert_eq!(calls(&cap, "explode_later"), [0, 0, 1, 0], "{cap}");
    // The in-flight gauge is not in a capture: obs's own counters.
    assert_eq!(metrics("observe::panics::explode_later").in_flight, 0);
}
