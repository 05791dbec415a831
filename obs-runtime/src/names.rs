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
