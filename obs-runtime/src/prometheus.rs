//! The Prometheus endpoint: `metrics-exporter-prometheus` serving `/metrics`, with explicit
//! histogram buckets (without them it would render summaries) and HELP text for every series.

use crate::error::InitError;
use crate::metrics::DURATION_BUCKETS;
use crate::names;
use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder};
use std::net::SocketAddr;

/// OpenTelemetry's recommended buckets for request durations, in seconds.
pub const HTTP_DURATION_BUCKETS: [f64; 14] =
    [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0];

/// Installs the global recorder and serves `/metrics` on `addr`. The exporter's own thread
/// runs its upkeep, so histogram samples do not pile up.
pub(crate) fn install(addr: SocketAddr, service: &str) -> Result<(), InitError> {
    let endpoint_error = |reason: String| InitError::MetricsEndpoint { addr, reason };
    // Binding first gives a clear error for a taken port, before anything is installed.
    std::net::TcpListener::bind(addr).map_err(|e| endpoint_error(e.to_string()))?;
    // Full names are matched before suffixes (the exporter sorts its matchers).
    let buckets = [
        (Matcher::Full(names::FUNCTION_CALLS_DURATION_SECONDS.into()), &DURATION_BUCKETS[..]),
        (Matcher::Full(names::OPERATION_DURATION_SECONDS.into()), &DURATION_BUCKETS[..]),
        (Matcher::Suffix("_seconds".into()), &HTTP_DURATION_BUCKETS[..]),
    ];
    // Every series carries `service`: the alert rules group by it, and Alertmanager inhibits by it.
    let mut builder =
        PrometheusBuilder::new().with_http_listener(addr).add_global_label("service", service);
    for (matcher, values) in buckets {
        builder = builder
            .set_buckets_for_metric(matcher, values)
            .map_err(|e| endpoint_error(e.to_string()))?;
    }
    builder.install().map_err(|e| match e {
        BuildError::FailedToSetGlobalRecorder(_) => InitError::RecorderAlreadySet,
        other => endpoint_error(other.to_string()),
    })
}
