//! A finished span of an undecided trace, as it waits in its trace's buffer for the trace's
//! decision ([`Parked`]).
//!
//! A running span's [`SpanRecord`] is 424 bytes: most of it is room for four attributes inline
//! (an attribute is 56 bytes), which saves an allocation per span while it runs. A parked span
//! keeps what its export needs and nothing else: no trace (the buffer is in the trace), its
//! attributes in a slice of their exact length, and what few spans have (events, links, a
//! status description, dropped counts) behind one pointer. With one attribute it takes about
//! 190 bytes of heap instead of 424.

use super::exemplar::ExemplarSink;
use super::span::{Exported, SpanRecord, StatusCode, TraceIds};
use opentelemetry::KeyValue;
use opentelemetry::trace::{Event, Link, SpanId, SpanKind};
use smallvec::SmallVec;
use std::borrow::Cow;

/// A finished span, without its trace, in as few bytes as its content allows.
pub(crate) struct Parked {
    span_id: SpanId,
    parent_span_id: SpanId,
    start: u64,
    end: u64,
    name: Cow<'static, str>,
    attributes: Box<[KeyValue]>,
    rare: Option<Box<Rare>>,
    exemplar: Option<&'static dyn ExemplarSink>,
    busy_ns: Option<u64>,
    kind: SpanKind,
    status: StatusCode,
    parent_is_remote: bool,
    stand_in: bool,
}

/// What most spans do not have.
#[derive(Default)]
struct Rare {
    events: Vec<Event>,
    dropped_events: u32,
    links: Vec<Link>,
    dropped_attributes: u32,
    status_description: Option<String>,
}

impl Parked {
    /// `span`, parked: its trace is let go of.
    pub(crate) fn of<T>(span: SpanRecord<T>) -> Parked {
        let SpanRecord {
            trace: _,
            span_id,
            parent_span_id,
            parent_is_remote,
            name,
            kind,
            start,
            end,
            attributes,
            dropped_attributes,
            events,
            dropped_events,
            links,
            status,
            status_description,
            stand_in,
            busy_ns,
            entered_at: _,
            exemplar,
        } = span;
        let common = events.is_empty()
            && dropped_events == 0
            && links.is_empty()
            && dropped_attributes == 0
            && status_description.is_none();
        let rare = (!common).then(|| {
            Box::new(Rare { events, dropped_events, links, dropped_attributes, status_description })
        });
        Parked {
            span_id,
            parent_span_id,
            start,
            end,
            name,
            attributes: attributes.into_vec().into_boxed_slice(),
            rare,
            exemplar,
            busy_ns,
            kind,
            status,
            parent_is_remote,
            stand_in,
        }
    }

    /// The span again, for export, with the ids of its trace as it was decided.
    pub(crate) fn export(self, trace: TraceIds) -> Exported {
        let Rare { events, dropped_events, links, dropped_attributes, status_description } =
            self.rare.map(|rare| *rare).unwrap_or_default();
        SpanRecord {
            trace,
            span_id: self.span_id,
            parent_span_id: self.parent_span_id,
            parent_is_remote: self.parent_is_remote,
            name: self.name,
            kind: self.kind,
            start: self.start,
            end: self.end,
            attributes: SmallVec::from_vec(self.attributes.into_vec()),
            dropped_attributes,
            events,
            dropped_events,
            links,
            status: self.status,
            status_description,
            stand_in: self.stand_in,
            busy_ns: self.busy_ns,
            entered_at: 0,
            exemplar: self.exemplar,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::trace::{SpanContext, TraceFlags, TraceId, TraceState};

    /// A span with everything set, or a plain one.
    fn span(full: bool) -> SpanRecord<()> {
        let mut span = SpanRecord::start((), SpanId::from(3u64), full, "checkout", 100);
        span.end = 250;
        if full {
            span.kind = SpanKind::Server;
            span.attributes.extend((0..6).map(|i| KeyValue::new(format!("a{i}"), i)));
            span.dropped_attributes = 2;
            span.events.push(Event::new("retry", std::time::SystemTime::UNIX_EPOCH, vec![], 0));
            span.dropped_events = 1;
            span.links.push(Link::with_context(SpanContext::empty_context()));
            span.status = StatusCode::Error;
            span.status_description = Some("timeout".into());
            span.busy_ns = Some(40);
            span.stand_in = true;
        }
        span
    }

    /// Every field of a span on its way to export.
    fn fields(span: &Exported) -> String {
        format!(
            "{:?} {:?} {} {} {:?} {} {} {:?} {} {:?} {} {:?} {:?} {:?} {} {:?} {:?}",
            span.span_id,
            span.parent_span_id,
            span.parent_is_remote,
            span.name,
            span.kind,
            span.start,
            span.end,
            span.attributes,
            span.dropped_attributes,
            span.events,
            span.dropped_events,
            span.links,
            span.status,
            span.status_description,
            span.stand_in,
            span.busy_ns,
            span.trace.trace_id,
        )
    }

    #[test]
    fn a_parked_span_comes_back_whole() {
        let ids = || TraceIds {
            trace_id: TraceId::from(7u128),
            flags: TraceFlags::SAMPLED,
            state: TraceState::default(),
        };
        for full in [true, false] {
            let direct = span(full).with_trace(ids());
            let mut parked = span(full);
            parked.span_id = direct.span_id;
            let parked = Parked::of(parked);
            assert_eq!(parked.rare.is_some(), full, "only a span with rare parts boxes them");
            assert_eq!(fields(&parked.export(ids())), fields(&direct));
        }
    }

    #[test]
    fn a_parked_span_is_small() {
        // The buffer's budget is 200 bytes a span: this, and the attributes' slice.
        assert!(size_of::<Parked>() <= 120, "{}", size_of::<Parked>());
    }
}
