//! The runtime guard on series beside the compile-time one: a series that would take a metric
//! past its limit of label sets (2,000 by default, `Limits::max_series_per_metric`) goes to one
//! overflow series instead, labelled `otel_metric_overflow="true"` (OpenTelemetry's
//! `otel.metric.overflow` attribute, as Prometheus names it), and is counted in
//! `obs_metric_overflow_total{metric}`. An unexpected label value (an id, a raw path) cannot
//! blow up the exposition or the backend.

use metrics::{Key, Label};
use std::borrow::Cow;
use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::{Mutex, OnceLock, PoisonError};

/// The label of the overflow series.
pub(crate) const OVERFLOW_LABEL: &str = "otel_metric_overflow";

pub(crate) struct SeriesGuard {
    limit: usize,
    /// Per metric name, the label sets admitted (hashed).
    seen: Mutex<HashMap<String, HashSet<u64>>>,
    /// Per metric name, the registrations sent to the overflow series.
    pub(super) overflowed: Mutex<HashMap<String, u64>>,
}

static GUARD: OnceLock<SeriesGuard> = OnceLock::new();

/// The guard of the installed endpoint (the first set wins).
pub(crate) fn install(limit: usize) -> &'static SeriesGuard {
    GUARD.get_or_init(|| SeriesGuard::new(limit))
}

impl SeriesGuard {
    /// A guard that admits `limit` label sets per metric (at least one).
    pub(crate) fn new(limit: usize) -> SeriesGuard {
        SeriesGuard {
            limit: limit.max(1),
            seen: Mutex::new(HashMap::new()),
            overflowed: Mutex::new(HashMap::new()),
        }
    }

    /// `key` if its metric has room for its label set (or already has it), the metric's
    /// overflow series otherwise.
    pub(crate) fn admit<'a>(&self, key: Cow<'a, Key>) -> Cow<'a, Key> {
        if key.labels().len() == 0 {
            return key;
        }
        let mut hasher = DefaultHasher::new();
        for label in key.labels() {
            (label.key(), label.value()).hash(&mut hasher);
        }
        let hash = hasher.finish();
        {
            let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
            let sets = seen.entry(key.name().to_owned()).or_default();
            if sets.contains(&hash) || (sets.len() < self.limit && sets.insert(hash)) {
                return key;
            }
        }
        *self
            .overflowed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(key.name().to_owned())
            .or_default() += 1;
        Cow::Owned(Key::from_parts(key.name().to_owned(), vec![Label::new(OVERFLOW_LABEL, "true")]))
    }
}

/// Publishes `obs_metric_overflow_total{metric}`.
pub(crate) fn publish_metrics() {
    let Some(guard) = GUARD.get() else { return };
    let overflowed = guard.overflowed.lock().unwrap_or_else(PoisonError::into_inner).clone();
    for (metric, n) in overflowed {
        ::metrics::counter!(crate::names::OBS_METRIC_OVERFLOW_TOTAL, "metric" => metric)
            .absolute(n);
    }
}

/// Describes the metrics of this module.
pub(crate) fn describe_metrics() {
    ::metrics::describe_counter!(
        crate::names::OBS_METRIC_OVERFLOW_TOTAL,
        ::metrics::Unit::Count,
        "Registrations of a series beyond its metric's limit, sent to the overflow series"
    );
}
