//! Finding obs's record of a `tracing` span in `tracing-subscriber`'s registry, where obs's
//! layer keeps it as a span extension.

use super::local_trace::LiveSpan;
use tracing::span::Id;
use tracing_subscriber::Registry;
use tracing_subscriber::registry::{LookupSpan, SpanRef};

/// Runs `f` on the record of `span`, or of its nearest ancestor that obs traces.
pub(crate) fn nearest<'a, S, R>(
    span: Option<SpanRef<'a, S>>,
    f: impl FnOnce(&LiveSpan) -> R,
) -> Option<R>
where
    S: LookupSpan<'a>,
{
    let mut span = span;
    while let Some(current) = span {
        if let Some(record) = current.extensions().get::<LiveSpan>() {
            return Some(f(record));
        }
        span = current.parent();
    }
    None
}

/// Runs `f` on the record of the `tracing` span `id`, or of its nearest traced ancestor, in
/// the registry of the current subscriber (obs's).
pub(crate) fn with_nearest<R>(id: &Id, f: impl FnOnce(&LiveSpan) -> R) -> Option<R> {
    let mut f = Some(f);
    tracing::dispatcher::get_default(|dispatch| {
        let registry = dispatch.downcast_ref::<Registry>()?;
        nearest(registry.span(id), |record| f.take().map(|f| f(record))).flatten()
    })
}

/// Runs `f` on the record of the `tracing` span `id`, if obs traces it.
pub(crate) fn with_traced<R>(id: &Id, f: impl FnOnce(&LiveSpan) -> R) -> Option<R> {
    let mut f = Some(f);
    tracing::dispatcher::get_default(|dispatch| {
        let registry = dispatch.downcast_ref::<Registry>()?;
        let span = registry.span(id)?;
        let extensions = span.extensions();
        let record = extensions.get::<LiveSpan>()?;
        f.take().map(|f| f(record))
    })
}

/// Runs `f` on the record of the `tracing` span `id`, mutably, if obs traces it.
pub(crate) fn with_traced_mut<R>(id: &Id, f: impl FnOnce(&mut LiveSpan) -> R) -> Option<R> {
    let mut f = Some(f);
    tracing::dispatcher::get_default(|dispatch| {
        let registry = dispatch.downcast_ref::<Registry>()?;
        let span = registry.span(id)?;
        let mut extensions = span.extensions_mut();
        let record = extensions.get_mut::<LiveSpan>()?;
        f.take().map(|f| f(record))
    })
}
