//! What obs keeps of one span while it runs, and its conversion to OpenTelemetry's `SpanData`.

use super::pipeline::Parent;
use super::sampling::LocalTrace;
use crate::scrub::Scrubbed;
use opentelemetry::trace::{
    Event, Link, SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState,
};
use opentelemetry::{InstrumentationScope, Key, KeyValue, Value};
use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanLinks};
use smallvec::SmallVec;
use std::borrow::Cow;
use std::fmt::Debug;
use std::sync::Arc;
use tracing::field::{Field, Visit};

/// A random, valid (non-zero) span id.
fn new_span_id() -> SpanId {
    loop {
        let id = fastrand::u64(..);
        if id != 0 {
            return SpanId::from(id);
        }
    }
}

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

/// A span in progress (stored in its `Call`, or in a `tracing` span's extensions), holding
/// its trace; or, on its way to export, holding only its trace's ids ([`Exported`]).
pub(crate) struct SpanRecord<T = Arc<LocalTrace>> {
    pub(crate) trace: T,
    pub(crate) span_id: SpanId,
    pub(crate) parent_span_id: SpanId,
    pub(crate) parent_is_remote: bool,
    pub(crate) name: Cow<'static, str>,
    pub(crate) kind: SpanKind,
    /// Raw clock readings (see [`crate::clock`]), made wall-clock times on export.
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
}

impl SpanRecord {
    /// A span of `parent`'s trace that starts at the raw clock reading `start` (counted as
    /// started in its trace).
    #[inline]
    pub(crate) fn new(parent: Parent, name: &'static str, start: u64) -> Self {
        if !parent.new_trace {
            parent.trace.span_started();
        }
        SpanRecord {
            trace: parent.trace,
            span_id: new_span_id(),
            parent_span_id: parent.span_id,
            parent_is_remote: parent.is_remote,
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
        }
    }

    /// A record for a `tracing` span standing in for this one: the same trace, ids and name
    /// (not counted as started: see `ObsLayer::on_new_span`).
    pub(crate) fn stand_in(&self) -> SpanRecord {
        SpanRecord {
            trace: self.trace.clone(),
            span_id: self.span_id,
            parent_span_id: self.parent_span_id,
            parent_is_remote: self.parent_is_remote,
            name: self.name.clone(),
            kind: self.kind.clone(),
            start: self.start,
            end: self.start,
            attributes: SmallVec::new(),
            dropped_attributes: 0,
            events: Vec::new(),
            dropped_events: 0,
            links: Vec::new(),
            status: StatusCode::Unset,
            status_description: None,
            stand_in: true,
        }
    }

    /// This span as the parent of a new one.
    pub(crate) fn as_parent(&self) -> Parent {
        Parent {
            trace: self.trace.clone(),
            span_id: self.span_id,
            is_remote: false,
            new_trace: false,
        }
    }

    /// The W3C context of this span, to propagate downstream or write in logs.
    pub(crate) fn span_context(&self) -> SpanContext {
        SpanContext::new(
            self.trace.trace_id,
            self.span_id,
            self.flags(),
            false,
            self.trace.trace_state.clone(),
        )
    }

    pub(crate) fn flags(&self) -> TraceFlags {
        self.trace.flags()
    }

    pub(crate) fn failed(&self) -> bool {
        self.status == StatusCode::Error
    }

