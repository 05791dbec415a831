//! What obs keeps of one span while it runs ([`SpanRecord`]), how its `tracing` fields and
//! events become attributes, and its conversion to OpenTelemetry's `SpanData` for export.
//!
//! A record is generic over what it holds of its trace: the shared trace while the span runs
//! (`LiveSpan`, in [`super::local_trace`]), or only the trace's ids on its way to export
//! ([`Exported`]).

use super::exemplar::ExemplarSink;
use super::fields::{FieldValue, MESSAGE, Visitor};
use crate::names::{BUSY_NS, ERROR_TYPE, IDLE_NS, STATUS_CODE, STATUS_DESCRIPTION};
use crate::pii::scrub::Scrubbed;
use opentelemetry::trace::{
    Event, Link, SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState,
};
use opentelemetry::{InstrumentationScope, Key, KeyValue};
use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanLinks};
use smallvec::SmallVec;
use std::borrow::Cow;
use tracing::field::Field;

/// Bounds what one span can hold, so a runaway loop cannot grow memory without end.
const MAX_ATTRIBUTES: usize = 128;
const INLINE_ATTRIBUTES: usize = 4;
const MAX_EVENTS: usize = 128;

/// The status a span's fields or events set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StatusCode {
    Unset,
    Ok,
    Error,
}

/// A span: stored in its `Call` or in a `tracing` span's extensions while it runs, then on
/// its way to export. `T` is what it holds of its trace.
pub(crate) struct SpanRecord<T> {
    pub(crate) trace: T,
    pub(crate) span_id: SpanId,
    pub(crate) parent_span_id: SpanId,
    pub(crate) parent_is_remote: bool,
    pub(crate) name: Cow<'static, str>,
    pub(crate) kind: SpanKind,
    /// Raw clock readings (see [`crate::hotpath::clock`]), made wall-clock times on export.
    pub(crate) start: u64,
    /// Set when the span closes.
    pub(crate) end: u64,
    /// Inline up to a few: most spans record a handful of fields, and an allocation per span
    /// costs as much as the rest of a dropped span's bookkeeping.
    pub(crate) attributes: SmallVec<[KeyValue; INLINE_ATTRIBUTES]>,
    pub(crate) dropped_attributes: u32,
    pub(crate) events: Vec<Event>,
    pub(crate) dropped_events: u32,
    pub(crate) links: Vec<Link>,
    pub(crate) status: StatusCode,
    pub(crate) status_description: Option<String>,
    /// A `tracing` span standing in for an obs span (see `super::subscriber`): never exported.
    pub(crate) stand_in: bool,
    /// Time the span was being polled or entered, in nanoseconds, when tracked (async observed
    /// functions, entered `tracing` spans): exported as `busy_ns`, and the rest as `idle_ns`.
    pub(crate) busy_ns: Option<u64>,
    /// Raw clock reading of the span's latest entry (for `busy_ns`).
    pub(crate) entered_at: u64,
    /// Where the span leaves its exemplar if it is exported: its observed function's callsite.
    pub(crate) exemplar: Option<&'static dyn ExemplarSink>,
}

impl<T> SpanRecord<T> {
    /// A new span of `trace` (a new random id), child of `parent_span_id`, that starts at the
    /// raw clock reading `start`.
    #[inline]
    pub(crate) fn start(
        trace: T,
        parent_span_id: SpanId,
        parent_is_remote: bool,
        name: &'static str,
        start: u64,
    ) -> Self {
        SpanRecord {
            trace,
            span_id: super::ids::new_span_id(),
            parent_span_id,
            parent_is_remote,
            name: Cow::Borrowed(name),
            kind: SpanKind::Internal,
            start,
            end: start,
            attributes: SmallVec::new(),
            dropped_attributes: 0,
            events: Vec::new(),
            dropped_events: 0,
            links: Vec::new(),
            status: StatusCode::Unset,
            status_description: None,
            stand_in: false,
            busy_ns: None,
            entered_at: 0,
            exemplar: None,
        }
    }

