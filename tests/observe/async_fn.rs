use crate::support::{block_on, calls, enable_metrics, metrics};
use obs::observe;
use obs::testing::{Scope, capture_async};
use opentelemetry::trace::Status;

#[observe]
async fn fetch(id: u32) -> Result<u32, String> {
    tokio::task::yield_now().await;
    tracing::info!("after the await");
    if id == 0 { Err("zero".into()) } else { Ok(id) }
}

#[test]
fn async_calls_are_spans_and_counted() {
    let (cap, (a, b)) = block_on(capture_async(async { (fetch(1).await, fetch(0).await) }));
    assert_eq!((a, b), (Ok(1), Err("zero".to_owned())));
    let spans = cap.spans_named("observe::async_fn::fetch");
    assert_eq!(spans.len(), 2, "{cap}");
    spans[0].assert_attribute("id", 1);
    assert_eq!(spans[0].status(), &Status::Unset, "{cap}");
    assert!(spans[1].is_error(), "{cap}");
    spans[1].assert_attribute("error.type", "alloc::string::String");
    // Events after an await stay in the span.
    for span in &spans {
        let events: Vec<_> = span.events().iter().map(|e| e.name.as_str()).collect();
        assert_eq!(events, ["after the await"], "{cap}");
    }
    let lines = cap.logs_with_message("after the await");
    assert_eq!((lines.len(), cap.logs().len()), (2, 2), "{cap}");
    for (line, span) in lines.iter().zip(&spans) {
        assert_eq!(line.field("span").and_then(|s| s.as_str()), Some(span.name()), "{cap}");
        assert_eq!(line.field("trace_id").and_then(|t| t.as_str()), Some(&*span.trace_id()));
    }
    assert_eq!(calls(&cap, "fetch"), [1, 1, 0, 0], "{cap}");
}

#[observe]
async fn sum_parsed(a: String, b: String) -> Result<i64, std::num::ParseIntError> {
    let x: i64 = a.parse()?;
    tokio::task::yield_now().await;
    Ok(x + b.parse::<i64>()?)
}

#[test]
fn question_marks_infer_in_async_bodies() {
    let r = block_on(sum_parsed("1".into(), "2".into()));
    assert_eq!(r, Ok(3));
}

#[observe]
async fn sleepy(ms: u64) -> u64 {
    tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    ms
}

#[test]
fn the_future_is_send_and_runs_on_other_threads() {
    enable_metrics();
    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (cap, total) = rt.block_on(capture_async(async {
        // The tasks run on the runtime's threads: the capture is carried into them.
        let scope = Scope::current().expect("inside a capture");
        let tasks: Vec<_> = (0..8).map(|_| tokio::spawn(scope.wrap(sleepy(2)))).collect();
        let mut total = 0;
        for t in tasks {
            total += t.await.unwrap();
        }
        total
    }));
    assert_eq!(total, 16);
    assert_eq!(calls(&cap, "sleepy"), [8, 0, 0, 0], "{cap}");
    let seconds = cap.histogram("function_calls_duration_seconds", &[("function", "sleepy")]);
    assert_eq!(seconds.len(), 8, "{cap}");
    assert!(seconds.iter().sum::<f64>() >= 8.0 * 0.002, "latency covers the awaits: {cap}");
    // The in-flight gauge is not in a capture: obs's own counters.
    assert_eq!(metrics("observe::async_fn::sleepy").in_flight, 0);
}