    /// Marks the span failed, with the error's type (the `error.type` attribute).
    pub(crate) fn fail(&mut self, error_type: Option<&'static str>) {
        self.status = StatusCode::Error;
        if let Some(error_type) = error_type {
            self.push_attribute(KeyValue::new(crate::call::ERROR_TYPE, error_type));
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
        let mut fields = EventFields::default();
        event.record(&mut fields);
        if self.status == StatusCode::Error && self.status_description.is_none() {
            self.status_description = fields.message.clone();
        }
        let mut attributes = fields.attributes;
        attributes.push(KeyValue::new("level", event.metadata().level().as_str()));
        attributes.push(KeyValue::new("target", event.metadata().target().to_owned()));
        let name = fields.message.unwrap_or_else(|| event.metadata().name().to_owned());
        self.events.push(Event::new(name, crate::clock::wall_now(), attributes, 0));
    }

    /// The span, let go of its trace (so that the trace can be reused at once) for export.
    pub(crate) fn detach(self) -> Exported {
        let SpanRecord {
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
        } = self;
        SpanRecord {
            trace: TraceIds {
                trace_id: trace.trace_id,
                flags: trace.flags(),
                state: trace.trace_state.clone(),
            },
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
        }
    }
}

/// What the exported form of a span needs of its trace.
pub(crate) struct TraceIds {
    trace_id: TraceId,
    flags: TraceFlags,
    state: TraceState,
}

/// A finished span on its way to export.
pub(crate) type Exported = SpanRecord<TraceIds>;

impl Exported {
    /// The exported form of the span, with personal data scrubbed from every text (see
    /// [`crate::scrub::span`]).
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
        crate::scrub::span(SpanData {
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
            start_time: crate::clock::wall_of(self.start),
            end_time: crate::clock::wall_of(self.end),
            attributes: self.attributes.into_vec(),
            dropped_attributes_count: self.dropped_attributes,
            events,
            links,
            status,
            instrumentation_scope: scope.clone(),
        })
    }
}

/// Records a span's fields: the `otel.*` ones set name, kind and status, the rest become
/// attributes.
pub(crate) struct SpanFields<'a>(pub(crate) &'a mut SpanRecord);

impl SpanFields<'_> {
    fn special(&mut self, field: &Field, value: &str) -> bool {
        let record = &mut *self.0;
        match field.name() {
            "otel.name" => record.name = Cow::Owned(value.to_owned()),
            "otel.kind" => {
                record.kind = match value.to_ascii_lowercase().as_str() {
                    "server" => SpanKind::Server,
                    "client" => SpanKind::Client,
                    "producer" => SpanKind::Producer,
                    "consumer" => SpanKind::Consumer,
                    _ => SpanKind::Internal,
                }
            }
            "otel.status_code" => {
                record.status = match value.to_ascii_uppercase().as_str() {
                    "ERROR" => StatusCode::Error,
                    "OK" => StatusCode::Ok,
                    _ => StatusCode::Unset,
                }
            }
            "otel.status_description" | "otel.status_message" => {
                record.status_description = Some(value.to_owned())
            }
            _ => return false,
        }
        true
    }
}

fn key(field: &Field) -> Key {
    Key::from_static_str(field.name())
}

impl Visit for SpanFields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if !self.special(field, value) {
            self.0.push_attribute(KeyValue::new(key(field), value.to_owned()));
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        let text = format!("{value:?}");
        if !self.special(field, &text) {
            self.0.push_attribute(KeyValue::new(key(field), text));
        }
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.push_attribute(KeyValue::new(key(field), value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.push_attribute(KeyValue::new(key(field), unsigned(value)));
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.push_attribute(KeyValue::new(key(field), value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.push_attribute(KeyValue::new(key(field), value));
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.0.push_attribute(KeyValue::new(key(field), value.to_string()));
    }
}

/// OTLP has no unsigned integers: an `intValue` when it fits, a string otherwise.
fn unsigned(value: u64) -> Value {
    i64::try_from(value).map_or_else(|_| Value::from(value.to_string()), Value::I64)
}

/// An event's fields: the message apart, the rest as attributes.
#[derive(Default)]
struct EventFields {
    message: Option<String>,
    attributes: Vec<KeyValue>,
}

impl Visit for EventFields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = Some(value.to_owned());
        } else {
            self.attributes.push(KeyValue::new(key(field), value.to_owned()));
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        let text = format!("{value:?}");
        if field.name() == "message" {
            self.message = Some(text);
        } else {
            self.attributes.push(KeyValue::new(key(field), text));
        }
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.attributes.push(KeyValue::new(key(field), value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.attributes.push(KeyValue::new(key(field), unsigned(value)));
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.attributes.push(KeyValue::new(key(field), value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.attributes.push(KeyValue::new(key(field), value));
    }
}
