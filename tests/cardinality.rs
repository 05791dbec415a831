//! The runtime guard on series: past its limit of label sets, a metric's new series go to one
//! overflow series (`otel_metric_overflow="true"`), counted; read from the Prometheus endpoint.

#[path = "common/mod.rs"]
mod common;

use std::net::SocketAddr;
use std::time::Duration;

#[test]
fn a_metric_past_its_limit_goes_to_one_overflow_series_and_is_counted() {
    let metrics = SocketAddr::from(([127, 0, 0, 1], common::free_port()));
    let telemetry = obs::TelemetryBuilder::new("cardinality")
        .ignore_env()
        .traces_file(None::<&str>)
        .prometheus(Some(metrics))
        .log_writer(std::io::sink)
        .limits(obs::config::Limits {
            max_series_per_metric: 50,
            metrics_interval: Duration::from_millis(50),
            ..Default::default()
        })
        .init()
        .unwrap();
    metrics::describe_counter!("logins_total", "Logins, by user (a label it should not have)");
    metrics::describe_counter!("unrelated_total", "Something else");
    // A label filled from requests: 80 distinct values, 3 increments each.
    for _ in 0..3 {
        for user in 0..80 {
            metrics::counter!("logins_total", "user" => format!("u-{user}")).increment(1);
        }
    }
    metrics::counter!("unrelated_total", "kind" => "a").increment(1);
    assert!(telemetry.flush());
    let text = common::http_get(metrics, "/metrics");
    let series: Vec<&str> = text.lines().filter(|l| l.starts_with("logins_total{")).collect();
    assert_eq!(series.len(), 51, "50 series and the overflow series:\n{}", series.join("\n"));
    let overflow = series.iter().find(|l| l.contains("otel_metric_overflow=\"true\"")).unwrap();
    assert!(overflow.ends_with(" 90"), "30 label sets × 3 increments went there: {overflow}");
    assert!(series.iter().any(|l| l.contains("user=\"u-0\"") && l.ends_with(" 3")));
    let counted = text
        .lines()
        .find(|l| {
            l.starts_with("obs_metric_overflow_total{") && l.contains("metric=\"logins_total\"")
        })
        .unwrap_or_else(|| panic!("the overflow is counted:\n{text}"));
    assert!(counted.ends_with(" 90"), "{counted}");
    assert!(
        text.lines().any(|l| l.starts_with("unrelated_total{")),
        "other metrics are unaffected"
    );
    common::promtool_check_metrics(&text).unwrap();
}
