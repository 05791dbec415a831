use crate::support::{block_on, calls, enable_metrics, metrics};
use async_trait::async_trait;
use obs::observe;
use obs::testing::capture_async;
use std::time::Duration;

#[async_trait]
trait Store {
    async fn get(&self, key: u32) -> Result<String, String>;
}

struct Memory;

#[async_trait]
impl Store for Memory {
    #[observe]
    async fn get(&self, key: u32) -> Result<String, String> {
        tokio::time::sleep(Duration::from_millis(5)).await;
        tracing::info!("looked up");
        if key == 0 { Err("missing".into()) } else { Ok(format!("v{key}")) }
    }
}

#[test]
fn async_trait_methods_observe_the_boxed_future() {
    enable_metrics();
    let store: Box<dyn Store + Send + Sync> = Box::new(Memory);
    let (cap, (a, b)) = block_on(capture_async(async { (store.get(1).await, store.get(0).await) }));
    assert_eq!(a.as_deref(), Ok("v1"));
    assert!(b.is_err());
    assert_eq!(calls(&cap, "get"), [1, 1, 0, 0], "{cap}");
    let seconds = cap.histogram("function_calls_duration_seconds", &[("function", "get")]);
    assert_eq!(seconds.len(), 2, "{cap}");
    assert!(
        seconds.iter().sum::<f64>() >= 0.010,
        "both sleeps are inside the measured call: {cap}"
    );
    // The in-flight gauge is not in a capture: obs's own counters.
    assert_eq!(metrics("observe::async_trait_methods::get").in_flight, 0);
    let spans = cap.spans_named("get");
    assert_eq!(spans.len(), 2, "{cap}");
    spans[0].assert_attribute("key", 1);
    for span in &spans {
        assert_eq!(span.name(), "observe::async_trait_methods::get");
        let events: Vec<_> = span.events().iter().map(|e| e.name.as_str()).collect();
        assert_eq!(events, ["looked up"], "{cap}");
    }
    assert_eq!(cap.logs().len(), 2, "{cap}");
    assert!(
        cap.logs().iter().all(|line| line.field("span").and_then(|s| s.as_str())
            == Some("observe::async_trait_methods::get")),
        "{cap}"
    );
}
