//! Correlated JSON logs: one object per event on stdout, with the W3C trace context at the
//! top level (as OpenTelemetry's log-correlation spec names it) and the request's context.
//!
//! ```json
//! {"timestamp":"2026-11-24T12:00:00.123456Z","level":"INFO","msg":"order placed","target":"shop::orders",
//!  "trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","trace_flags":"03",
//!  "request_id":"9f1c…","user_id":"u-1842","span":"shop::orders::place","order_id":42}
//! ```
//!
//! `tracing_subscriber::fmt().json()` cannot write trace ids (they live in obs's span records),
//! hence this layer. Lines go through obs's own buffered writer ([`writer`]), lossy: a slow
//! stdout drops lines (counted) instead of blocking the program. The same event, scrubbed
//! once, becomes the OTLP log record when an endpoint is set. [`panic`] holds the panic hook.
//!
//! Uses `crate::trace` (the event's span and request context) and `crate::pii` (scrubbing).

pub(crate) mod panic;
pub(crate) mod writer;

use crate::pii::scrub::Scrubbed;
use crate::trace::context::with_event_span;
use crate::trace::fields::{FieldValue, MESSAGE, Visitor};
use opentelemetry::logs::{AnyValue, LogRecord, Logger, Severity};
use opentelemetry_sdk::logs::SdkLogger;
use serde::Serializer as _;
use serde::ser::SerializeMap;
use std::borrow::Cow;
use std::cell::RefCell;
use std::io::Write;
use std::time::SystemTime;
use tracing::field::Field;
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::writer::BoxMakeWriter;
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

/// Keys obs writes itself; an event field with one of these names is written as `field.<name>`.
const RESERVED: &[&str] = &[
    "timestamp",
    "level",
    "msg",
    "target",
    "trace_id",
    "span_id",
    "trace_flags",
    "request_id",
    "user_id",
    "span",
];

/// Writes each event as a JSON line; optionally also emits it as an OTLP log record.
pub(crate) struct JsonLogLayer {
    writer: BoxMakeWriter,
    otlp: Option<SdkLogger>,
}

impl JsonLogLayer {
    pub(crate) fn new(writer: BoxMakeWriter, otlp: Option<SdkLogger>) -> Self {
        JsonLogLayer { writer, otlp }
    }
}

/// The trace and request context of an event. The ids are hex on the stack: an event's
/// context is made once per log line, and allocating three strings for it cost as much as
/// encoding the line.
struct EventContext {
    trace_id: const_hex::Buffer<16>,
    span_id: const_hex::Buffer<8>,
    trace_flags: const_hex::Buffer<1>,
    request_id: Option<Scrubbed<String>>,
    user_id: Option<Scrubbed<String>>,
    span: Cow<'static, str>,
    otel: (
        opentelemetry::trace::TraceId,
        opentelemetry::trace::SpanId,
        opentelemetry::trace::TraceFlags,
    ),
}

fn event_context<S>(event: &Event<'_>, ctx: &Context<'_, S>) -> Option<EventContext>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    with_event_span(ctx, event.parent(), |record| {
        let flags = record.flags();
        EventContext {
            trace_id: const_hex::Buffer::new().const_format(&record.trace.trace_id.to_bytes()),
            span_id: const_hex::Buffer::new().const_format(&record.span_id.to_bytes()),
            trace_flags: const_hex::Buffer::new().const_format(&[flags.to_u8()]),
            request_id: record.trace.request_id.get().cloned(),
            user_id: record.trace.with_request(|request| request.user_id.clone()),
            span: record.name.clone(),
            otel: (record.trace.trace_id, record.span_id, flags),
        }
    })
}

thread_local! {
    static LINE: RefCell<Vec<u8>> = RefCell::new(Vec::with_capacity(512));
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for JsonLogLayer {
    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let context = event_context(event, &ctx);
        let meta = event.metadata();
        // The event's text is scrubbed once, here, for every sink below.
        let fields = LogFields::of(event);
        LINE.with(|line| {
            let Ok(mut line) = line.try_borrow_mut() else {
                return;
            };
            line.clear();
            write_json(&mut line, meta, &fields, context.as_ref());
            line.push(b'\n');
            let _ = self.writer.make_writer_for(meta).write_all(&line);
        });
        if let Some(logger) = &self.otlp {
            emit_otlp(logger, meta, fields, context.as_ref());
        }
    }
}

