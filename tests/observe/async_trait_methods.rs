use crate::support::*;
use async_trait::async_trait;
use obs::observe;
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
    let (cap, (a, b)) = capture_async(async { (store.get(1).await, store.get(0).await) });
    assert_eq!(a.as_deref(), Ok("v1"));
    assert!(b.is_err());
    let m = metrics("observe::async_trait_methods::get");
    assert_eq!((m.calls, m.in_flight), ([1, 1, 0, 0], 0));
    assert!(m.sum_seconds >= 0.010, "both sleeps are inside the measured call: {m:?}");
    let spans: Vec<_> = cap.spans().into_iter().filter(|s| s.name.ends_with("::get")).collect();
    assert_eq!(spans.len(), 2);
    assert_eq!(spans[0].fields["key"], Value::I64(1));
    assert!(
        cap.events().iter().all(|e| e.span.as_deref() == Some("observe::async_trait_methods::get"))
    );
}
