//! The values of `tracing` fields as obs keeps them, for span attributes, span events and log
//! lines alike: one visitor, so that every sink reads a field the same way.

use std::borrow::Cow;
use std::fmt::Debug;
use tracing::field::{Field, Visit};

/// A field's value: text (`str`, `Display` and `Debug` values, errors) or a typed number or
/// boolean.
pub(crate) enum FieldValue<'a> {
    Text(Cow<'a, str>),
    I64(i64),
    U64(u64),
    F64(f64),
    Bool(bool),
}

impl FieldValue<'_> {
    /// As an OpenTelemetry value. OTLP has no unsigned integers: a `u64` is an `intValue` when
    /// it fits, text otherwise.
    #[inline]
    pub(crate) fn into_otel(self) -> opentelemetry::Value {
        match self {
            FieldValue::Text(text) => opentelemetry::Value::from(text.into_owned()),
            FieldValue::I64(v) => opentelemetry::Value::I64(v),
            FieldValue::U64(v) => i64::try_from(v).map_or_else(
                |_| opentelemetry::Value::from(v.to_string()),
                opentelemetry::Value::I64,
            ),
            FieldValue::F64(v) => opentelemetry::Value::F64(v),
            FieldValue::Bool(v) => opentelemetry::Value::Bool(v),
        }
    }
}

/// A `tracing` visitor that hands each field to `F`.
pub(crate) struct Visitor<F>(pub(crate) F);

impl<F: FnMut(&Field, FieldValue<'_>)> Visit for Visitor<F> {
    fn record_str(&mut self, field: &Field, value: &str) {
        (self.0)(field, FieldValue::Text(Cow::Borrowed(value)));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        (self.0)(field, FieldValue::Text(Cow::Owned(format!("{value:?}"))));
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        (self.0)(field, FieldValue::Text(Cow::Owned(value.to_string())));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        (self.0)(field, FieldValue::I64(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        (self.0)(field, FieldValue::U64(value));
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        (self.0)(field, FieldValue::F64(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        (self.0)(field, FieldValue::Bool(value));
    }
}

/// The field an event's message is recorded as.
pub(crate) const MESSAGE: &str = "message";
