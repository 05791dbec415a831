//! Every metric and label name obs emits, side by side, so that dashboards, alert rules and
//! code agree on one spelling. These names are a stable interface: renaming one breaks users'
//! dashboards and alerts.

/// Counter of finished calls of an `#[observe]`d function, labelled `function`, `module`, `result`.
pub const FUNCTION_CALLS_TOTAL: &str = "function_calls_total";
/// Histogram of call latency in seconds, labelled `function`, `module`.
pub const FUNCTION_CALLS_DURATION_SECONDS: &str = "function_calls_duration_seconds";
/// Gauge of calls in flight, labelled `function`, `module`.
pub const FUNCTION_CALLS_CONCURRENT: &str = "function_calls_concurrent";

/// Label: the function's name as written (`place_order`).
pub const LABEL_FUNCTION: &str = "function";
/// Label: the function's module path (`shop::orders`).
pub const LABEL_MODULE: &str = "module";
/// Label: how the call ended: `ok`, `error`, `panic` or `cancelled`.
pub const LABEL_RESULT: &str = "result";

/// Gauge: CPU utilisation of the process, 0 to 1 across all CPUs.
pub const PROCESS_CPU_UTILIZATION_RATIO: &str = "process_cpu_utilization_ratio";
/// Gauge: share of a filesystem's space in use (0 to 1), labelled `mountpoint`.
pub const SYSTEM_FILESYSTEM_UTILIZATION_RATIO: &str = "system_filesystem_utilization_ratio";
/// Label: a filesystem's mount point.
pub const LABEL_MOUNTPOINT: &str = "mountpoint";

/// Counter: traces by sampling decision, labelled `decision` (`kept_sampled`, `kept_parent`,
/// `kept_failed`, `dropped`, `dropped_overflow`).
pub const OBS_TRACES_TOTAL: &str = "obs_traces_total";
/// Counter: spans dropped before export, labelled `reason` (`trace_too_long`,
/// `export_queue_full`, `export_failed`).
pub const OBS_SPANS_DROPPED_TOTAL: &str = "obs_spans_dropped_total";
/// Counter: spans exported.
pub const OBS_SPANS_EXPORTED_TOTAL: &str = "obs_spans_exported_total";
/// Counter: export requests that failed (collector down, timeout).
pub const OBS_EXPORT_FAILURES_TOTAL: &str = "obs_export_failures_total";
/// Gauge: undecided traces buffered by the tail sampler.
pub const OBS_TRACES_BUFFERED: &str = "obs_traces_buffered";
/// Counter: log lines dropped because stdout could not keep up.
pub const OBS_LOG_LINES_DROPPED_TOTAL: &str = "obs_log_lines_dropped_total";
