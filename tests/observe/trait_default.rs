use crate::support::*;
use obs::observe;

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
    enable_metrics();
    let (cap, (a, b, c)) = capture(|| (A.describe("a"), B.describe("b"), block_on(B.load())));
    assert_eq!((a.as_str(), b.as_str(), c), ("a1", "b2", 2));
    assert_eq!(calls("observe::trait_default::describe"), [2, 0, 0, 0]);
    assert_eq!(calls("observe::trait_default::load"), [1, 0, 0, 0]);
    let spans: Vec<_> =
        cap.spans().into_iter().filter(|s| s.name == "observe::trait_default::describe").collect();
    assert_eq!(spans[1].fields["prefix"], Value::Str("b".into()));
}
