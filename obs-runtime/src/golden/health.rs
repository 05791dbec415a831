//! Business checks: "up" is not enough. Register checks that exercise what the service is for
//! (an order can be written and read back), run them from the health endpoint, and export each
//! result as `obs_business_check_up{check}` (1 or 0) so that alerts can fire on them.
//!
//! ```
//! obs_runtime::health::register("orders-roundtrip", || async {
//!     // write an order, read it back…
//!     Ok::<(), String>(())
//! });
//! # #[cfg(feature = "http")]
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let report = obs_runtime::health::run().await;
//! assert!(report.healthy());
//! # });
//! ```

use crate::names::{BUSINESS_CHECK_DURATION_SECONDS, BUSINESS_CHECK_UP};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

type CheckFn =
    Arc<dyn Fn() -> Pin<Box<dyn Future<Output = Result<(), String>> + Send>> + Send + Sync>;

static CHECKS: Mutex<Vec<(&'static str, CheckFn)>> = Mutex::new(Vec::new());

/// How long one check may take before it counts as failed.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(5);

/// Registers a check: an async function that succeeds when the service can do its job.
/// Registering a name again replaces the check.
pub fn register<F, Fut, E>(name: &'static str, check: F)
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: std::fmt::Display,
{
    let check: CheckFn = Arc::new(move || {
        let future = check();
        Box::pin(async move {
            future.await.map_err(|e| crate::pii::scrub::scrub(&e.to_string()).into_owned())
        })
    });
    let mut checks = CHECKS.lock().unwrap_or_else(PoisonError::into_inner);
    checks.retain(|(n, _)| *n != name);
    checks.push((name, check));
}

/// The result of one check.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct CheckResult {
    /// The check's name.
    pub name: &'static str,
    /// Whether it passed.
    pub ok: bool,
    /// Why it failed (scrubbed of personal data).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// How long it took, in milliseconds.
    pub duration_ms: f64,
}

/// The results of every check.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Report {
    /// Every check, in registration order.
    pub checks: Vec<CheckResult>,
}

impl Report {
    /// Whether every check passed.
    pub fn healthy(&self) -> bool {
        self.checks.iter().all(|c| c.ok)
    }

    /// The names of the checks that failed.
    pub fn failing(&self) -> Vec<&'static str> {
        self.checks.iter().filter(|c| !c.ok).map(|c| c.name).collect()
    }
}

/// Runs every registered check (concurrently, each within [`CHECK_TIMEOUT`]) and records
/// `obs_business_check_up` and `obs_business_check_duration_seconds`.
#[cfg(feature = "http")]
pub async fn run() -> Report {
    use crate::names::LABEL_CHECK;
    use std::time::Instant;
    let checks: Vec<(&'static str, CheckFn)> =
        CHECKS.lock().unwrap_or_else(PoisonError::into_inner).clone();
    let runs = checks.into_iter().map(|(name, check)| async move {
        let start = Instant::now();
        let outcome = match tokio::time::timeout(CHECK_TIMEOUT, check()).await {
            Ok(outcome) => outcome,
            Err(_) => Err(format!("timed out after {CHECK_TIMEOUT:?}")),
        };
        let elapsed = start.elapsed();
        metrics::gauge!(BUSINESS_CHECK_UP, LABEL_CHECK => name).set(if outcome.is_ok() { 1.0 } else { 0.0 });
        metrics::histogram!(BUSINESS_CHECK_DURATION_SECONDS, LABEL_CHECK => name).record(elapsed.as_secs_f64());
        if let Err(error) = &outcome {
            tracing::warn!(target: "obs::health", check = name, error = %error, "business check failed");
        }
        CheckResult { name, ok: outcome.is_ok(), error: outcome.err(), duration_ms: elapsed.as_secs_f64() * 1e3 }
    });
    Report { checks: futures_util::future::join_all(runs).await }
}

pub(crate) fn describe() {
    metrics::describe_gauge!(
        BUSINESS_CHECK_UP,
        "1 when the business check passed its last run, 0 when it failed"
    );
    metrics::describe_histogram!(
        BUSINESS_CHECK_DURATION_SECONDS,
        metrics::Unit::Seconds,
        "Duration of business checks"
    );
}
