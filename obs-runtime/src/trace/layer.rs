//! `ObsLayer`: the `tracing` layer that turns spans into obs's trace records.

use super::pipeline::Pipeline;
use super::sampling::LocalTrace;
use super::span::{SpanFields, SpanRecord};
use opentelemetry::trace::{Link, SpanContext, SpanId, TraceId, TraceState};
use std::cell::RefCell;
use std::sync::Arc;
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

thread_local! {
    /// A remote parent waiting for the next root span created on this thread
    /// (see [`crate::context::with_remote_parent`]).
    static REMOTE_PARENT: RefCell<Option<SpanContext>> = const { RefCell::new(None) };
}

/// Runs `f` with `parent` as the remote parent of the root spans it creates.
pub(crate) fn with_remote_parent<R>(parent: &SpanContext, f: impl FnOnce() -> R) -> R {
    struct Reset(Option<SpanContext>);
    impl Drop for Reset {
        fn drop(&mut self) {
            let previous = self.0.take();
            REMOTE_PARENT.with(|cell| *cell.borrow_mut() = previous);
        }
    }
    let previous = REMOTE_PARENT.with(|cell| cell.borrow_mut().replace(parent.clone()));
    let _reset = Reset(previous);
    f()
}

fn take_remote_parent() -> Option<SpanContext> {
    REMOTE_PARENT.with(|cell| cell.borrow_mut().take()).filter(SpanContext::is_valid)
}

/// Records spans and their events for the trace pipeline.
pub(crate) struct ObsLayer {
    pipeline: Arc<Pipeline>,
}

impl ObsLayer {
    pub(crate) fn new(pipeline: Arc<Pipeline>) -> Self {
        ObsLayer { pipeline }
    }

    /// The record of a span that has no local parent: a new trace, or the continuation of a
    /// remote one.
    fn root(&self, name: &'static str) -> SpanRecord {
        let (trace_id, state, parent, remote_sampled) = match take_remote_parent() {
            Some(parent) => (
                parent.trace_id(),
                parent.trace_state().clone(),
                parent.span_id(),
                Some(parent.is_sampled()),
            ),
            None => {
                (TraceId::from(fastrand::u128(1..)), TraceState::default(), SpanId::INVALID, None)
            }
        };
        let head = self.pipeline.policy.decide(trace_id, remote_sampled);
        let trace = Arc::new(LocalTrace::new(trace_id, state, head));
        SpanRecord::new(trace, parent, remote_sampled.is_some(), name)
    }
}

impl<S> Layer<S> for ObsLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let name = attrs.metadata().name();
        // The nearest ancestor this layer traces (filtered-out spans are skipped).
        let parent = span.parent().and_then(|parent| {
            parent.extensions().get::<SpanRecord>().map(|p| (p.trace.clone(), p.span_id))
        });
        let mut record = match parent {
            Some((trace, parent_id)) => SpanRecord::new(trace, parent_id, false, name),
            None => self.root(name),
        };
        record.trace.span_started();
        if record.trace.is_recording() {
            attrs.record(&mut SpanFields(&mut record));
        }
        span.extensions_mut().insert(record);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut extensions = span.extensions_mut();
        if let Some(record) = extensions.get_mut::<SpanRecord>().filter(|r| r.trace.is_recording())
        {
            values.record(&mut SpanFields(record));
        }
    }

    fn on_follows_from(&self, id: &Id, follows: &Id, ctx: Context<'_, S>) {
        let Some(other) = ctx.span(follows) else {
            return;
        };
        let Some(link) = other.extensions().get::<SpanRecord>().map(SpanRecord::span_context)
        else {
            return;
        };
        let Some(span) = ctx.span(id) else { return };
        if let Some(record) = span.extensions_mut().get_mut::<SpanRecord>() {
            record.links.push(Link::with_context(link));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.event_span(event) else {
            return;
        };
        let mut extensions = span.extensions_mut();
        if let Some(record) = extensions.get_mut::<SpanRecord>().filter(|r| r.trace.is_recording())
        {
            record.push_event(event);
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else { return };
        let Some(mut record) = span.extensions_mut().remove::<SpanRecord>() else {
            return;
        };
        record.end = crate::clock::wall_now();
        let trace = record.trace.clone();
        trace.span_ended(record, &self.pipeline);
    }
}
