//! One observed call in progress: the guard the generated code holds while the body runs.

use crate::outcome::{Outcome, Verdict};
use crate::site::Site;
use crate::stats::Stats;
use crate::{clock, metrics};
use std::cell::Cell;
use std::fmt;
use tracing::Span;

/// Span fields the generated code declares (empty) so that the outcome can be recorded.
pub(crate) const STATUS_CODE: &str = "otel.status_code";
pub(crate) const STATUS_DESCRIPTION: &str = "otel.status_description";
pub(crate) const ERROR_TYPE: &str = "error.type";

/// An observed call. Created before the body runs; [`Call::complete`] records how it ended.
///
/// Dropped without `complete` (a panic unwinding through it, or a future dropped early) it
/// records `panic` or `cancelled`, so the in-flight gauge always returns to its value.
#[doc(hidden)]
pub struct Call {
    span: Span,
    business_event: bool,
    timing: Option<(&'static Stats, u64)>,
    completed: Cell<bool>,
}

impl Call {
    /// Starts a call of `site` inside `span`.
    #[inline]
    pub fn start(site: &'static Site, span: Span) -> Call {
        let timing = if metrics::is_collecting() {
            let stats = site.stats();
            stats.start();
            Some((stats, clock::now()))
        } else {
            None
        };
        let business_event = site.operation().is_some_and(|op| op.business_event.is_some());
        Call { span, business_event, timing, completed: Cell::new(false) }
    }

    /// The call's span.
    #[inline]
    pub fn span(&self) -> &Span {
        &self.span
    }

    /// Records how the call ended.
    #[inline]
    pub fn complete(&self, verdict: Verdict) {
        if !self.completed.replace(true) {
            self.finish(verdict);
        }
    }

    /// Records the error's `Display` as the span's status description (`err`).
    pub fn record_error(&self, error: &dyn fmt::Display) {
        self.span.record(STATUS_DESCRIPTION, tracing::field::display(error));
    }

    #[inline]
    fn finish(&self, verdict: Verdict) {
        if let Some((stats, start)) = self.timing {
            stats.finish(verdict.outcome, clock::elapsed_ns(start));
            if let Some(golden) = &stats.golden {
                golden_outcome(golden, verdict, self.business_event);
            }
        }
        if verdict.outcome.is_failure() {
            self.mark_failed(verdict);
        }
    }

    /// The call ends without a return value: unwinding, or a future dropped early.
    #[cold]
    #[inline(never)]
    fn abandon(&self) {
        let verdict = if std::thread::panicking() {
            Verdict { outcome: Outcome::Panic, error_type: Some("panic") }
        } else {
            Verdict { outcome: Outcome::Cancelled, error_type: None }
        };
        self.finish(verdict);
    }

    #[cold]
    #[inline(never)]
    fn mark_failed(&self, verdict: Verdict) {
        self.span.record(STATUS_CODE, "ERROR");
        if let Some(error_type) = verdict.error_type {
            self.span.record(ERROR_TYPE, error_type);
        }
    }
}

/// Golden-signal bookkeeping of an operation's call: failures by type, business events.
#[cold]
fn golden_outcome(golden: &crate::golden::GoldenCounters, verdict: Verdict, business_event: bool) {
    match verdict.outcome {
        Outcome::Ok if business_event => golden.succeeded(),
        Outcome::Error | Outcome::Panic => golden.failed(verdict.error_type.unwrap_or("error")),
        _ => {}
    }
}

impl Drop for Call {
    #[inline]
    fn drop(&mut self) {
        if !self.completed.get() {
            self.abandon();
        }
    }
}
