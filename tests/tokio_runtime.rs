//! Tokio runtime saturation on `/metrics`: a service that calls `obs::init` inside its runtime
//! shows how busy the workers are and how many tasks wait in the global queue. Read from the
//! endpoint: idle, with both workers busy, with tasks queued behind them, and idle again.

mod common;

use common::{free_port, http_get, promtool_check_metrics, wait_until};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The value of the unlabelled series `name` in an exposition (with obs's `service` label).
fn gauge(exposition: &str, name: &str) -> Option<f64> {
    exposition.lines().find_map(|line| {
        let rest = line.strip_prefix(name)?;
        let value = match rest.chars().next()? {
            ' ' => &rest[1..],
            '{' => rest.split_once("} ")?.1,
            _ => return None,
        };
        value.trim().parse().ok()
    })
}

#[test]
fn the_runtime_s_saturation_is_on_metrics() {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let limits = obs::config::Limits {
        metrics_interval: Duration::from_millis(200),
        ..obs::config::Limits::default()
    };
    // `init` inside the runtime, as in `#[tokio::main]`.
    let telemetry = runtime.block_on(async {
        obs::TelemetryBuilder::new("saturation")
            .ignore_env()
            .traces_file(None::<&str>)
            .prometheus(Some(addr))
            .log_writer(std::io::sink)
            .limits(limits)
            .init()
            .unwrap()
    });

    // Idle.
    let idle = |exposition: &String| {
        gauge(exposition, "tokio_runtime_workers_busy_ratio").is_some_and(|ratio| ratio < 0.3)
    };
    let mut exposition = String::new();
    assert!(
        wait_until(Duration::from_secs(10), || {
            exposition = http_get(addr, "/metrics");
            idle(&exposition)
        }),
        "{exposition}"
    );
    assert_eq!(gauge(&exposition, "tokio_runtime_workers"), Some(2.0), "{exposition}");
    assert_eq!(gauge(&exposition, "tokio_runtime_global_queue_depth"), Some(0.0));
    promtool_check_metrics(&exposition).unwrap();

    // Busy: both workers run tasks that spin for half a millisecond and yield, back to back.
    let stop = Arc::new(AtomicBool::new(false));
    for _ in 0..2 {
        let stop = stop.clone();
        runtime.spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let until = Instant::now() + Duration::from_micros(500);
                while Instant::now() < until {
                    std::hint::spin_loop();
                }
                tokio::task::yield_now().await;
            }
        });
    }
    let busy = wait_until(Duration::from_secs(10), || {
        exposition = http_get(addr, "/metrics");
        gauge(&exposition, "tokio_runtime_workers_busy_ratio").is_some_and(|ratio| ratio > 0.8)
    });
    stop.store(true, Ordering::Relaxed);
    assert!(busy, "{exposition}");

    // Queued: both workers are held by tasks that never yield, and tasks spawned from outside
    // the runtime wait in its global queue. (tokio adds a poll's time to a worker's busy time
    // when the poll returns: a task that never yields shows in the queue depth, not yet there.)
    let hold = Arc::new(AtomicBool::new(false));
    for _ in 0..2 {
        let hold = hold.clone();
        runtime.spawn(async move {
            while !hold.load(Ordering::Relaxed) {
                std::hint::spin_loop();
            }
        });
    }
    std::thread::sleep(Duration::from_millis(100));
    for _ in 0..50 {
        runtime.spawn(async {});
    }
    let started = Instant::now();
    let queued = wait_until(Duration::from_secs(10), || {
        exposition = http_get(addr, "/metrics");
        gauge(&exposition, "tokio_runtime_global_queue_depth").is_some_and(|depth| depth >= 50.0)
            && gauge(&exposition, "tokio_runtime_alive_tasks").is_some_and(|alive| alive >= 52.0)
    });
    hold.store(true, Ordering::Relaxed);
    assert!(queued, "after {:?}:\n{exposition}", started.elapsed());

    // And back: the queue drains, the workers idle.
    assert!(
        wait_until(Duration::from_secs(10), || {
            exposition = http_get(addr, "/metrics");
            idle(&exposition) && gauge(&exposition, "tokio_runtime_global_queue_depth") == Some(0.0)
        }),
        "{exposition}"
    );
    telemetry.shutdown().unwrap();
    drop(runtime);
}
