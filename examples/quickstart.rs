//! `#[observe]` in one screen: spans on stdout, and each function's calls, results and latency
//! read back from obs's own counters.
//!
//! Run it with `cargo run --example quickstart`.

use obs::observe;
use std::time::Duration;

#[derive(Debug)]
struct Cart {
    items: Vec<u32>,
}

#[observe(err)]
fn price(cart: &Cart) -> Result<u32, String> {
    if cart.items.is_empty() {
        return Err("empty cart".into());
    }
    Ok(cart.items.iter().sum())
}

#[observe(skip(cart), fields(items = cart.items.len()))]
async fn checkout(order_id: u64, cart: Cart) -> Result<u32, String> {
    tokio::time::sleep(Duration::from_millis(order_id % 5)).await;
    price(&cart)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    tracing_subscriber::fmt().with_target(false).compact().init();
    obs::metrics::enable();

    for order_id in 0..20 {
        let items = if order_id % 7 == 0 { vec![] } else { vec![1, 2, 3] };
        let _ = checkout(order_id, Cart { items }).await;
    }

    println!("\n{:<28} {:>5} {:>6} {:>9} {:>9}", "function", "calls", "errors", "p50 ms", "p99 ms");
    for f in obs::metrics::snapshot() {
        let ms = |q| f.quantile(q).map_or(0.0, |s| s * 1e3);
        println!(
            "{:<28} {:>5} {:>6} {:>9.3} {:>9.3}",
            f.name,
            f.total_calls(),
            f.calls(obs::Outcome::Error),
            ms(0.5),
            ms(0.99)
        );
    }
}
