//! `TelemetryBuilder::tokio_runtime(handle)`: a program that calls `obs::init` before it builds
//! its runtime names the runtime to watch; its gauges are on `/metrics`. (Its own binary: `init`
//! runs once per process, and `tests/tokio_runtime.rs` calls it inside a runtime.)

mod common;

use common::{free_port, http_get, wait_until};
use std::net::SocketAddr;
use std::time::Duration;

#[test]
fn the_runtime_named_to_the_builder_is_watched() {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(3).enable_all().build().unwrap();
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let limits = obs::config::Limits {
        metrics_interval: Duration::from_millis(200),
        ..obs::config::Limits::default()
    };
    // Outside any runtime: without the handle, there is nothing to watch.
    let telemetry = obs::TelemetryBuilder::new("named-runtime")
        .ignore_env()
        .traces_file(None::<&str>)
        .prometheus(Some(addr))
        .log_writer(std::io::sink)
        .limits(limits)
        .tokio_runtime(runtime.handle().clone())
        .init()
        .unwrap();
    let mut exposition = String::new();
    let watched = wait_until(Duration::from_secs(10), || {
        exposition = http_get(addr, "/metrics");
        exposition.lines().any(|l| l.starts_with("tokio_runtime_workers{") && l.ends_with(" 3"))
    });
    assert!(watched, "{exposition}");
    telemetry.shutdown().unwrap();
}
