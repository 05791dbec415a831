//! The trace pipeline, one way: spans start in a trace ([`Pipeline::root`]); when one ends, its
//! trace decides what becomes of it ([`super::local_trace::LocalTrace::span_ended`]); the
//! pipeline carries the decision out: it queues spans for export and counts what was kept
//! and dropped.

use super::counters::Counters;
use super::export::{ExportQueue, QueueSettings, SpanSink};
use super::local_trace::{LiveSpan, LocalTrace, Origin, Parent};
use super::sampling::SamplingPolicy;
use super::span::Exported;
use opentelemetry::trace::{SpanContext, SpanId};
use std::sync::Arc;

/// How the pipeline is set up (from the configuration, by `crate::setup`).
pub(crate) struct PipelineSettings {
    pub(crate) policy: SamplingPolicy,
    pub(crate) queue: QueueSettings,
}

pub(crate) struct Pipeline {
    policy: SamplingPolicy,
    pub(crate) counters: Arc<Counters>,
    pub(crate) queue: Option<ExportQueue>,
    /// Takes finished spans on the thread that ended them, in place of the queue (a test's
    /// capture, which must see its spans when the closure returns).
    direct: Option<Box<dyn Fn(Exported) + Send + Sync>>,
}

impl Pipeline {
    /// The pipeline, exporting to `sink` (none: spans are decided and counted, not exported)
    /// from a thread of its own.
    pub(crate) fn start(
        settings: PipelineSettings,
        sink: Option<Box<dyn SpanSink>>,
    ) -> std::io::Result<Pipeline> {
        let counters = Arc::new(Counters::default());
        let queue = match sink {
            Some(sink) => Some(ExportQueue::start(sink, settings.queue, counters.clone())?),
            None => None,
        };
        Ok(Pipeline { policy: settings.policy, counters, queue, direct: None })
    }

    /// A pipeline that hands every finished span to `take` on the thread that ended it.
    #[cfg(feature = "testing")]
    pub(crate) fn direct(
        policy: SamplingPolicy,
        take: impl Fn(Exported) + Send + Sync + 'static,
    ) -> Pipeline {
        Pipeline {
            policy,
            counters: Arc::new(Counters::default()),
            queue: None,
            direct: Some(Box::new(take)),
        }
    }

    /// The trace of a span that has no local parent (counting the span as started), and its
    /// parent: a new trace, or the continuation of the remote parent set on this thread (see
    /// [`crate::trace::context::with_remote_parent`]).
    pub(crate) fn root(&self) -> Parent {
        self.root_from(super::current::take_remote_parent())
    }

    /// The trace of a span that starts a trace here: a new one, or the continuation of
    /// `remote`.
    pub(crate) fn root_from(&self, remote: Option<SpanContext>) -> Parent {
        let (origin, parent, remote_sampled) = match remote.filter(SpanContext::is_valid) {
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
            None => (Origin::new_trace(), SpanId::INVALID, None),
        };
        let head = self.policy.decide(origin.trace_id, remote_sampled);
        Parent {
            trace: LocalTrace::shared(origin, head),
            span_id: parent,
            is_remote: remote_sampled.is_some(),
            new_trace: true,
        }
    }

    /// A span ended (its record in `slot`): carries out what its trace decides. The record is
    /// taken from the slot if exported; otherwise it is left for the caller to drop.
    #[inline]
    pub(crate) fn span_ended(&self, slot: &mut Option<LiveSpan>) {
        let ended = LocalTrace::span_ended(slot, &self.policy);
        if ended.export
            && let Some(span) = slot.take()
        {
            self.export(span.detach());
        }
        for span in ended.released {
            self.export(span);
        }
        if let Some(reason) = ended.dropped {
            self.counters.span_dropped(reason);
        }
        if let Some(decision) = ended.finished {
            self.counters.trace_finished(decision);
        }
    }

    /// Queues a finished span for export (the export thread converts it to OpenTelemetry's
    /// form); never blocks. A full queue drops the span and counts it.
    fn export(&self, span: Exported) {
        if let Some(take) = &self.direct {
            take(span);
            return;
        }
        let queued = self.queue.as_ref().is_some_and(|queue| queue.push(span));
        if !queued {
            self.counters.queue_full();
        }
    }
}
