//! Every metric and label name obs emits, side by side, so that dashboards, alert rules and
//! code agree on one spelling. These names are a stable interface: renaming one breaks users'
//! dashboards and alerts.

/// Counter of finished calls of an `#[observe]`d function, labelled `function`, `module`, `result`.
pub const FUNCTION_CALLS_TOTAL: &str = "function_calls_total";
/// Histogram of call latency in seconds, labelled `function`, `module`.
pub const FUNCTION_CALLS_DURATION_SECONDS: &str = "function_calls_duration_seconds";
/// Gauge of calls in flight, labelled `function`, `module`.
pub const FUNCTION_CALLS_CONCURRENT: &str = "function_calls_concurrent";

/// Histogram: latency of a `#[golden_signals]` operation, labelled `operation`, `kind`.
pub const OPERATION_DURATION_SECONDS: &str = "obs_operation_duration_seconds";
/// Counter: failed calls of an operation, labelled `operation`, `kind`, `error_type`.
pub const OPERATION_ERRORS_TOTAL: &str = "obs_operation_errors_total";
/// Gauge: calls of an operation in flight, labelled `operation`, `kind`.
pub const OPERATION_ACTIVE: &str = "obs_operation_active";
/// Counter: business events, labelled `operation`, `event`.
pub const BUSINESS_EVENTS_TOTAL: &str = "obs_business_events_total";
/// Gauge: 1 when a business check passed its last run, 0 when it failed; labelled `check`.
pub const BUSINESS_CHECK_UP: &str = "obs_business_check_up";
/// Histogram: duration of business checks, labelled `check`.
pub const BUSINESS_CHECK_DURATION_SECONDS: &str = "obs_business_check_duration_seconds";

/// Histogram: duration of HTTP server requests (OpenTelemetry `http.server.request.duration`).
pub const HTTP_SERVER_REQUEST_DURATION_SECONDS: &str = "http_server_request_duration_seconds";
/// Gauge: HTTP server requests in flight (OpenTelemetry `http.server.active_requests`).
pub const HTTP_SERVER_ACTIVE_REQUESTS: &str = "http_server_active_requests";
/// Histogram: duration of HTTP client requests (OpenTelemetry `http.client.request.duration`).
pub const HTTP_CLIENT_REQUEST_DURATION_SECONDS: &str = "http_client_request_duration_seconds";

/// Label: a golden-signal operation's name.
pub const LABEL_OPERATION: &str = "operation";
/// Label: an operation's kind (`server`, `consumer`, `job`, `internal`).
pub const LABEL_KIND: &str = "kind";
/// Label: why a call failed (OpenTelemetry `error.type`).
pub const LABEL_ERROR_TYPE: &str = "error_type";
/// Label: a business event's name.
pub const LABEL_EVENT: &str = "event";
/// Label: a business check's name.
pub const LABEL_CHECK: &str = "check";

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
/// `kept_failed`, `kept_slow`, `dropped`, `dropped_overflow`).
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
/// Counter: user and request ids refused because they looked like personal data, labelled
/// `field` (`user_id`, `request_id`).
pub const OBS_PII_REFUSED_TOTAL: &str = "obs_pii_refused_total";
/// Label: which value was refused.
pub const LABEL_FIELD: &str = "field";

/// Span attribute: why a call failed (OpenTelemetry `error.type`).
pub const ERROR_TYPE: &str = "error.type";
/// Span field: the span's status code (`ERROR`, `OK`), as `tracing-opentelemetry` names it.
pub const STATUS_CODE: &str = "otel.status_code";
/// Span field: the span's status message.
pub const STATUS_DESCRIPTION: &str = "otel.status_description";
/// Span attribute: nanoseconds the span was being polled (an async observed function) or
/// entered (a `tracing` span), as `tracing-opentelemetry` names it.
pub const BUSY_NS: &str = "busy_ns";
/// Span attribute: nanoseconds of the span's duration it was not busy: waiting.
pub const IDLE_NS: &str = "idle_ns";

/// OpenTelemetry's recommended buckets for request durations, in seconds.
pub const HTTP_DURATION_BUCKETS: [f64; 14] =
    [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0];
/// The span attributes the labels of `http_server_request_duration_seconds` come from (a
/// label is its attribute's name with `_` for `.`).
pub const HTTP_SERVER_DURATION_ATTRIBUTES: [&str; 5] =
    ["http.request.method", "url.scheme", "http.route", "http.response.status_code", "error.type"];
/// The span attributes the labels of `http_client_request_duration_seconds` come from.
pub const HTTP_CLIENT_DURATION_ATTRIBUTES: [&str; 5] = [
    "http.request.method",
    "server.address",
    "server.port",
    "http.response.status_code",
    "error.type",
];
/// Counter: registrations of a series beyond its metric's limit of label sets, sent to the
/// overflow series `{otel_metric_overflow="true"}`; labelled `metric`.
pub const OBS_METRIC_OVERFLOW_TOTAL: &str = "obs_metric_overflow_total";
/// Gauge, always 1: the program's build, labelled `version`, `commit`, `rust_version`.
pub const OBS_BUILD_INFO: &str = "obs_build_info";
/// Resource attribute: the commit the program was built from (semantic conventions'
/// `vcs.ref.head.revision`).
pub const VCS_REF_HEAD_REVISION: &str = "vcs.ref.head.revision";
/// Counter: OTLP metric pushes that failed.
pub const OBS_METRIC_EXPORTS_FAILED_TOTAL: &str = "obs_metric_exports_failed_total";
/// Gauge: worker threads of the tokio runtime the service runs on.
pub const TOKIO_RUNTIME_WORKERS: &str = "tokio_runtime_workers";
/// Gauge: the share of the tokio workers' time spent running tasks (0 to 1) over the last interval.
pub const TOKIO_RUNTIME_WORKERS_BUSY_RATIO: &str = "tokio_runtime_workers_busy_ratio";
/// Gauge: tasks waiting in the tokio runtime's global (injection) queue.
pub const TOKIO_RUNTIME_GLOBAL_QUEUE_DEPTH: &str = "tokio_runtime_global_queue_depth";
/// Gauge: tasks alive in the tokio runtime.
pub const TOKIO_RUNTIME_ALIVE_TASKS: &str = "tokio_runtime_alive_tasks";
/// Gauge: blocking threads of the tokio runtime (built with `--cfg tokio_unstable` only).
pub const TOKIO_RUNTIME_BLOCKING_THREADS: &str = "tokio_runtime_blocking_threads";
