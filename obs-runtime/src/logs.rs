//! Correlated JSON logs: one object per event on stdout, with the W3C trace context at the
//! top level (as OpenTelemetry's log-correlation spec names it) and the request's context.
//!
//! ```json
//! {"timestamp":"2026-11-24T12:00:00.123456Z","level":"INFO","msg":"order placed","target":"shop::orders",
//!  "trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","trace_flags":"01",
//!  "request_id":"9f1c…","user_id":"u-1842","span":"shop::orders::place","order_id":42}
//! ```
//!
//! `tracing_subscriber::fmt().json()` cannot write trace ids (they live in obs's span records),
//! hence this layer. Lines go through `tracing-appender`'s non-blocking writer in lossy mode: a
//! slow stdout drops lines (counted) instead of blocking the program.

use crate::context::with_record;
use crate::scrub::scrub;
use opentelemetry::logs::{AnyValue, LogRecord, Logger, Severity};
use opentelemetry_sdk::logs::SdkLogger;
use serde::Serializer as _;
use serde::ser::SerializeMap;
use std::cell::RefCell;
use std::fmt::Debug;
use std::io::Write;
use std::time::SystemTime;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::writer::BoxMakeWriter;
use tracing_subscriber::layer::{Context, Layer};

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

/// The trace and request context of an event.
struct EventContext {
    trace_id: String,
    span_id: String,
    trace_flags: String,
    request_id: Option<String>,
    user_id: Option<String>,
    span: String,
    otel: (
        opentelemetry::trace::TraceId,
        opentelemetry::trace::SpanId,
        opentelemetry::trace::TraceFlags,
    ),
}

fn event_context(event: &Event<'_>) -> Option<EventContext> {
    with_record(event.parent(), |record| {
        let flags = record.flags();
        EventContext {
            trace_id: record.trace.trace_id.to_string(),
            span_id: record.span_id.to_string(),
            trace_flags: format!("{:02x}", flags.to_u8()),
            request_id: record.trace.request_id.get().cloned(),
            user_id: record
                .trace
                .user_id
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone(),
            span: record.name.to_string(),
            otel: (record.trace.trace_id, record.span_id, flags),
        }
    })
}

thread_local! {
    static LINE: RefCell<Vec<u8>> = RefCell::new(Vec::with_capacity(512));
}

impl<S: Subscriber> Layer<S> for JsonLogLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let context = event_context(event);
        let meta = event.metadata();
        LINE.with(|line| {
            let Ok(mut line) = line.try_borrow_mut() else {
                return;
            };
            line.clear();
            write_json(&mut line, event, context.as_ref());
            line.push(b'\n');
            let _ = self.writer.make_writer_for(meta).write_all(&line);
        });
        if let Some(logger) = &self.otlp {
            emit_otlp(logger, event, context.as_ref());
        }
    }
}

fn write_json(out: &mut Vec<u8>, event: &Event<'_>, context: Option<&EventContext>) {
    let meta = event.metadata();
    let mut ser = serde_json::Serializer::new(out);
    let Ok(mut map) = ser.serialize_map(None) else {
        return;
    };
    let timestamp = humantime::format_rfc3339_micros(SystemTime::now()).to_string();
    let _ = map.serialize_entry("timestamp", &timestamp);
    let _ = map.serialize_entry("level", meta.level().as_str());
    let mut fields = JsonFields::default();
    event.record(&mut fields);
    let JsonFields { message, deferred, .. } = fields;
    if let Some(message) = message {
        let _ = map.serialize_entry("msg", &message);
    }
    let _ = map.serialize_entry("target", meta.target());
    if let Some(c) = context {
        let _ = map.serialize_entry("trace_id", &c.trace_id);
        let _ = map.serialize_entry("span_id", &c.span_id);
        let _ = map.serialize_entry("trace_flags", &c.trace_flags);
        if let Some(id) = &c.request_id {
            let _ = map.serialize_entry("request_id", id);
        }
        if let Some(id) = &c.user_id {
            let _ = map.serialize_entry("user_id", id);
        }
        let _ = map.serialize_entry("span", &c.span);
    }
    for (key, value) in deferred {
        let _ = map.serialize_entry(&key, &value);
    }
    let _ = map.end();
}

/// Collects an event's fields: the message apart (it is written first), the others as JSON
/// values, in order.
#[derive(Default)]
struct JsonFields {
    message: Option<String>,
    deferred: Vec<(String, serde_json::Value)>,
}

impl JsonFields {
    /// A text field, scrubbed of personal data.
    fn put_text(&mut self, field: &Field, value: &str) {
        let value = scrub(value).into_owned();
        if field.name() == "message" {
            self.message = Some(value);
        } else {
            self.put(field, value.into());
        }
    }

    fn put(&mut self, field: &Field, value: serde_json::Value) {
        let name = field.name();
        let key = if RESERVED.contains(&name) { format!("field.{name}") } else { name.to_owned() };
        self.deferred.push((key, value));
    }
}

impl Visit for JsonFields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put_text(field, value);
    }
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.put_text(field, &format!("{value:?}"));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, value.into());
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, value.into());
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.put_text(field, &value.to_string());
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
/// `tracing-opentelemetry`'s span data, and obs keeps its own.
fn emit_otlp(logger: &SdkLogger, event: &Event<'_>, context: Option<&EventContext>) {
    let meta = event.metadata();
    let mut record = logger.create_log_record();
    let now = SystemTime::now();
    record.set_timestamp(now);
    record.set_observed_timestamp(now);
    record.set_severity_number(severity(meta.level()));
    record.set_severity_text(meta.level().as_str());
    record.set_target(meta.target().to_owned());
    let mut fields = OtlpFields { message: None, attributes: Vec::new() };
    event.record(&mut fields);
    if let Some(message) = fields.message {
        record.set_body(AnyValue::from(message));
    }
    record.add_attributes(fields.attributes);
    if let Some(c) = context {
        let (trace_id, span_id, flags) = c.otel;
        record.set_trace_context(trace_id, span_id, Some(flags));
        if let Some(id) = &c.request_id {
            record.add_attribute("request_id", id.clone());
        }
        if let Some(id) = &c.user_id {
            record.add_attribute("enduser.id", id.clone());
        }
    }
    logger.emit(record);
}

struct OtlpFields {
    message: Option<String>,
    attributes: Vec<(&'static str, AnyValue)>,
}

impl Visit for OtlpFields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = Some(value.to_owned());
        } else {
            self.attributes.push((field.name(), AnyValue::from(value.to_owned())));
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        let text = format!("{value:?}");
        if field.name() == "message" {
            self.message = Some(text);
        } else {
            self.attributes.push((field.name(), AnyValue::from(text)));
        }
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.attributes.push((field.name(), AnyValue::from(value)));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        let value =
            i64::try_from(value).map_or_else(|_| AnyValue::from(value.to_string()), AnyValue::from);
        self.attributes.push((field.name(), value));
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.attributes.push((field.name(), AnyValue::from(value)));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.attributes.push((field.name(), AnyValue::from(value)));
    }
}
