//! `ObsLayer`: the `tracing` layer that turns spans into obs's trace records.

use super::current::{self, Current};
use super::local_trace::LiveSpan;
use super::pipeline::Pipeline;
use super::registry::nearest;
use super::subscriber::take_pending_stand_in;
use opentelemetry::trace::Link;
use std::sync::Arc;
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

/// Records spans and their events for the trace pipeline.
pub(crate) struct ObsLayer {
    pipeline: Arc<Pipeline>,
}

impl ObsLayer {
    pub(crate) fn new(pipeline: Arc<Pipeline>) -> Self {
        ObsLayer { pipeline }
    }
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
                ctx.span(id)?.extensions().get::<LiveSpan>().map(LiveSpan::as_parent)
            })
        } else {
            nearest(span.parent(), LiveSpan::as_parent)
        };
        let parent = parent.unwrap_or_else(|| self.pipeline.root());
        let mut record = LiveSpan::new(parent, name, crate::hotpath::clock::now());
        if record.trace.is_recording() {
            record.record(attrs);
        }
        span.extensions_mut().insert(record);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut extensions = span.extensions_mut();
        if let Some(record) = extensions.get_mut::<LiveSpan>().filter(|r| r.trace.is_recording()) {
            record.record(values);
        }
    }

    fn on_follows_from(&self, id: &Id, follows: &Id, ctx: Context<'_, S>) {
        let Some(other) = ctx.span(follows) else {
            return;
        };
        let Some(link) = other.extensions().get::<LiveSpan>().map(LiveSpan::span_context) else {
            return;
        };
        let Some(span) = ctx.span(id) else { return };
        if let Some(record) = span.extensions_mut().get_mut::<LiveSpan>() {
            record.links.push(Link::with_context(link));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let push = |record: &mut LiveSpan| {
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
                    extensions.get_mut::<LiveSpan>().map(push)
                }
            });
        } else if let Some(parent) = event.parent()
            && current::with_stood_in(parent, push).is_some()
        {
            // Recorded on the obs span the parent stands in for.
        } else if let Some(span) = ctx.event_span(event)
            && let Some(record) = span.extensions_mut().get_mut::<LiveSpan>()
        {
            push(record);
        }
    }

    fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id)
            && let Some(record) = span.extensions_mut().get_mut::<LiveSpan>()
            && !record.stand_in
        {
            record.entered(crate::hotpath::clock::now());
        }
    }

    fn on_exit(&self, id: &Id, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id)
            && let Some(record) = span.extensions_mut().get_mut::<LiveSpan>()
            && !record.stand_in
        {
            record.exited(crate::hotpath::clock::now());
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else { return };
        let Some(mut record) = span.extensions_mut().remove::<LiveSpan>() else {
            return;
        };
        record.end = crate::hotpath::clock::now();
        self.pipeline.span_ended(&mut Some(record));
    }
}
