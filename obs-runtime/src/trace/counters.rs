//! What the trace pipeline did: traces by decision, spans exported and lost by reason, in
//! striped counters (traces end on every thread); published as metrics (see [`crate::names`])
//! and read by [`crate::Telemetry::stats`].

use super::sampling::{DropReason, TraceDecision};
use crate::hotpath::striped::Striped;

/// The pipeline's counters.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    traces_kept_sampled: Striped,
    traces_kept_parent: Striped,
    traces_kept_failed: Striped,
    traces_kept_slow: Striped,
    traces_dropped: Striped,
    traces_overflow: Striped,
    spans_trace_too_long: Striped,
    spans_too_many_traces: Striped,
    spans_queue_full: Striped,
    spans_export_failed: Striped,
    spans_exported: Striped,
    export_failures: Striped,
}

impl Counters {
    pub(crate) fn trace_finished(&self, decision: TraceDecision) {
        match decision {
            TraceDecision::KeptSampled => &self.traces_kept_sampled,
            TraceDecision::KeptParent => &self.traces_kept_parent,
            TraceDecision::KeptFailed => &self.traces_kept_failed,
            TraceDecision::KeptSlow => &self.traces_kept_slow,
            TraceDecision::Dropped => &self.traces_dropped,
            TraceDecision::DroppedOverflow => &self.traces_overflow,
        }
        .add(1);
    }

    pub(crate) fn span_dropped(&self, reason: DropReason) {
        match reason {
            DropReason::TraceTooLong => &self.spans_trace_too_long,
            DropReason::TooManyTraces => &self.spans_too_many_traces,
        }
        .add(1);
    }

    /// A span could not be queued for export: the queue was full (or stopped).
    pub(crate) fn queue_full(&self) {
        self.spans_queue_full.add(1);
    }

    /// An export request succeeded with `spans`.
    pub(crate) fn exported(&self, spans: u64) {
        self.spans_exported.add(spans);
    }

    /// An export request failed, losing `spans`; the number of failures before this one.
    pub(crate) fn export_failed(&self, spans: u64) -> u64 {
        self.spans_export_failed.add(spans);
        let before = self.export_failures.get();
        self.export_failures.add(1);
        before
    }

    pub(crate) fn stats(&self) -> PipelineStats {
        PipelineStats {
            traces_kept_sampled: self.traces_kept_sampled.get(),
            traces_kept_parent: self.traces_kept_parent.get(),
            traces_kept_failed: self.traces_kept_failed.get(),
            traces_kept_slow: self.traces_kept_slow.get(),
            traces_dropped: self.traces_dropped.get(),
            traces_overflow: self.traces_overflow.get(),
            spans_trace_too_long: self.spans_trace_too_long.get(),
            spans_too_many_traces: self.spans_too_many_traces.get(),
            spans_queue_full: self.spans_queue_full.get(),
            spans_export_failed: self.spans_export_failed.get(),
            spans_exported: self.spans_exported.get(),
            export_failures: self.export_failures.get(),
        }
    }

    /// Publishes the counters through the `metrics` facade (absolute values: idempotent).
    pub(crate) fn publish_metrics(&self) {
        use crate::names::*;
        let stats = self.stats();
        for (decision, n) in [
            ("kept_sampled", stats.traces_kept_sampled),
            ("kept_parent", stats.traces_kept_parent),
            ("kept_failed", stats.traces_kept_failed),
            ("kept_slow", stats.traces_kept_slow),
            ("dropped", stats.traces_dropped),
            ("dropped_overflow", stats.traces_overflow),
        ] {
            ::metrics::counter!(OBS_TRACES_TOTAL, "decision" => decision).absolute(n);
        }
        for (reason, n) in [
            ("trace_too_long", stats.spans_trace_too_long),
            ("too_many_traces", stats.spans_too_many_traces),
            ("export_queue_full", stats.spans_queue_full),
            ("export_failed", stats.spans_export_failed),
        ] {
            ::metrics::counter!(OBS_SPANS_DROPPED_TOTAL, "reason" => reason).absolute(n);
        }
        ::metrics::counter!(OBS_SPANS_EXPORTED_TOTAL).absolute(stats.spans_exported);
        ::metrics::counter!(OBS_EXPORT_FAILURES_TOTAL).absolute(stats.export_failures);
        ::metrics::gauge!(OBS_TRACES_BUFFERED).set(super::local_trace::traces_buffering() as f64);
    }

    pub(crate) fn describe_metrics() {
        use crate::names::*;
        use ::metrics::{Unit, describe_counter, describe_gauge};
        describe_counter!(OBS_TRACES_TOTAL, Unit::Count, "Traces by sampling decision");
        describe_counter!(
            OBS_SPANS_DROPPED_TOTAL,
            Unit::Count,
            "Spans dropped before export, by reason"
        );
        describe_counter!(OBS_SPANS_EXPORTED_TOTAL, Unit::Count, "Spans exported");
        describe_counter!(OBS_EXPORT_FAILURES_TOTAL, Unit::Count, "Failed span export requests");
        describe_gauge!(
            OBS_TRACES_BUFFERED,
            Unit::Count,
            "Undecided traces buffered by the tail sampler"
        );
    }
}

/// What the trace pipeline did since `init`: see [`crate::Telemetry::stats`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PipelineStats {
    /// Traces exported because the sampler chose them (ratio or always on).
    pub traces_kept_sampled: u64,
    /// Traces exported because their remote parent was sampled.
    pub traces_kept_parent: u64,
    /// Traces exported because a span in them failed.
    pub traces_kept_failed: u64,
    /// Traces exported because a span in them was slower than `keep_traces_slower_than`.
    pub traces_kept_slow: u64,
    /// Traces not exported.
    pub traces_dropped: u64,
    /// Traces not buffered because too many were already buffering.
    pub traces_overflow: u64,
    /// Spans dropped because their trace held more than the per-trace cap.
    pub spans_trace_too_long: u64,
    /// Spans dropped because too many traces were buffering to hold their trace.
    pub spans_too_many_traces: u64,
    /// Spans dropped because the export queue was full.
    pub spans_queue_full: u64,
    /// Spans lost in failed export requests.
    pub spans_export_failed: u64,
    /// Spans exported.
    pub spans_exported: u64,
    /// Export requests that failed.
    pub export_failures: u64,
}
