//! Helpers of the `#[observe]` tests. What a test's calls record is asserted through
//! `obs::testing`; the few things it does not export (a span's `tracing` level and target) are
//! seen through a plain `tracing` subscriber, as a program's own subscriber would see them.

use obs::testing::Captured;
use std::sync::{Arc, Mutex, OnceLock};
use tracing::span::{Attributes, Id};
use tracing::{Subscriber, subscriber};
use tracing_subscriber::Registry;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

/// Calls of the observed function whose `function` label is `function`, per result, in
/// `ok, error, panic, cancelled` order, as the capture counted them.
pub fn calls(captured: &Captured, function: &str) -> [u64; 4] {
    ["ok", "error", "panic", "cancelled"].map(|result| {
        captured.counter("function_calls_total", &[("function", function), ("result", result)])
    })
}

pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
}

/// obs's own per-function counters (shared by every thread), for what a capture does not hold:
/// the in-flight gauge and the latency buckets.
pub fn metrics(name: &str) -> obs::metrics::FunctionMetrics {
    obs::metrics::function(name).unwrap_or_else(|| panic!("no metrics for {name}"))
}

pub fn enable_metrics() {
    obs::metrics::enable();
}

/// A span's `tracing` metadata, as a subscriber sees it when the span is created.
#[derive(Clone, Debug)]
pub struct SpanMeta {
    pub name: String,
    pub target: String,
    pub level: String,
    thread: std::thread::ThreadId,
}

/// The `tracing` spans one closure created on its thread.
pub struct TracingSpans(Vec<SpanMeta>);

impl TracingSpans {
    /// The spans called `name`, in creation order.
    pub fn named(&self, name: &str) -> Vec<&SpanMeta> {
        self.0.iter().filter(|s| s.name == name).collect()
    }

    /// The only span called `name`; panics when there is not exactly one.
    pub fn span(&self, name: &str) -> &SpanMeta {
        let spans = self.named(name);
        assert_eq!(spans.len(), 1, "expected one span {name}, got {:#?}", self.0);
        spans[0]
    }
}

#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<SpanMeta>>>);

impl<S: Subscriber> Layer<S> for Recorder {
    fn on_new_span(&self, attrs: &Attributes<'_>, _: &Id, _: Context<'_, S>) {
        let meta = attrs.metadata();
        self.0.lock().unwrap().push(SpanMeta {
            name: meta.name().into(),
            target: meta.target().into(),
            level: meta.level().to_string(),
            thread: std::thread::current().id(),
        });
    }
}

/// The recording subscriber is the process's global default: tracing caches each callsite's
/// interest globally, and per-thread scoped subscribers in parallel tests race on that cache.
fn global() -> &'static Recorder {
    static GLOBAL: OnceLock<Recorder> = OnceLock::new();
    GLOBAL.get_or_init(|| {
        let recorder = Recorder::default();
        subscriber::set_global_default(Registry::default().with(recorder.clone()))
            .expect("the tests own the global subscriber");
        recorder
    })
}

/// Runs `f` (outside any capture) and returns the `tracing` spans this thread created meanwhile.
pub fn tracing_spans<R>(f: impl FnOnce() -> R) -> (TracingSpans, R) {
    let recorder = global();
    let before = recorder.0.lock().unwrap().len();
    let result = f();
    let thread = std::thread::current().id();
    let spans = recorder.0.lock().unwrap()[before..]
        .iter()
        .filter(|s| s.thread == thread)
        .cloned()
        .collect();
    (TracingSpans(spans), result)
}
