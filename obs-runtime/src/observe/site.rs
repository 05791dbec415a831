//! A callsite: one `static` per `#[observe]`d function, made by the generated code.

use super::stats::Stats;
use crate::golden::Operation;
use crate::trace::exemplar::{Exemplar, ExemplarSink};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};
use tracing::callsite::{Callsite, Identifier};
use tracing::field::FieldSet;
use tracing::metadata::Kind;
use tracing::subscriber::Interest;
use tracing::{Level, Metadata};

/// The static description of one observed function and the home of its counters.
///
/// The generated code declares one per function; its counters are allocated on the first call
/// made while metrics are collected, and the site is then listed for the metrics bridge.
#[doc(hidden)]
pub struct Site {
    name: &'static str,
    function: &'static str,
    module: &'static str,
    labels: &'static [(&'static str, &'static str)],
    operation: Option<&'static Operation>,
    stats: OnceLock<Stats>,
    span: SpanSite,
}

/// What obs's own span path needs of the site's span (see `trace::native`): `tracing`
/// metadata built on first use, so that the trace filter can judge it and its fields can be
/// visited, and the filter's verdict.
struct SpanSite {
    target: &'static str,
    level: Level,
    fields: &'static [&'static str],
    metadata: OnceLock<Metadata<'static>>,
    /// 0: not asked yet; 1: traced; 2: filtered out.
    traced: AtomicU8,
}

impl SpanSite {
    const fn new(target: &'static str, level: Level, fields: &'static [&'static str]) -> Self {
        SpanSite { target, level, fields, metadata: OnceLock::new(), traced: AtomicU8::new(0) }
    }
}

/// Every site whose counters exist, in registration order.
static SITES: Mutex<Vec<&'static Site>> = Mutex::new(Vec::new());

impl Site {
    /// A site for the function `function` of module `module`, whose span is called `name`,
    /// has `target` and `level` and records `fields` (in the order the generated code passes
    /// their values), with constant extra metric labels.
    pub const fn new(
        name: &'static str,
        function: &'static str,
        module: &'static str,
        target: &'static str,
        level: Level,
        fields: &'static [&'static str],
        labels: &'static [(&'static str, &'static str)],
    ) -> Self {
        Site {
            name,
            function,
            module,
            labels,
            operation: None,
            stats: OnceLock::new(),
            span: SpanSite::new(target, level, fields),
        }
    }

    /// The site of a `#[golden_signals]` operation.
    pub const fn golden(mut self, operation: &'static Operation) -> Self {
        self.operation = Some(operation);
        self
    }

    /// The golden-signal operation of this site, if it is one.
    pub fn operation(&self) -> Option<&'static Operation> {
        self.operation
    }

    /// The `labels(...)` of the function.
    pub fn labels(&self) -> &'static [(&'static str, &'static str)] {
        self.labels
    }

    /// The span name (`module::function`, or the `name = "…"` argument).
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The function's name, the `function` label.
    pub fn function(&self) -> &'static str {
        self.function
    }

    /// The function's module path, the `module` label.
    pub fn module(&self) -> &'static str {
        self.module
    }

    /// The counters, allocated and registered on first use.
    #[inline]
    pub(crate) fn stats(&'static self) -> &'static Stats {
        self.stats.get_or_init(|| {
            SITES.lock().unwrap_or_else(PoisonError::into_inner).push(self);
            Stats::new(self.operation.is_some())
        })
    }

    /// The counters, if this site has been called while metrics were collected.
    pub(crate) fn stats_if_any(&self) -> Option<&Stats> {
        self.stats.get()
    }
}

impl Site {
    /// The `tracing` metadata of the site's span, for obs's own span path.
    pub(crate) fn metadata(&'static self) -> &'static Metadata<'static> {
        let span = &self.span;
        span.metadata.get_or_init(|| {
            Metadata::new(
                self.name,
                span.target,
                span.level,
                None,
                None,
                Some(self.module),
                FieldSet::new(span.fields, Identifier(self)),
                Kind::SPAN,
            )
        })
    }

    /// Whether obs's own span path traces this site, as `filter` (asked once) decides.
    #[inline]
    pub(crate) fn is_traced(
        &'static self,
        filter: impl FnOnce(&'static Metadata<'static>) -> bool,
    ) -> bool {
        match self.span.traced.load(Ordering::Relaxed) {
            1 => true,
            2 => false,
            _ => {
                let traced = filter(self.metadata());
                self.span.traced.store(if traced { 1 } else { 2 }, Ordering::Relaxed);
                traced
            }
        }
    }
}

impl crate::trace::native::SpanSite for Site {
    fn span_name(&self) -> &'static str {
        self.name
    }

    fn metadata(&'static self) -> &'static Metadata<'static> {
        Site::metadata(self)
    }

    fn is_traced(&'static self, filter: impl FnOnce(&'static Metadata<'static>) -> bool) -> bool {
        Site::is_traced(self, filter)
    }

    fn exemplar_sink(&'static self) -> &'static dyn ExemplarSink {
        self
    }
}

impl ExemplarSink for Site {
    fn offer(&'static self, exemplar: Exemplar, error_type: Option<&str>) {
        // Only sites whose calls are counted have series to point from.
        if let Some(stats) = self.stats_if_any() {
            stats.offer_exemplar(exemplar, error_type);
        }
    }
}

/// The site is the callsite of its span's metadata on obs's own span path; `tracing`'s
/// callsite registry never sees it (the generated `tracing::span!` has its own callsite).
impl Callsite for Site {
    fn set_interest(&self, _: Interest) {}

    fn metadata(&self) -> &Metadata<'_> {
        static UNUSED: Metadata<'static> = Metadata::new(
            "obs",
            "obs",
            Level::INFO,
            None,
            None,
            None,
            FieldSet::new(&[], Identifier(&Unused)),
            Kind::SPAN,
        );
        struct Unused;
        impl Callsite for Unused {
            fn set_interest(&self, _: Interest) {}
            fn metadata(&self) -> &Metadata<'_> {
                &UNUSED
            }
        }
        self.span.metadata.get().unwrap_or(&UNUSED)
    }
}

/// Every site with counters, in registration order.
pub(crate) fn registered() -> Vec<&'static Site> {
    SITES.lock().unwrap_or_else(PoisonError::into_inner).clone()
}
