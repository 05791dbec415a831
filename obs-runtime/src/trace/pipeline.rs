//! The trace pipeline the layer feeds: the sampling policy, the export queue, and the counters
//! of what was kept and dropped (published as metrics, see [`crate::names`]).

use super::export::ExportQueue;
use super::sampling::{LocalTrace, Origin, Policy};
use super::span::SpanRecord;
use crate::stats::Striped;
use opentelemetry::trace::{SpanId, TraceId};
use std::sync::Arc;

/// What the trace pipeline did, since the process started.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) traces_kept_sampled: Striped,
    pub(crate) traces_kept_parent: Striped,
    pub(crate) traces_kept_failed: Striped,
    pub(crate) traces_kept_slow: Striped,
    pub(crate) traces_dropped: Striped,
    pub(crate) traces_overflow: Striped,
    pub(crate) spans_trace_too_long: Striped,
    pub(crate) spans_queue_full: Striped,
    pub(crate) spans_export_failed: Striped,
    pub(crate) spans_exported: Striped,
    pub(crate) export_failures: Striped,
}

impl Counters {
    pub(crate) fn stats(&self) -> PipelineStats {
        PipelineStats {
            traces_kept_sampled: Self::get(&self.traces_kept_sampled),
            traces_kept_parent: Self::get(&self.traces_kept_parent),
            traces_kept_failed: Self::get(&self.traces_kept_failed),
            traces_kept_slow: Self::get(&self.traces_kept_slow),
            traces_dropped: Self::get(&self.traces_dropped),
            traces_overflow: Self::get(&self.traces_overflow),
            spans_trace_too_long: Self::get(&self.spans_trace_too_long),
            spans_queue_full: Self::get(&self.spans_queue_full),
            spans_export_failed: Self::get(&self.spans_export_failed),
            spans_exported: Self::get(&self.spans_exported),
            export_failures: Self::get(&self.export_failures),
        }
    }

    pub(crate) fn get(counter: &Striped) -> u64 {
        counter.get()
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
    /// Spans dropped because the export queue was full.
    pub spans_queue_full: u64,
    /// Spans lost in failed export requests.
    pub spans_export_failed: u64,
    /// Spans exported.
    pub spans_exported: u64,
    /// Export requests that failed.
    pub export_failures: u64,
}

/// The trace a new span belongs to and its parent span.
pub(crate) struct Parent {
    pub(crate) trace: Arc<LocalTrace>,
    /// `SpanId::INVALID` for the root of a new trace.
    pub(crate) span_id: SpanId,
    pub(crate) is_remote: bool,
    /// The trace was made for this span, which its count of open spans already includes.
    pub(crate) new_trace: bool,
}

/// A random, valid (non-zero) trace id.
fn new_trace_id() -> TraceId {
    loop {
        let id = fastrand::u128(..);
        if id != 0 {
            return TraceId::from(id);
        }
    }
}

pub(crate) struct Pipeline {
    pub(crate) policy: Policy,
    pub(crate) counters: std::sync::Arc<Counters>,
    pub(crate) queue: Option<ExportQueue>,
}

impl Pipeline {
    /// The trace of a span that has no local parent (counting the span as started), and its parent: a new trace, or the
    /// continuation of the remote parent set on this thread (see
    /// [`crate::context::with_remote_parent`]).
    pub(crate) fn root(&self) -> Parent {
        let (origin, parent, remote_sampled) = match super::current::take_remote_parent() {
            Some(parent) => (
                Origin {
                    trace_id: parent.trace_id(),
                    trace_state: parent.trace_state().clone(),
                    random: parent.trace_flags().to_u8() & crate::propagation::traceparent::RANDOM
                        != 0,
                },
                parent.span_id(),
                Some(parent.is_sampled()),
            ),
            // Never zero (an invalid id): without a range, which costs a 128-bit division.
            None => (Origin::new_trace(new_trace_id()), SpanId::INVALID, None),
        };
        let head = self.policy.decide(origin.trace_id, remote_sampled);
        Parent {
            trace: LocalTrace::shared(origin, head),
            span_id: parent,
            is_remote: remote_sampled.is_some(),
            new_trace: true,
        }
    }

    /// Queues a finished span for export (the export thread converts it to OpenTelemetry's
    /// form); never blocks. A full queue drops the span and counts it.
    pub(crate) fn export(&self, span: SpanRecord) {
        match &self.queue {
            Some(queue) => queue.push(span.detach(), &self.counters),
            None => self.counters.spans_queue_full.add(1),
        }
    }
}

impl Pipeline {
    /// Publishes the counters through the `metrics` facade (absolute values: idempotent).
    pub(crate) fn publish_metrics(&self) {
        use crate::names::*;
        let c = &self.counters;
        for (decision, counter) in [
            ("kept_sampled", &c.traces_kept_sampled),
            ("kept_parent", &c.traces_kept_parent),
            ("kept_failed", &c.traces_kept_failed),
            ("kept_slow", &c.traces_kept_slow),
            ("dropped", &c.traces_dropped),
            ("dropped_overflow", &c.traces_overflow),
        ] {
            ::metrics::counter!(OBS_TRACES_TOTAL, "decision" => decision)
                .absolute(Counters::get(counter));
        }
        for (reason, counter) in [
            ("trace_too_long", &c.spans_trace_too_long),
            ("export_queue_full", &c.spans_queue_full),
            ("export_failed", &c.spans_export_failed),
        ] {
            ::metrics::counter!(OBS_SPANS_DROPPED_TOTAL, "reason" => reason)
                .absolute(Counters::get(counter));
        }
        ::metrics::counter!(OBS_SPANS_EXPORTED_TOTAL).absolute(Counters::get(&c.spans_exported));
        ::metrics::counter!(OBS_EXPORT_FAILURES_TOTAL).absolute(Counters::get(&c.export_failures));
        ::metrics::gauge!(OBS_TRACES_BUFFERED).set(super::sampling::traces_buffering() as f64);
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
