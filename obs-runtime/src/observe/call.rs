//! One observed call in progress: the guard the generated code holds while the body runs.

use super::capture;
use super::outcome::{Outcome, Verdict};
use super::site::Site;
use super::stats::{self, Stats};
use crate::hotpath::clock;
use crate::names::{ERROR_TYPE, STATUS_CODE, STATUS_DESCRIPTION};
use crate::trace::lineage::Explicit;
use crate::trace::{current, native};
use std::cell::Cell;
use std::fmt;
use tracing::Span;

/// How an observed call is traced.
enum Traced {
    /// Not at all (filtered out, or nothing listens).
    Off,
    /// By a `tracing` span.
    Tracing(Span),
    /// By obs's own span (see `trace::native`), whose record lives here while the call runs.
    Native(Box<current::Slot>),
}

/// An observed call. Created before the body runs; [`Call::complete`] records how it ended.
///
/// Dropped without `complete` (a panic unwinding through it, or a future dropped early) it
/// records `panic` or `cancelled`, so the in-flight gauge always returns to its value.
#[doc(hidden)]
pub struct Call {
    traced: Traced,
    site: &'static Site,
    business_event: bool,
    stats: Option<&'static Stats>,
    start: u64,
    completed: Cell<bool>,
    /// Nanoseconds spent in polls, for an async call on obs's own span path (`None` until
    /// polled).
    busy_ns: Cell<Option<u64>>,
}

/// Which span path observed calls take right now (see `trace::native`).
#[doc(hidden)]
pub enum Mode {
    /// Nothing to record: run the body directly.
    Off,
    /// Make a `tracing` span.
    Tracing,
    /// obs's own span.
    Native,
}

/// The span path of a call of `site` at `level`: one or two relaxed loads.
#[doc(hidden)]
#[inline]
pub fn mode(level: tracing::Level) -> Mode {
    if native::is_on() && !capture::is_active() {
        Mode::Native
    } else if stats::is_collecting() || tracing::level_enabled!(level) || capture::is_active() {
        Mode::Tracing
    } else {
        Mode::Off
    }
}

/// The span of a call, entered on this thread while the guard lives.
#[doc(hidden)]
pub struct Entered<'a> {
    _tracing: Option<tracing::span::Entered<'a>>,
    _native: Option<current::Entered<'a>>,
}

impl Call {
    /// Starts a call of `site` inside the `tracing` span `span`.
    #[inline]
    pub fn start(site: &'static Site, span: Span) -> Call {
        Call::new(site, Traced::Tracing(span), clock::now())
    }

    /// Starts a call of `site` on obs's own span path, recording `values` (the site's fields).
    #[inline]
    pub fn native(site: &'static Site, values: &[&dyn tracing::Value]) -> Call {
        Call::native_with(site, values, None)
    }

    /// [`Call::native`], the span's parent given (`parent = …`).
    #[inline]
    pub fn native_with(
        site: &'static Site,
        values: &[&dyn tracing::Value],
        parent: Option<&Explicit>,
    ) -> Call {
        let start = clock::now();
        let traced = match native::start(site, values, start, parent) {
            Some(slot) => Traced::Native(slot),
            None => Traced::Off,
        };
        Call::new(site, traced, start)
    }

    /// Links the call's span to other spans (`follows_from = …`).
    pub fn link(&self, links: Vec<opentelemetry::trace::Link>) {
        if links.is_empty() {
            return;
        }
        match &self.traced {
            Traced::Off => {}
            Traced::Tracing(span) => {
                if let Some(id) = span.id() {
                    crate::trace::registry::with_traced_mut(&id, |record| {
                        record.links.extend(links);
                    });
                }
            }
            Traced::Native(slot) => {
                if let Ok(mut record) = slot.record.try_borrow_mut()
                    && let Some(record) = record.as_mut()
                {
                    record.links.extend(links);
                }
            }
        }
    }

    #[inline]
    fn new(site: &'static Site, traced: Traced, start: u64) -> Call {
        let stats = stats::is_collecting().then(|| site.stats());
        if let Some(stats) = stats {
            stats.start();
        }
        let business_event = site.operation().is_some_and(|op| op.business_event.is_some());
        Call {
            traced,
            site,
            business_event,
            stats,
            start,
            completed: Cell::new(false),
            busy_ns: Cell::new(None),
        }
    }

