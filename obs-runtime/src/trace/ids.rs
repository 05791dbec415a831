//! New trace and span ids: random (so Trace Context Level 2's random flag holds), never zero
//! (the invalid id).

use opentelemetry::trace::{SpanId, TraceId};

/// Draws until the value is not zero (once, but for one chance in 2^64 or 2^128). Without a
/// range, which would cost a 128-bit division.
#[inline]
fn non_zero<T: PartialEq + Default>(mut draw: impl FnMut() -> T) -> T {
    loop {
        let value = draw();
        if value != T::default() {
            return value;
        }
    }
}

/// A random, valid trace id.
#[inline]
pub(crate) fn new_trace_id() -> TraceId {
    TraceId::from(non_zero(|| fastrand::u128(..)))
}

/// A random, valid span id.
#[inline]
pub(crate) fn new_span_id() -> SpanId {
    SpanId::from(non_zero(|| fastrand::u64(..)))
}
