//! The `metrics` recorder of a capture: `metrics-util`'s debugging recorder, behind the same
//! label scrubbing as the recorder `obs::init` installs (a test sees label values as they would
//! be exported).

use super::captured::{Metric, MetricValue};
use crate::pii::scrub;
use ::metrics::{Counter, Gauge, Histogram, Key, KeyName, Metadata, Recorder, SharedString, Unit};
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};

pub(super) struct CaptureRecorder {
    inner: DebuggingRecorder,
    snapshotter: Snapshotter,
}

impl Default for CaptureRecorder {
    fn default() -> Self {
        let inner = DebuggingRecorder::new();
        let snapshotter = inner.snapshotter();
        CaptureRecorder { inner, snapshotter }
    }
}

impl CaptureRecorder {
    /// Every series recorded so far, sorted by name and labels.
    pub(super) fn metrics(&self) -> Vec<Metric> {
        let mut metrics: Vec<Metric> = self
            .snapshotter
            .snapshot()
            .into_vec()
            .into_iter()
            .map(|(key, _, _, value)| Metric {
                name: key.key().name().to_owned(),
                labels: key
                    .key()
                    .labels()
                    .map(|label| (label.key().to_owned(), label.value().to_owned()))
                    .collect(),
                value: match value {
                    DebugValue::Counter(count) => MetricValue::Counter(count),
                    DebugValue::Gauge(value) => MetricValue::Gauge(value.into_inner()),
                    DebugValue::Histogram(samples) => MetricValue::Histogram(
                        samples.into_iter().map(|sample| sample.into_inner()).collect(),
                    ),
                },
            })
            .collect();
        metrics.sort_by(|a, b| (&a.name, &a.labels).cmp(&(&b.name, &b.labels)));
        metrics
    }
}

impl Recorder for CaptureRecorder {
    fn describe_counter(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.inner.describe_counter(key, unit, description);
    }
    fn describe_gauge(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.inner.describe_gauge(key, unit, description);
    }
    fn describe_histogram(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.inner.describe_histogram(key, unit, description);
    }
    fn register_counter(&self, key: &Key, metadata: &Metadata<'_>) -> Counter {
        self.inner.register_counter(&scrub::metric_key(key).into_inner(), metadata)
    }
    fn register_gauge(&self, key: &Key, metadata: &Metadata<'_>) -> Gauge {
        self.inner.register_gauge(&scrub::metric_key(key).into_inner(), metadata)
    }
    fn register_histogram(&self, key: &Key, metadata: &Metadata<'_>) -> Histogram {
        self.inner.register_histogram(&scrub::metric_key(key).into_inner(), metadata)
    }
}
