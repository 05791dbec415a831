use crate::support::{block_on, calls};
use obs::observe;
use obs::testing::capture;
use std::sync::Arc;

#[derive(Debug)]
struct Counter {
    n: u64,
}

impl Counter {
    #[observe]
    fn get(&self) -> u64 {
        self.n
    }

    #[observe]
    fn bump(&mut self, by: u64) -> u64 {
        self.n += by;
        self.n
    }

    #[observe]
    fn into_inner(self) -> u64 {
        self.n
    }

    #[observe]
    fn shared(self: Arc<Self>) -> u64 {
        self.n * 10
    }

    #[observe]
    async fn get_later(&self) -> u64 {
        tokio::task::yield_now().await;
        self.n
    }

    #[observe]
    fn new(n: u64) -> Self {
        Self { n }
    }
}

#[test]
fn every_receiver_kind_is_observed_and_self_is_recorded() {
    let (cap, results) = capture(|| {
        let mut c = Counter::new(1);
        let a = c.get();
        let b = c.bump(2);
        let d = block_on(c.get_later());
        let e = Arc::new(Counter { n: 4 }).shared();
        (a, b, d, e, c.into_inner())
    });
    assert_eq!(results, (1, 3, 3, 40, 3));
    cap.span("observe::methods::get").assert_attribute("self", "Counter { n: 1 }");
    cap.span("observe::methods::bump").assert_attribute("by", 2);
    cap.span("observe::methods::shared").assert_attribute("self", "Counter { n: 4 }");
    cap.span("observe::methods::into_inner").assert_attribute("self", "Counter { n: 3 }");
    for f in ["get", "bump", "into_inner", "shared", "get_later", "new"] {
        cap.span(&format!("observe::methods::{f}"));
        assert_eq!(calls(&cap, f), [1, 0, 0, 0], "{f}: {cap}");
    }
}

struct NoDebug;

impl NoDebug {
    #[observe]
    fn value(&self) -> u8 {
        7
    }
}

#[test]
fn a_self_without_debug_is_left_empty() {
    let (cap, v) = capture(|| NoDebug.value());
    assert_eq!(v, 7);
    assert!(cap.span("observe::methods::value").attribute("self").is_none(), "{cap}");
}
