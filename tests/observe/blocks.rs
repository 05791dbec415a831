//! `#[observe]` on `impl` blocks and traits: every method with a body observed with the block's
//! arguments, a method's own `#[observe(...)]` over them, `#[observe(skip)]` left out, and the
//! `function` label naming whose method it is.

use crate::support::{block_on, calls, tracing_spans};
use obs::observe;
use obs::testing::capture;
use opentelemetry::Value;

#[derive(Debug)]
struct Cart {
    items: Vec<u32>,
}

#[observe(err, level = "debug")]
impl Cart {
    const LIMIT: usize = 3;

    fn new() -> Self {
        Cart { items: Vec::new() }
    }

    fn add(&mut self, item: u32) -> Result<usize, String> {
        if self.items.len() >= Self::LIMIT {
            return Err(format!("the cart holds {} items at most", Self::LIMIT));
        }
        self.items.push(item);
        Ok(self.items.len())
    }

    #[observe(skip(self), name = "cart.total")]
    fn total(&self) -> u32 {
        self.items.iter().sum()
    }

    #[observe(skip)]
    fn len(&self) -> usize {
        self.items.len()
    }

    const fn limit() -> usize {
        Self::LIMIT
    }

    async fn checkout(self) -> Result<u32, String> {
        tokio::task::yield_now().await;
        Ok(self.items.iter().sum())
    }
}

trait Priced {
    fn cents(&self) -> u64;
}

#[observe]
impl Priced for Cart {
    fn cents(&self) -> u64 {
        self.items.iter().map(|&i| u64::from(i) * 100).sum()
    }
}

#[observe(ret)]
trait Shelf {
    fn size(&self) -> usize;

    fn describe(&self) -> String {
        format!("{} items", self.size())
    }
}

impl Shelf for Cart {
    fn size(&self) -> usize {
        self.items.len()
    }
}

#[test]
fn every_method_of_a_block_is_observed_with_the_blocks_arguments() {
    let (cap, (added, total, len, cents, described, checkout)) = capture(|| {
        let mut cart = Cart::new();
        let added: Vec<_> = (1..=4).map(|i| cart.add(i)).collect();
        let total = cart.total();
        let len = cart.len();
        let cents = cart.cents();
        let described = cart.describe();
        (added, total, len, cents, described, block_on(cart.checkout()))
    });
    assert_eq!(added[3], Err("the cart holds 3 items at most".into()));
    assert_eq!((total, len, cents, Cart::limit()), (6, 3, 600, 3));
    assert_eq!((described.as_str(), checkout), ("3 items", Ok(6)));

    // The block's `err`: the fourth `add` failed (its `level`: see the next test).
    let adds = cap.spans_named("observe::blocks::Cart::add");
    assert_eq!(adds.len(), 4, "{cap}");
    assert!(adds[3].is_error(), "{cap}");
    assert_eq!(adds[3].status_description(), Some("the cart holds 3 items at most"), "{cap}");
    assert_eq!(calls(&cap, "Cart::add"), [3, 1, 0, 0], "{cap}");
    cap.assert_counter(
        "function_calls_total",
        &[("function", "Cart::add"), ("module", "observe::blocks")],
        4,
    );

    // A method's own arguments over the block's: its name, its skip.
    let total = cap.span("cart.total");
    assert_eq!(total.name(), "cart.total");
    assert!(total.attribute("self").is_none(), "{cap}");
    cap.assert_counter(
        "function_calls_total",
        &[("function", "Cart::total"), ("module", "observe::blocks")],
        1,
    );

    // Left alone: `#[observe(skip)]`, a `const fn`.
    assert!(cap.spans().iter().all(|s| !s.name().contains("len") && !s.name().contains("limit")));
    let functions: Vec<_> = cap.metrics().iter().filter_map(|m| m.labels.get("function")).collect();
    assert!(functions.iter().all(|f| !f.contains("len") && !f.contains("limit")), "{cap}");

    // An `async fn` of the block, a trait impl's method, a trait's default body with `ret`.
    assert_eq!(calls(&cap, "Cart::checkout"), [1, 0, 0, 0], "{cap}");
    cap.span("observe::blocks::<Cart as Priced>::cents");
    cap.assert_counter(
        "function_calls_total",
        &[("function", "<Cart as Priced>::cents"), ("module", "observe::blocks")],
        1,
    );
    let describe = cap.span("observe::blocks::Shelf::describe");
    assert_eq!(calls(&cap, "Shelf::describe"), [1, 0, 0, 0], "{cap}");
    assert!(
        describe.events().iter().any(|e| e.attribute("return") == Some(&Value::from("3 items"))),
        "{cap}"
    );
    // A trait method without a default body is not observed (its implementation is not in
    // the block).
    assert!(cap.spans_named("size").is_empty(), "{cap}");
    assert!(functions.iter().all(|f| !f.contains("size")), "{cap}");
}

// A span's `tracing` level is not exported: checked through a `tracing` subscriber.
#[test]
fn the_blocks_level_is_its_methods_level() {
    let (spans, added) = tracing_spans(|| {
        let mut cart = Cart::new();
        (1..=4).map(|i| cart.add(i)).collect::<Vec<_>>()
    });
    assert!(added[3].is_err());
    let adds = spans.named("observe::blocks::Cart::add");
    assert_eq!(adds.len(), 4);
    assert_eq!(adds[3].level, "DEBUG");
}
