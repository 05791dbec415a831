//! What the running build is, where a user reads it: `obs_build_info{version, commit,
//! rust_version}` on `/metrics`, and `service.version` and `vcs.ref.head.revision` in the
//! resource of the trace file's spans.

#[path = "common/mod.rs"]
mod common;

use common::{free_port, http_get};
use std::net::SocketAddr;

#[obs::observe(err)]
fn deploy_check() -> Result<(), String> {
    Err("kept, so that the trace file has a span".into())
}

#[test]
fn the_build_is_in_the_metrics_and_the_resource() {
    let dir = tempfile::tempdir().unwrap();
    let traces = dir.path().join("traces.jsonl");
    let metrics = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let info = obs::build_info!().commit("4f2ad4d");
    assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
    let rust_version = info.rust_version.clone();
    assert!(rust_version.starts_with("1."), "{rust_version}");
    let telemetry = obs::TelemetryBuilder::new("build")
        .ignore_env()
        .build_info(info)
        .traces_file(Some(&traces))
        .prometheus(Some(metrics))
        .log_writer(std::io::sink)
        .init()
        .unwrap();
    let _ = deploy_check();
    assert!(telemetry.flush());

    let text = http_get(metrics, "/metrics");
    let line = text
        .lines()
        .find(|l| l.starts_with("obs_build_info{"))
        .unwrap_or_else(|| panic!("no obs_build_info:\n{text}"));
    for label in [
        format!("version=\"{}\"", env!("CARGO_PKG_VERSION")),
        "commit=\"4f2ad4d\"".to_owned(),
        format!("rust_version=\"{rust_version}\""),
        "service=\"build\"".to_owned(),
    ] {
        assert!(line.contains(&label), "{label} in {line}");
    }
    assert!(line.ends_with(" 1"), "{line}");
    common::promtool_check_metrics(&text).unwrap();

    let file = std::fs::read_to_string(&traces).unwrap();
    let request: serde_json::Value = serde_json::from_str(file.lines().next().unwrap()).unwrap();
    let resource = &request["resourceSpans"][0]["resource"];
    assert_eq!(
        common::attribute(resource, "service.version"),
        Some(env!("CARGO_PKG_VERSION").into())
    );
    assert_eq!(common::attribute(resource, "vcs.ref.head.revision"), Some("4f2ad4d".into()));
    let _ = telemetry.shutdown();
}
