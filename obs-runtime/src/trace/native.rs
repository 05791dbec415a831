//! obs's own spans: the path `#[observe]` takes when obs's runtime owns the subscriber.
//!
//! A `tracing` span goes through the registry (a slab slot, an extension map, a dozen dynamic
//! calls and per-layer filter look-ups on enter, exit and close) before obs's layer sees it:
//! about 400 ns per call here, three times the rest of an observed call. When `obs::init` installed
//! the subscriber and no other layer listens, none of that is needed: an observed function's span
//! is a [`SpanRecord`] kept in its `Call` and entered on the thread's [`current`] stack, where
//! `tracing` spans and events inside it find it as their parent, and log lines their trace.
//! With any other subscriber (a test's, `tracing-opentelemetry`, or user layers added to obs's),
//! observed functions make ordinary `tracing` spans.
//!
//! What `tracing` users give up on this path: `tracing::Span::current()` inside an observed
//! function is the nearest `tracing` span around it, not the function's own (use
//! [`crate::trace::context::current`] to carry obs's context to another thread or task).

use super::current::{self, Slot};
use super::exemplar::ExemplarSink;
use super::fields::{FieldValue, Visitor};
use super::lineage::Explicit;
use super::local_trace::{LiveSpan, LocalTrace};
use super::pipeline::Pipeline;
use super::registry::with_traced;
use crate::hotpath::spares::Spares;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use tracing::Metadata;
use tracing_subscriber::layer::Filter;
use tracing_subscriber::{EnvFilter, Registry};

struct Native {
    pipeline: Arc<Pipeline>,
    /// The trace filter (`OBS_TRACES_FILTER`), asked once per site.
    filter: EnvFilter,
}

static STATE: OnceLock<Native> = OnceLock::new();
static ON: AtomicBool = AtomicBool::new(false);

/// Turns obs's own span path on, for the process (once: the first subscriber obs installs).
pub(crate) fn install(pipeline: Arc<Pipeline>, filter: EnvFilter) {
    if STATE.set(Native { pipeline, filter }).is_ok() {
        ON.store(true, Ordering::Release);
    }
}

/// Whether observed functions take obs's own span path.
#[inline]
pub(crate) fn is_on() -> bool {
    ON.load(Ordering::Relaxed)
}

/// What obs's own span path needs of an observed function's callsite (`observe::Site`): its
/// span's name and `tracing` metadata, and a place to keep the trace filter's verdict.
pub(crate) trait SpanSite {
    /// The span name.
    fn span_name(&self) -> &'static str;
    /// The span's metadata, for the trace filter and for visiting its fields.
    fn metadata(&'static self) -> &'static Metadata<'static>;
    /// Whether the site is traced, as `filter` (asked once, then remembered) decides.
    fn is_traced(&'static self, filter: impl FnOnce(&'static Metadata<'static>) -> bool) -> bool;
    /// Where an exported span of the site leaves its exemplar.
    fn exemplar_sink(&'static self) -> &'static dyn ExemplarSink;
}

/// Starts a span of `site` that records `values` (the site's fields, in order), inside the
/// current span or as a new trace; `None` when the path is off or the trace filter excludes the
/// site. The record is built in its final place, which stays put while the call runs.
#[inline]
pub(crate) fn start<S: SpanSite>(
    site: &'static S,
    values: &[&dyn tracing::Value],
    start_raw: u64,
    explicit: Option<&Explicit>,
) -> Option<Box<Slot>> {
    let native = STATE.get()?;
    let filter = |metadata: &'static Metadata<'static>| {
        !<EnvFilter as Filter<Registry>>::callsite_enabled(&native.filter, metadata).is_never()
    };
    if !site.is_traced(filter) {
        return None;
    }
    let parent = match explicit {
        None => current::parent(|id| with_traced(id, LiveSpan::as_parent))
            .unwrap_or_else(|| native.pipeline.root()),
        Some(explicit) => explicit.parent(&native.pipeline),
    };
    let mut slot = Spares::take(&SLOTS).unwrap_or_default();
    slot.metadata.set(Some(site.metadata()));
    let record = slot.record.get_mut().insert(LiveSpan::new(parent, site.span_name(), start_raw));
    record.exemplar = Some(site.exemplar_sink());
    if record.trace.is_recording() && !values.is_empty() {
        let mut visitor = Visitor(|field: &tracing::field::Field, value: FieldValue<'_>| {
            record.record_field(field, value)
        });
        for (field, value) in site.metadata().fields().iter().zip(values) {
            value.record(&field, &mut visitor);
        }
    }
    Some(slot)
}

thread_local! {
    /// Empty slots, for the next spans of this thread. Boxes: a slot's address is what the
    /// thread's span stack holds while the call runs.
    static SLOTS: Spares<Box<Slot>> = const { Spares::new() };
}

/// Returns the slot of an ended span.
pub(crate) fn recycle(slot: Box<Slot>) {
    if slot.record.try_borrow().is_ok_and(|record| record.is_none())
        && slot.stand_in.get().is_none()
    {
        Spares::keep(&SLOTS, slot);
    }
}

/// Ends a span started by [`start`] (the slot is then empty), and lets go of the `tracing`
/// span standing in for it, if one was made.
pub(crate) fn end(slot: &Slot, end_raw: u64) {
    let Some(native) = STATE.get() else { return };
    if let Ok(mut record) = slot.record.try_borrow_mut()
        && let Some(span) = record.as_mut()
    {
        span.end = end_raw;
        native.pipeline.span_ended(&mut record);
        // Dropped here, unless buffered or exported: its trace can then be reused. (In place:
        // moving a record out of its slot costs more than the reference count's two updates.)
        let trace = record.as_ref().map(|span| span.trace.clone());
        *record = None;
        if let Some(trace) = trace {
            LocalTrace::recycle(trace);
        }
    }
    if let Some(stand_in) = slot.stand_in.take() {
        tracing::dispatcher::get_default(|dispatch| {
            dispatch.try_close(tracing::span::Id::from_non_zero_u64(stand_in))
        });
    }
}
