//! The `tracing` span of an observed function, made from its static callsite as
//! `tracing::span!` makes one, but here rather than in every expansion: each `#[observe]`
//! writes only the callsite's statics and one call. The expansion is then smaller than
//! `#[tracing::instrument]`'s, and so is the time the compiler spends on it.

use tracing::Span;
use tracing::callsite::{Callsite, DefaultCallsite};
use tracing::field::Value;
use tracing::level_filters::{LevelFilter, STATIC_MAX_LEVEL};
use tracing::span::Id;

/// A new span of `callsite` with `values` (one per field of the callsite, in order), or a
/// disabled one when no subscriber wants it. `parent` is `None` for the current span's child,
/// `Some(None)` for a root, `Some(Some(id))` for a child of `id`.
///
/// The same checks as `tracing::span!`, in its order: the level against the compile-time and
/// the current maximum, the callsite's cached interest, and, when that is "sometimes", the
/// current subscriber.
#[inline]
pub fn span(
    callsite: &'static DefaultCallsite,
    parent: Option<Option<Id>>,
    values: &[Option<&dyn Value>],
) -> Span {
    let meta = callsite.metadata();
    let level = *meta.level();
    if level <= STATIC_MAX_LEVEL && level <= LevelFilter::current() {
        let interest = callsite.interest();
        if !interest.is_never()
            && (interest.is_always()
                || tracing::dispatcher::get_default(|dispatch| dispatch.enabled(meta)))
        {
            // `value_set_all` is what `tracing::span!` itself writes (hidden in its docs, as
            // its macros' support is): one value per field, in the callsite's order.
            let values = meta.fields().value_set_all(values);
            return match parent {
                None => Span::new(meta, &values),
                Some(parent) => Span::child_of(parent, meta, &values),
            };
        }
    }
    Span::none()
}
