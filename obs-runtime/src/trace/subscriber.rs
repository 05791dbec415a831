//! `ObsSubscriber`: the subscriber `obs::init` installs, the `tracing` registry and obs's layers
//! wrapped so that obs's own spans (see [`super::native`]) take part in `tracing`'s context.
//!
//! It keeps the thread's [`current`] stack of entered spans, and answers
//! `tracing::Span::current()` inside an observed function with a `tracing` span that *stands in*
//! for obs's span, made the first time it is asked for: the same trace and span id, so that
//! `Span::current().in_scope(..)` or `.instrument(Span::current())` on another thread or task
//! parents spans and correlates logs as the function's own span would, and `record(..)` on it
//! reaches the function's span while it runs. The stand-in is never exported; it keeps the trace
//! open (undecided) while someone holds it.
//!
//! `tracing-subscriber` has no hook for either (a layer cannot answer `current_span`), hence this
//! thin wrapper; everything else is passed through.

use super::current::{self, Slot};
use super::local_trace::LiveSpan;
use std::any::TypeId;
use std::cell::RefCell;
use tracing::field::{Field, Value};
use tracing::level_filters::LevelFilter;
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Metadata, Subscriber};
use tracing_core::span;

thread_local! {
    /// The record of a stand-in being created, for `ObsLayer::on_new_span` to take.
    static PENDING: RefCell<Option<LiveSpan>> = const { RefCell::new(None) };
}

/// The stand-in record waiting for the span being created on this thread, if any.
pub(crate) fn take_pending_stand_in() -> Option<LiveSpan> {
    PENDING.try_with(|pending| pending.try_borrow_mut().ok()?.take()).ok().flatten()
}

/// Wraps the subscriber `obs::init` builds.
pub(crate) struct ObsSubscriber<S> {
    inner: S,
}

impl<S: Subscriber> ObsSubscriber<S> {
    pub(crate) fn new(inner: S) -> Self {
        ObsSubscriber { inner }
    }

    /// The `tracing` span standing in for the obs span in `slot`, made on first use.
    fn stand_in(&self, slot: &Slot) -> Option<span::Current> {
        let metadata = slot.metadata.get()?;
        if let Some(id) = slot.stand_in.get() {
            return Some(span::Current::new(Id::from_non_zero_u64(id), metadata));
        }
        let record = slot.record.try_borrow().ok()?.as_ref()?.stand_in();
        let _ = PENDING.try_with(|pending| pending.replace(Some(record)));
        let none: [(&Field, Option<&dyn Value>); 0] = [];
        let values = metadata.fields().value_set(&none);
        let id = self.inner.new_span(&Attributes::new_root(metadata, &values));
        // Not taken if obs's layer filtered the span out: it then stands in for nothing.
        drop(take_pending_stand_in());
        slot.stand_in.set(Some(id.into_non_zero_u64()));
        Some(span::Current::new(id, metadata))
    }
}

impl<S: Subscriber> Subscriber for ObsSubscriber<S> {
    fn on_register_dispatch(&self, subscriber: &tracing::Dispatch) {
        self.inner.on_register_dispatch(subscriber);
    }

    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        self.inner.register_callsite(metadata)
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        self.inner.enabled(metadata)
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        self.inner.max_level_hint()
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        self.inner.new_span(span)
    }

    fn record(&self, span: &Id, values: &Record<'_>) {
        let forwarded = current::with_stood_in(span, |record| {
            if record.trace.is_recording() {
                record.record(values);
            }
        });
        if forwarded.is_none() {
            self.inner.record(span, values);
        }
    }

    fn record_follows_from(&self, span: &Id, follows: &Id) {
        self.inner.record_follows_from(span, follows);
    }

    fn event_enabled(&self, event: &Event<'_>) -> bool {
        self.inner.event_enabled(event)
    }

    fn event(&self, event: &Event<'_>) {
        self.inner.event(event);
    }

    fn enter(&self, span: &Id) {
        current::enter_tracing(span);
        self.inner.enter(span);
    }

    fn exit(&self, span: &Id) {
        self.inner.exit(span);
        current::exit_tracing(span);
    }

    fn clone_span(&self, id: &Id) -> Id {
        self.inner.clone_span(id)
    }

    fn try_close(&self, id: Id) -> bool {
        self.inner.try_close(id)
    }

    fn current_span(&self) -> span::Current {
        current::with_native(|slot| self.stand_in(slot))
            .flatten()
            .unwrap_or_else(|| self.inner.current_span())
    }

    unsafe fn downcast_raw(&self, id: TypeId) -> Option<*const ()> {
        if id == TypeId::of::<Self>() {
            return Some(self as *const Self as *const ());
        }
        // SAFETY: forwarded as is; the inner subscriber answers for its own types.
        unsafe { self.inner.downcast_raw(id) }
    }
}
