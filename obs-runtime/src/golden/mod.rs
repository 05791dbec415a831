//! Golden signals of entry points declared with `#[golden_signals]`: the operations, their
//! objectives, and the series the metrics bridge exports for them.
//!
//! Every `#[golden_signals]` function adds an [`Operation`] to a list gathered at link time, so
//! tools (the alert-rule generator, dashboards) see every declared operation and objective
//! without running any of them.
//!
//! Series (OpenTelemetry naming: a namespace, `.duration` in seconds, failures by `error.type`;
//! translated to Prometheus as dots to underscores with the unit appended):
//!
//! | signal | series | labels |
//! |---|---|---|
//! | latency, traffic | `obs_operation_duration_seconds` (histogram; traffic is the rate of its `_count`) | `operation`, `kind` |
//! | errors | `obs_operation_errors_total` (counter) | `operation`, `kind`, `error_type` (the error's type, `panic`, or an HTTP status such as `503`) |
//! | saturation | `obs_operation_active` (gauge), plus the process gauges | `operation`, `kind` |
//! | business | `obs_business_events_total` (counter, on success) | `operation`, `event` |
//!
//! Business checks (`GET /health`) are in [`health`].
//!
//! ```
//! for op in obs_runtime::golden::operations() {
//!     println!("{} ({}) objective: {:?}", op.name, op.kind, op.objective);
//! }
//! ```

pub mod health;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

/// A service level objective of an operation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Objective {
    /// Share of calls that must succeed, in percent (`99.9`).
    pub success_percent: f64,
    /// Latency target, in milliseconds, at [`Objective::percentile`].
    pub latency_ms: Option<u64>,
    /// The percentile the latency target applies to (`99` for p99).
    pub percentile: f64,
    /// The window the objective is measured over, in days.
    pub window_days: u32,
}

impl Objective {
    /// The error budget: the share of calls allowed to fail (0.001 for 99.9%).
    ///
    /// ```
    /// let o = obs_runtime::golden::Objective { success_percent: 99.9, latency_ms: None, percentile: 99.0, window_days: 30 };
    /// assert!((o.error_budget() - 0.001).abs() < 1e-12);
    /// ```
    pub fn error_budget(&self) -> f64 {
        (100.0 - self.success_percent) / 100.0
    }
}

/// An entry point declared with `#[golden_signals]`.
#[derive(Debug)]
pub struct Operation {
    /// The operation's name (`checkout`), the `operation` label.
    pub name: &'static str,
    /// `server` (a request handler), `consumer` (a queue consumer), `job`, or `internal`.
    pub kind: &'static str,
    /// The function's name.
    pub function: &'static str,
    /// The function's module.
    pub module: &'static str,
    /// Its objective, if declared.
    pub objective: Option<Objective>,
    /// The business event counted on each successful call, if declared.
    pub business_event: Option<&'static str>,
}

#[doc(hidden)]
#[linkme::distributed_slice]
pub static OPERATIONS: [Operation];

/// Every operation declared with `#[golden_signals]` in the program, called or not, in link
/// order (which varies between builds: sort them for stable output).
pub fn operations() -> &'static [Operation] {
    &OPERATIONS
}

/// The golden-signal counters of one operation, beside its call statistics.
#[derive(Default)]
pub(crate) struct GoldenCounters {
    pub(crate) business_events: AtomicU64,
    /// Failures by `error.type`; written only when a call fails.
    pub(crate) errors: Mutex<Vec<(&'static str, u64)>>,
}

impl GoldenCounters {
    pub(crate) fn failed(&self, error_type: &'static str) {
        let mut errors = self.errors.lock().unwrap_or_else(PoisonError::into_inner);
        match errors.iter_mut().find(|(t, _)| *t == error_type) {
            Some((_, n)) => *n += 1,
            None => errors.push((error_type, 1)),
        }
    }

    pub(crate) fn business_event(&self) {
        self.business_events.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn errors(&self) -> Vec<(&'static str, u64)> {
        self.errors.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}
