use crate::support::*;
use obs::observe;

#[observe]
async fn fetch(id: u32) -> Result<u32, String> {
    tokio::task::yield_now().await;
    tracing::info!("after the await");
    if id == 0 { Err("zero".into()) } else { Ok(id) }
}

#[test]
fn async_calls_are_spans_and_counted() {
    enable_metrics();
    let (cap, (a, b)) = capture_async(async { (fetch(1).await, fetch(0).await) });
    assert_eq!((a, b), (Ok(1), Err("zero".to_owned())));
    let spans: Vec<_> =
        cap.spans().into_iter().filter(|s| s.name == "observe::async_fn::fetch").collect();
    assert_eq!(spans.len(), 2);
    assert_eq!(spans[0].fields["id"], Value::I64(1));
    assert!(!spans[0].fields.contains_key("otel.status_code"));
    assert_eq!(spans[1].fields["otel.status_code"], Value::Str("ERROR".into()));
    assert_eq!(spans[1].fields["error.type"], Value::Str("alloc::string::String".into()));
    assert!(
        cap.events().iter().all(|e| e.span.as_deref() == Some("observe::async_fn::fetch")),
        "events after an await stay in the span"
    );
    assert_eq!(calls("observe::async_fn::fetch"), [1, 1, 0, 0]);
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
    let total: u64 = rt.block_on(async {
        let tasks: Vec<_> = (0..8).map(|_| tokio::spawn(sleepy(2))).collect();
        let mut total = 0;
        for t in tasks {
            total += t.await.unwrap();
        }
        total
    });
    assert_eq!(total, 16);
    let m = metrics("observe::async_fn::sleepy");
    assert_eq!((m.calls, m.in_flight), ([8, 0, 0, 0], 0));
    assert!(m.sum_seconds >= 8.0 * 0.002, "latency covers the awaits: {m:?}");
}
