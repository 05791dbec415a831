//! A callsite: one `static` per `#[observe]`d function, made by the generated code.

use crate::golden::Operation;
use crate::stats::Stats;
use std::sync::{Mutex, OnceLock, PoisonError};

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
}

/// Every site whose counters exist, in registration order.
static SITES: Mutex<Vec<&'static Site>> = Mutex::new(Vec::new());

impl Site {
    /// A site for the function `function` of module `module`, whose span is called `name`, with
    /// constant extra metric labels.
    pub const fn new(
        name: &'static str,
        function: &'static str,
        module: &'static str,
        labels: &'static [(&'static str, &'static str)],
    ) -> Self {
        Site { name, function, module, labels, operation: None, stats: OnceLock::new() }
    }

    /// The site of a `#[golden_signals]` operation.
    pub const fn golden(
        name: &'static str,
        function: &'static str,
        module: &'static str,
        labels: &'static [(&'static str, &'static str)],
        operation: &'static Operation,
    ) -> Self {
        Site { name, function, module, labels, operation: Some(operation), stats: OnceLock::new() }
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

/// Every site with counters, in registration order.
pub(crate) fn registered() -> Vec<&'static Site> {
    SITES.lock().unwrap_or_else(PoisonError::into_inner).clone()
}