fn write_json(
    out: &mut Vec<u8>,
    meta: &Metadata<'_>,
    fields: &LogFields,
    context: Option<&EventContext>,
) {
    let mut ser = serde_json::Serializer::new(out);
    let Ok(mut map) = ser.serialize_map(None) else {
        return;
    };
    let timestamp = humantime::format_rfc3339_micros(SystemTime::now());
    let _ = map.serialize_entry("timestamp", &Written(timestamp));
    let _ = map.serialize_entry("level", meta.level().as_str());
    if let Some(message) = &fields.message {
        let _ = map.serialize_entry("msg", message.as_str());
    }
    let _ = map.serialize_entry("target", meta.target());
    if let Some(c) = context {
        let _ = map.serialize_entry("trace_id", c.trace_id.as_str());
        let _ = map.serialize_entry("span_id", c.span_id.as_str());
        let _ = map.serialize_entry("trace_flags", c.trace_flags.as_str());
        if let Some(id) = &c.request_id {
            let _ = map.serialize_entry("request_id", id.as_str());
        }
        if let Some(id) = &c.user_id {
            let _ = map.serialize_entry("user_id", id.as_str());
        }
        let _ = map.serialize_entry("span", c.span.as_ref());
    }
    for (name, value) in &fields.fields {
        let reserved;
        let key = if RESERVED.contains(name) {
            reserved = format!("field.{name}");
            reserved.as_str()
        } else {
            name
        };
        let _ = match value {
            LogValue::Text(text) => map.serialize_entry(key, text.as_str()),
            LogValue::I64(v) => map.serialize_entry(key, v),
            LogValue::U64(v) => map.serialize_entry(key, v),
            LogValue::F64(v) => map.serialize_entry(key, v),
            LogValue::Bool(v) => map.serialize_entry(key, v),
        };
    }
    let _ = map.end();
}

/// A value written as a JSON string straight from its `Display`, with no `String` between.
struct Written<T>(T);

impl<T: std::fmt::Display> serde::Serialize for Written<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

/// A field value of a log event; text only as it came out of the scrubber.
enum LogValue {
    Text(Scrubbed<String>),
    I64(i64),
    U64(u64),
    F64(f64),
    Bool(bool),
}

/// An event's fields: the message apart, the others in order, every text scrubbed.
#[derive(Default)]
struct LogFields {
    message: Option<Scrubbed<String>>,
    fields: Vec<(&'static str, LogValue)>,
}

impl LogFields {
    fn of(event: &Event<'_>) -> LogFields {
        let mut fields = LogFields::default();
        event.record(&mut Visitor(|field: &Field, value: FieldValue<'_>| {
            let value = match value {
                FieldValue::Text(text) => LogValue::Text(Scrubbed::owned(text.into_owned())),
                FieldValue::I64(v) => LogValue::I64(v),
                FieldValue::U64(v) => LogValue::U64(v),
                FieldValue::F64(v) => LogValue::F64(v),
                FieldValue::Bool(v) => LogValue::Bool(v),
            };
            match value {
                LogValue::Text(text) if field.name() == MESSAGE => fields.message = Some(text),
                value => fields.fields.push((field.name(), value)),
            }
        }));
        fields
    }
}

fn severity(level: &Level) -> Severity {
    match *level {
        Level::TRACE => Severity::Trace,
        Level::DEBUG => Severity::Debug,
        Level::INFO => Severity::Info,
        Level::WARN => Severity::Warn,
        Level::ERROR => Severity::Error,
    }
}

/// The same event as an OpenTelemetry log record, with its trace context.
///
/// `opentelemetry-appender-tracing` cannot be used: it reads the trace context from
/// `tracing-opentelemetry`'s span data, and obs keeps its own (and it would not scrub).
fn emit_otlp(
    logger: &SdkLogger,
    meta: &Metadata<'_>,
    fields: LogFields,
    context: Option<&EventContext>,
) {
    let mut record = logger.create_log_record();
    let now = SystemTime::now();
    record.set_timestamp(now);
    record.set_observed_timestamp(now);
    record.set_severity_number(severity(meta.level()));
    record.set_severity_text(meta.level().as_str());
    record.set_target(meta.target().to_owned());
    let LogFields { message, fields } = fields;
    if let Some(message) = message {
        record.set_body(AnyValue::from(message.into_inner()));
    }
    record.add_attributes(fields.into_iter().map(|(name, value)| {
        let value = match value {
            LogValue::Text(text) => AnyValue::from(text.into_inner()),
            LogValue::I64(v) => AnyValue::from(v),
            // OTLP has no unsigned integers: an `intValue` when it fits, a string otherwise.
            LogValue::U64(v) => {
                i64::try_from(v).map_or_else(|_| AnyValue::from(v.to_string()), AnyValue::from)
            }
            LogValue::F64(v) => AnyValue::from(v),
            LogValue::Bool(v) => AnyValue::from(v),
        };
        (name, value)
    }));
    if let Some(c) = context {
        let (trace_id, span_id, flags) = c.otel;
        record.set_trace_context(trace_id, span_id, Some(flags));
        if let Some(id) = &c.request_id {
            record.add_attribute("request_id", id.as_str().to_owned());
        }
        if let Some(id) = &c.user_id {
            record.add_attribute("user.id", id.as_str().to_owned());
        }
    }
    logger.emit(record);
}
