//! The `tracing` span of an observed function and its `err`/`ret` events, made from their
//! static callsites as `tracing::span!` and `tracing::event!` make them, but here rather than in
//! every expansion: each `#[observe]` writes only the callsites' statics and one call each. The
//! expansion is then smaller than `#[tracing::instrument]`'s, and so is the time the compiler
//! spends on it.

use tracing::Span;
use tracing::callsite::{Callsite, DefaultCallsite};
use tracing::field::Value;
use tracing::level_filters::{LevelFilter, STATIC_MAX_LEVEL};
use tracing::span::Id;

/// Whether a subscriber wants `callsite`'s spans or events: the same checks as `tracing`'s
/// macros, in their order (the level against the compile-time and the current maximum, the
/// callsite's cached interest, and, when that is "sometimes", the current subscriber).
#[inline]
fn enabled(callsite: &'static DefaultCallsite) -> bool {
    let meta = callsite.metadata();
    let level = *meta.level();
    if level > STATIC_MAX_LEVEL || level > LevelFilter::current() {
        return false;
    }
    let interest = callsite.interest();
    !interest.is_never()
        && (interest.is_always()
            || tracing::dispatcher::get_default(|dispatch| dispatch.enabled(meta)))
}

/// A new span of `callsite` with `values` (one per field of the callsite, in order), or a
/// disabled one when no subscriber wants it. `parent` is `None` for the current span's child,
/// `Some(None)` for a root, `Some(Some(id))` for a child of `id`.
#[inline]
pub fn span(
    callsite: &'static DefaultCallsite,
    parent: Option<Option<Id>>,
    values: &[Option<&dyn Value>],
) -> Span {
    if !enabled(callsite) {
        return Span::none();
    }
    let meta = callsite.metadata();
    // `value_set_all` is what `tracing`'s macros themselves write (hidden in its docs, as its
    // macros' support is): one value per field, in the callsite's order.
    let values = meta.fields().value_set_all(values);
    match parent {
        None => Span::new(meta, &values),
        Some(parent) => Span::child_of(parent, meta, &values),
    }
}

/// An event of `callsite` with `values` (one per field, in order) in the current span, when a
/// subscriber wants it.
#[inline]
pub fn event(callsite: &'static DefaultCallsite, values: &[Option<&dyn Value>]) {
    if enabled(callsite) {
        let meta = callsite.metadata();
        tracing::Event::dispatch(meta, &meta.fields().value_set_all(values));
    }
}