    /// Enters the call's span on this thread until the guard is dropped.
    #[inline]
    pub fn enter(&self) -> Entered<'_> {
        match &self.traced {
            Traced::Off => Entered { _tracing: None, _native: None },
            Traced::Tracing(span) => Entered { _tracing: Some(span.enter()), _native: None },
            Traced::Native(slot) => Entered { _tracing: None, _native: Some(current::enter(slot)) },
        }
    }

    /// Whether the call's span is obs's own (whose busy time the call measures itself; a
    /// `tracing` span's is measured by obs's layer as it is entered and exited).
    #[inline]
    pub(crate) fn is_native(&self) -> bool {
        matches!(self.traced, Traced::Native(_))
    }

    /// A poll of the call's future took `ns`.
    #[inline]
    pub(crate) fn polled(&self, ns: u64) {
        self.busy_ns.set(Some(self.busy_ns.get().unwrap_or(0).saturating_add(ns)));
    }

    /// Records how the call ended.
    #[inline]
    pub fn complete(&self, verdict: Verdict) {
        if !self.completed.replace(true) {
            self.finish(verdict);
        }
    }

    /// Records the error's `Display` as the span's status description (`err`).
    pub fn record_error(&self, error: &dyn fmt::Display) {
        match &self.traced {
            Traced::Off => {}
            Traced::Tracing(span) => {
                span.record(STATUS_DESCRIPTION, tracing::field::display(error));
            }
            Traced::Native(slot) => {
                if let Ok(mut record) = slot.record.try_borrow_mut()
                    && let Some(record) = record.as_mut()
                {
                    record.status_description = Some(error.to_string());
                }
            }
        }
    }

    #[inline]
    fn finish(&self, verdict: Verdict) {
        let end = clock::now();
        if let Some(stats) = self.stats {
            stats.finish(verdict.outcome, clock::delta_ns(self.start, end));
            if let Some(golden) = &stats.golden {
                golden_outcome(golden, verdict, self.business_event);
            }
        }
        if capture::is_active() {
            let ns = clock::delta_ns(self.start, end);
            capture::with(|observer| observer.call_ended(self.site, verdict, ns));
        }
        if verdict.outcome.is_failure() {
            self.mark_failed(verdict);
        }
        if let Traced::Native(slot) = &self.traced {
            if let Some(busy) = self.busy_ns.get()
                && let Ok(mut record) = slot.record.try_borrow_mut()
                && let Some(record) = record.as_mut()
            {
                record.busy_ns = Some(busy);
            }
            native::end(slot, end);
        }
    }

    /// The call ends without a return value: unwinding, or a future dropped early.
    #[cold]
    #[inline(never)]
    fn abandon(&self) {
        let verdict = if std::thread::panicking() {
            Verdict { outcome: Outcome::Panic, error_type: Some("panic") }
        } else {
            Verdict { outcome: Outcome::Cancelled, error_type: None }
        };
        self.finish(verdict);
    }

    #[cold]
    #[inline(never)]
    fn mark_failed(&self, verdict: Verdict) {
        match &self.traced {
            Traced::Off => {}
            Traced::Tracing(span) => {
                span.record(STATUS_CODE, "ERROR");
                if let Some(error_type) = verdict.error_type {
                    span.record(ERROR_TYPE, error_type);
                }
            }
            Traced::Native(slot) => {
                if let Ok(mut record) = slot.record.try_borrow_mut()
                    && let Some(record) = record.as_mut()
                {
                    record.fail(verdict.error_type);
                }
            }
        }
    }
}

/// Golden-signal bookkeeping of an operation's call: failures by type, business events.
#[cold]
fn golden_outcome(golden: &crate::golden::GoldenCounters, verdict: Verdict, business_event: bool) {
    if let Some(error_type) = verdict.operation_error() {
        golden.failed(error_type);
    } else if verdict.outcome == Outcome::Ok && business_event {
        golden.business_event();
    }
}

impl Drop for Call {
    #[inline]
    fn drop(&mut self) {
        if !self.completed.get() {
            self.abandon();
        }
        if let Traced::Native(_) = &self.traced
            && let Traced::Native(slot) = std::mem::replace(&mut self.traced, Traced::Off)
        {
            native::recycle(slot);
        }
    }
}
