//! `ObsLayer`: the `tracing` layer that turns spans into obs's trace records.

use super::current::{self, Current};
use super::pipeline::{Parent, Pipeline};
use super::sampling::LocalTrace;
use super::span::{SpanFields, SpanRecord};
use super::subscriber::take_pending_stand_in;
use opentelemetry::trace::Link;
use std::sync::Arc;
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::{LookupSpan, SpanRef};

/// Records spans and their events for the trace pipeline.
pub(crate) struct ObsLayer {
    pipeline: Arc<Pipeline>,
}

impl ObsLayer {
    pub(crate) fn new(pipeline: Arc<Pipeline>) -> Self {
        ObsLayer { pipeline }
    }
}

/// `span`, or its nearest ancestor this layer traces, as the parent of a new span.
fn traced_ancestor<S>(span: Option<SpanRef<'_, S>>) -> Option<Parent>
where
    S: for<'a> LookupSpan<'a>,
{
    let mut span = span;
    while let Some(current) = span {
        if let Some(record) = current.extensions().get::<SpanRecord>() {
            return Some(record.as_parent());
        }
        span = current.parent();
    }
    None
}

impl<S> Layer<S> for ObsLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        if let Some(stand_in) = take_pending_stand_in() {
            stand_in.trace.span_started();
            span.extensions_mut().insert(stand_in);
            return;
        }
        let name = attrs.metadata().name();
        // A contextual span's parent is the innermost traced span this thread is in, obs's own
        // or a `tracing` span; an explicit parent (or its nearest traced ancestor) is looked up
        // in the registry.
        let parent = if attrs.is_contextual() {
            current::parent(|id| {
                ctx.span(id)?.extensions().get::<SpanRecord>().map(SpanRecord::as_parent)
            })
        } else {
            traced_ancestor(span.parent())
        };
        let parent = parent.unwrap_or_else(|| self.pipeline.root());
        let mut record = SpanRecord::new(parent, name, crate::clock::now());
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
        let push = |record: &mut SpanRecord| {
            if record.trace.is_recording() {
                record.push_event(event);
            }
        };
        if event.is_contextual() {
            current::find(|frame| match frame {
                Current::Native(slot) => {
                    let mut record = slot.record.try_borrow_mut().ok()?;
                    record.as_mut().map(push)
                }
                Current::Tracing(id) => {
                    let span = ctx.span(&id)?;
                    let mut extensions = span.extensions_mut();
                    extensions.get_mut::<SpanRecord>().map(push)
                }
            });
        } else if let Some(parent) = event.parent()
            && current::with_stood_in(parent, push).is_some()
        {
            // Recorded on the obs span the parent stands in for.
        } else if let Some(span) = ctx.event_span(event)
            && let Some(record) = span.extensions_mut().get_mut::<SpanRecord>()
        {
            push(record);
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else { return };
        let Some(mut record) = span.extensions_mut().remove::<SpanRecord>() else {
            return;
        };
        record.end = crate::clock::now();
        LocalTrace::span_ended(&mut Some(record), &self.pipeline);
    }
}
