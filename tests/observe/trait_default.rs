use crate::support::{block_on, calls};
use obs::observe;
use obs::testing::capture;

trait Describe {
    fn id(&self) -> u32;

    #[observe]
    fn describe(&self, prefix: &str) -> String {
        format!("{prefix}{}", self.id())
    }

    #[observe]
    async fn load(&self) -> u32 {
        tokio::task::yield_now().await;
        self.id()
    }
}

struct A;
struct B;
impl Describe for A {
    fn id(&self) -> u32 {
        1
    }
}
impl Describe for B {
    fn id(&self) -> u32 {
        2
    }
}

#[test]
fn default_bodies_in_traits_are_observed() {
    let (cap, (a, b, c)) = capture(|| (A.describe("a"), B.describe("b"), block_on(B.load())));
    assert_eq!((a.as_str(), b.as_str(), c), ("a1", "b2", 2));
    assert_eq!(calls(&cap, "describe"), [2, 0, 0, 0], "{cap}");
    assert_eq!(calls(&cap, "load"), [1, 0, 0, 0], "{cap}");
    cap.span("observe::trait_default::load");
    let spans = cap.spans_named("observe::trait_default::describe");
    assert_eq!(spans.len(), 2, "{cap}");
    spans[1].assert_attribute("prefix", "b");
}
