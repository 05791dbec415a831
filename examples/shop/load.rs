//! The load: customers browsing orders, opening order histories, and checking out, against the
//! storefront, for the time asked.

use indicatif::{ProgressBar, ProgressStyle};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// What the load did.
#[derive(Debug, Default)]
pub struct LoadResult {
    pub requests: u64,
    pub failures: u64,
    pub elapsed: Duration,
}

pub fn run(storefront: SocketAddr, duration: Duration) -> LoadResult {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let requests = Arc::new(AtomicU64::new(0));
    let failures = Arc::new(AtomicU64::new(0));
    let next_order = Arc::new(AtomicI64::new(1_000));
    let bar = ProgressBar::new(duration.as_millis() as u64);
    bar.set_style(
        ProgressStyle::with_template("load {bar:40} {elapsed_precise}/{duration_precise} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let started = Instant::now();
    runtime.block_on(async {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("an HTTP client");
        let workers: Vec<_> = (0..8u64)
            .map(|worker| {
                let (client, requests, failures, next_order) = (client.clone(), requests.clone(), failures.clone(), next_order.clone());
                tokio::spawn(async move {
                    let mut seed = worker * 7_919 + 1;
                    while started.elapsed() < duration {
                        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                        let pick = (seed >> 33) % 100;
                        let order = ((seed >> 20) % 200 + 1) as i64;
                        let response = match pick {
                            // Most visits read an order.
                            0..=69 => client.get(format!("http://{storefront}/orders/{order}")).send().await,
                            // Some check out: every order id ending in 7 (mod 20) fails to be stored.
                            70..=91 => {
                                let id = next_order.fetch_add(1, Ordering::Relaxed);
                                let body = serde_json::json!({"order_id": id, "customer_id": order % 50 + 1, "items": order % 5 + 1});
                                client.post(format!("http://{storefront}/checkout")).json(&body).send().await
                            }
                            // A few open the order history: the slow query.
                            _ => client.get(format!("http://{storefront}/orders/{order}/history")).send().await,
                        };
                        requests.fetch_add(1, Ordering::Relaxed);
                        if !response.is_ok_and(|r| r.status().is_success()) {
                            failures.fetch_add(1, Ordering::Relaxed);
                        }
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                })
            })
            .collect();
        while started.elapsed() < duration {
            bar.set_position(started.elapsed().as_millis() as u64);
            bar.set_message(format!("{} requests, {} failed", requests.load(Ordering::Relaxed), failures.load(Ordering::Relaxed)));
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        for worker in workers {
            let _ = worker.await;
        }
    });
    bar.finish_with_message(format!(
        "{} requests, {} failed",
        requests.load(Ordering::Relaxed),
        failures.load(Ordering::Relaxed)
    ));
    LoadResult {
        requests: requests.load(Ordering::Relaxed),
        failures: failures.load(Ordering::Relaxed),
        elapsed: started.elapsed(),
    }
}
