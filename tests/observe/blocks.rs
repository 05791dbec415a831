//! `#[observe]` on `impl` blocks and traits: every method with a body observed with the block's
//! arguments, a method's own `#[observe(...)]` over them, `#[observe(skip)]` left out, and the
//! `function` label naming whose method it is.

use crate::support::*;
use obs::observe;

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
    enable_metrics();
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

    // The block's `err` and `level`: the fourth `add` failed, at DEBUG.
    let adds: Vec<_> =
        cap.spans().into_iter().filter(|s| s.name == "observe::blocks::Cart::add").collect();
    assert_eq!(adds.len(), 4);
    assert_eq!(adds[3].fields["otel.status_code"], Value::Str("ERROR".into()));
    assert_eq!(adds[3].level, "DEBUG");
    assert_eq!(calls("observe::blocks::Cart::add"), [3, 1, 0, 0]);
    let snapshot = metrics("observe::blocks::Cart::add");
    assert_eq!((snapshot.function, snapshot.module), ("Cart::add", "observe::blocks"));

    // A method's own arguments over the block's: its name, its skip.
    let total = cap.span("cart.total");
    assert!(!total.fields.contains_key("self"));
    assert_eq!(metrics("cart.total").function, "Cart::total");

    // Left alone: `#[observe(skip)]`, a `const fn`.
    assert!(cap.spans().iter().all(|s| !s.name.contains("len") && !s.name.contains("limit")));
    assert!(obs::metrics::function("observe::blocks::Cart::len").is_none());

    // An `async fn` of the block, a trait impl's method, a trait's default body with `ret`.
    assert_eq!(calls("observe::blocks::Cart::checkout"), [1, 0, 0, 0]);
    assert_eq!(
        metrics("observe::blocks::<Cart as Priced>::cents").function,
        "<Cart as Priced>::cents"
    );
    assert_eq!(calls("observe::blocks::Shelf::describe"), [1, 0, 0, 0]);
    assert!(
        cap.events().iter().any(|e| e.fields.get("return") == Some(&Value::Str("3 items".into())))
    );
    // A trait method without a default body is not observed (its implementation is not in
    // the block).
    assert!(obs::metrics::function("observe::blocks::Shelf::size").is_none());
}