    /// The same span, holding `trace` instead.
    pub(crate) fn with_trace<U>(self, trace: U) -> SpanRecord<U> {
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
            entered_at,
            exemplar,
        } = self;
        SpanRecord {
            trace,
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
            entered_at,
            exemplar,
        }
    }

    /// The span was entered (a `tracing` span, at each poll of its future).
    pub(crate) fn entered(&mut self, now: u64) {
        self.entered_at = now;
    }

    /// The span was exited: the time since it was entered counts as busy.
    pub(crate) fn exited(&mut self, now: u64) {
        let busy = crate::hotpath::clock::delta_ns(self.entered_at, now);
        self.busy_ns = Some(self.busy_ns.unwrap_or(0).saturating_add(busy));
    }

    pub(crate) fn failed(&self) -> bool {
        self.status == StatusCode::Error
    }

    /// Marks the span failed, with the error's type (the `error.type` attribute).
    pub(crate) fn fail(&mut self, error_type: Option<&'static str>) {
        self.status = StatusCode::Error;
        if let Some(error_type) = error_type {
            self.push_attribute(KeyValue::new(ERROR_TYPE, error_type));
        }
    }

    fn push_attribute(&mut self, kv: KeyValue) {
        if let Some(existing) = self.attributes.iter_mut().find(|a| a.key == kv.key) {
            *existing = kv;
        } else if self.attributes.len() < MAX_ATTRIBUTES {
            self.attributes.push(kv);
        } else {
            self.dropped_attributes += 1;
        }
    }

    /// Records an event (a log line inside the span). An ERROR event marks the span failed:
    /// by obs's logging convention, ERROR means a failure.
    pub(crate) fn push_event(&mut self, event: &tracing::Event<'_>) {
        if *event.metadata().level() == tracing::Level::ERROR && self.status != StatusCode::Ok {
            self.status = StatusCode::Error;
        }
        if self.events.len() >= MAX_EVENTS {
            self.dropped_events += 1;
            return;
        }
        let mut message = None;
        let mut attributes = Vec::new();
        event.record(&mut Visitor(|field: &Field, value: FieldValue<'_>| match value {
            FieldValue::Text(text) if field.name() == MESSAGE => message = Some(text.into_owned()),
            value => attributes.push(KeyValue::new(key(field), value.into_otel())),
        }));
        if self.status == StatusCode::Error && self.status_description.is_none() {
            self.status_description = message.clone();
        }
        attributes.push(KeyValue::new("level", event.metadata().level().as_str()));
        attributes.push(KeyValue::new("target", event.metadata().target().to_owned()));
        let name = message.unwrap_or_else(|| event.metadata().name().to_owned());
        self.events.push(Event::new(name, crate::hotpath::clock::wall_now(), attributes, 0));
    }

    /// Records a span's fields: the `otel.*` ones set name, kind and status, the rest become
    /// attributes.
    pub(crate) fn record(&mut self, values: &impl RecordFields) {
        values.record_into(&mut Visitor(|field: &Field, value: FieldValue<'_>| {
            self.record_field(field, value)
        }));
    }

    /// One field of the span.
    #[inline]
    pub(crate) fn record_field(&mut self, field: &Field, value: FieldValue<'_>) {
        if let FieldValue::Text(text) = &value
            && self.special(field, text)
        {
            return;
        }
        self.push_attribute(KeyValue::new(key(field), value.into_otel()));
    }

    /// The fields OpenTelemetry's conventions give a meaning of their own.
    fn special(&mut self, field: &Field, value: &str) -> bool {
        match field.name() {
            "otel.name" => self.name = Cow::Owned(value.to_owned()),
            "otel.kind" => {
                self.kind = match value.to_ascii_lowercase().as_str() {
                    "server" => SpanKind::Server,
                    "client" => SpanKind::Client,
                    "producer" => SpanKind::Producer,
                    "consumer" => SpanKind::Consumer,
                    _ => SpanKind::Internal,
                }
            }
            STATUS_CODE => {
                self.status = match value.to_ascii_uppercase().as_str() {
                    "ERROR" => StatusCode::Error,
                    "OK" => StatusCode::Ok,
                    _ => StatusCode::Unset,
                }
            }
            STATUS_DESCRIPTION | "otel.status_message" => {
                self.status_description = Some(value.to_owned())
            }
            _ => return false,
        }
        true
    }
}

/// The `tracing` field sets a span records: its attributes when created, later `record`s.
pub(crate) trait RecordFields {
    fn record_into(&self, visitor: &mut dyn tracing::field::Visit);
}

impl RecordFields for tracing::span::Attributes<'_> {
    fn record_into(&self, visitor: &mut dyn tracing::field::Visit) {
        self.record(visitor);
    }
}

impl RecordFields for tracing::span::Record<'_> {
    fn record_into(&self, visitor: &mut dyn tracing::field::Visit) {
        self.record(visitor);
    }
}

fn key(field: &Field) -> Key {
    Key::from_static_str(field.name())
}

/// What the exported form of a span needs of its trace.
pub(crate) struct TraceIds {
    pub(crate) trace_id: TraceId,
    pub(crate) flags: TraceFlags,
    pub(crate) state: TraceState,
}

/// A finished span on its way to export.
pub(crate) type Exported = SpanRecord<TraceIds>;

impl Exported {
    /// The exported form of the span, with personal data scrubbed from every text (see
    /// [`crate::pii::scrub::span`]).
    pub(crate) fn into_span_data(mut self, scope: &InstrumentationScope) -> Scrubbed<SpanData> {
        let status = match self.status {
            StatusCode::Unset => Status::Unset,
            StatusCode::Ok => Status::Ok,
            StatusCode::Error => Status::error(self.status_description.take().unwrap_or_default()),
        };
        // Both are `#[non_exhaustive]`: filled through their public fields.
        let mut events = SpanEvents::default();
        events.events = self.events;
        events.dropped_count = self.dropped_events;
        let mut links = SpanLinks::default();
        links.links = self.links;
        if let Some(busy) = self.busy_ns {
            // Not `push_attribute`: these come last, and are never dropped for the cap.
            let duration = crate::hotpath::clock::delta_ns(self.start, self.end);
            let busy = busy.min(duration);
            self.attributes.push(KeyValue::new(BUSY_NS, i64::try_from(busy).unwrap_or(i64::MAX)));
            self.attributes
                .push(KeyValue::new(IDLE_NS, i64::try_from(duration - busy).unwrap_or(i64::MAX)));
        }
        crate::pii::scrub::span(SpanData {
            span_context: SpanContext::new(
                self.trace.trace_id,
                self.span_id,
                self.trace.flags,
                false,
                self.trace.state,
            ),
            parent_span_id: self.parent_span_id,
            parent_span_is_remote: self.parent_is_remote,
            span_kind: self.kind,
            name: self.name,
            start_time: crate::hotpath::clock::wall_of(self.start),
            end_time: crate::hotpath::clock::wall_of(self.end),
            attributes: self.attributes.into_vec(),
            dropped_attributes_count: self.dropped_attributes,
            events,
            links,
            status,
            instrumentation_scope: scope.clone(),
        })
    }
}
