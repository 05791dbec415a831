//! `obs::testing`: assert your own instrumentation in your own tests (feature `testing`).
//!
//! [`capture`] runs a closure and returns what it recorded, as obs would send it: the spans
//! (after sampling, which keeps everything here, and the scrubber), the JSON log lines, and the
//! metric series it changed, by how much. [`capture_async`] does the same for a future.
//!
//! ```
//! use obs::testing::capture;
//!
//! #[derive(Debug)]
//! struct Declined;
//! impl std::fmt::Display for Declined {
//!     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str("declined") }
//! }
//!
//! #[obs::observe(err)]
//! fn charge(cents: u64) -> Result<u64, Declined> {
//!     tracing::info!(cents, "charging");
//!     if cents > 100 { Err(Declined) } else { Ok(cents) }
//! }
//!
//! let (captured, result) = capture(|| charge(500));
//! assert!(result.is_err());
//! let span = captured.span("charge");
//! assert!(span.is_error());
//! assert_eq!(span.status_description(), Some("declined"));
//! assert_eq!(captured.logs()[0].field("trace_id").and_then(|id| id.as_str()), Some(span.trace_id().as_str()));
//! assert_eq!(captured.counter("function_calls_total", &[("function", "charge"), ("result", "error")]), 1);
//! assert_eq!(captured.logs()[0].message(), Some("charging"));
//! captured.assert_nowhere("jane@example.com");
//! ```
//!
//! **Isolated per test.** Nothing is installed for the process: the capture is the current
//! `tracing` dispatcher and the local `metrics` recorder of the thread that runs the closure
//! (of the task, for each poll of the future), and observed calls ending on that thread are
//! handed to it (obs's own counters are shared by every thread). Tests running in parallel
//! threads each see their own calls only, whatever else the process installed. What the closure
//! hands to another thread or task is not captured, as with `tracing::subscriber::with_default`;
//! carry it with [`Scope::current`] and [`Scope::run`] / [`Scope::wrap`].

mod captured;
mod recorder;

pub use captured::{Captured, CapturedEvent, CapturedSpan, Expected, LogLine, Metric, MetricValue};

use crate::logs::JsonLogLayer;
use crate::observe::capture::{self as hook, CallObserver};
use crate::observe::outcome::Verdict;
use crate::observe::site::Site;
use crate::trace::layer::ObsLayer;
use crate::trace::pipeline::Pipeline;
use crate::trace::sampling::{Sampler, SamplingPolicy};
use crate::trace::subscriber::ObsSubscriber;
use opentelemetry::InstrumentationScope;
use opentelemetry_sdk::trace::SpanData;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::task::{Context, Poll};
use tracing::Dispatch;
use tracing_subscriber::Registry;
use tracing_subscriber::fmt::writer::BoxMakeWriter;
use tracing_subscriber::layer::SubscriberExt;

/// Runs `f` and returns what it recorded, with its result.
///
/// ```
/// #[obs::observe]
/// fn add(a: u32, b: u32) -> u32 { a + b }
///
/// let (captured, sum) = obs::testing::capture(|| add(2, 3));
/// assert_eq!(sum, 5);
/// captured.span("add").assert_attribute("a", 2);
/// ```
pub fn capture<R>(f: impl FnOnce() -> R) -> (Captured, R) {
    let scope = Scope::new();
    let result = scope.run(f);
    (scope.captured(), result)
}

/// Runs `future` to completion and returns what it recorded, with its output. Each poll runs in
/// the capture, on whichever thread polls it.
///
/// ```
/// #[obs::observe]
/// async fn fetch(id: u32) -> u32 { id * 2 }
///
/// # futures_executor::block_on(async {
/// let (captured, value) = obs::testing::capture_async(fetch(21)).await;
/// assert_eq!(value, 42);
/// assert_eq!(captured.counter("function_calls_total", &[("function", "fetch"), ("result", "ok")]), 1);
/// # });
/// ```
pub async fn capture_async<F: Future>(future: F) -> (Captured, F::Output) {
    let scope = Scope::new();
    let output = scope.wrap(future).await;
    (scope.captured(), output)
}

/// A capture in progress, to carry into the threads and tasks a test starts.
///
/// ```
/// #[obs::observe]
/// fn work() {}
///
/// let (captured, ()) = obs::testing::capture(|| {
///     let scope = obs::testing::Scope::current().expect("inside a capture");
///     std::thread::scope(|s| {
///         s.spawn(|| scope.run(work));
///     });
/// });
/// assert_eq!(captured.spans_named("work").len(), 1);
/// ```
#[derive(Clone)]
pub struct Scope {
    state: Arc<State>,
}

impl std::fmt::Debug for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scope").finish_non_exhaustive()
    }
}

/// What one capture holds while it runs.
struct State {
    dispatch: Dispatch,
    recorder: recorder::CaptureRecorder,
    spans: Arc<Mutex<Vec<SpanData>>>,
    logs: Arc<Mutex<Vec<u8>>>,
}

thread_local! {
    static CURRENT: std::cell::RefCell<Vec<Arc<State>>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl Scope {
    /// A new, empty capture.
    fn new() -> Scope {
        keep_interest_per_thread();
        let spans = Arc::new(Mutex::new(Vec::new()));
        let logs = Arc::new(Mutex::new(Vec::new()));
        let scope =
            InstrumentationScope::builder("obs").with_version(env!("CARGO_PKG_VERSION")).build();
        let exported = spans.clone();
        // Every trace is kept: a test sees each span as it would be exported.
        let policy = SamplingPolicy {
            sampler: Sampler::AlwaysOn,
            keep_failed: true,
            keep_slower_than: None,
            max_spans_per_trace: 100_000,
            max_traces_buffered: 100_000,
        };
        let pipeline = Arc::new(Pipeline::direct(policy, move |span| {
            let data = span.into_span_data(&scope).into_inner();
            exported.lock().unwrap_or_else(PoisonError::into_inner).push(data);
        }));
        let writer = LogBuffer(logs.clone());
        let subscriber = ObsSubscriber::new(
            Registry::default()
                .with(ObsLayer::new(pipeline))
                .with(JsonLogLayer::new(BoxMakeWriter::new(writer), None)),
        );
        let state = State {
            dispatch: Dispatch::new(subscriber),
            recorder: recorder::CaptureRecorder::default(),
            spans,
            logs,
        };
        Scope { state: Arc::new(state) }
    }

    /// The capture the calling thread or task runs in, if any.
    pub fn current() -> Option<Scope> {
        CURRENT
            .try_with(|current| current.try_borrow().ok()?.last().cloned())
            .ok()
            .flatten()
            .map(|state| Scope { state })
    }

    /// Runs `f` in the capture, on the calling thread.
    pub fn run<R>(&self, f: impl FnOnce() -> R) -> R {
        let _current = Entered::new(&self.state);
        let _observer = hook::set(self.state.clone());
        let _recorder = ::metrics::set_default_local_recorder(&self.state.recorder);
        tracing::dispatcher::with_default(&self.state.dispatch, f)
    }

    /// `future`, each poll of which runs in the capture.
    pub fn wrap<F: Future>(&self, future: F) -> InCapture<F> {
        InCapture { scope: self.clone(), future }
    }

    /// What was captured so far.
    fn captured(&self) -> Captured {
        let spans =
            std::mem::take(&mut *self.state.spans.lock().unwrap_or_else(PoisonError::into_inner));
        let logs =
            std::mem::take(&mut *self.state.logs.lock().unwrap_or_else(PoisonError::into_inner));
        Captured::new(spans, &logs, self.state.recorder.metrics())
    }
}

/// Keeps the capture current on this thread (for [`Scope::current`]) while it lives.
struct Entered;

impl Entered {
    fn new(state: &Arc<State>) -> Entered {
        let _ = CURRENT.try_with(|current| {
            if let Ok(mut current) = current.try_borrow_mut() {
                current.push(state.clone());
            }
        });
        Entered
    }
}

impl Drop for Entered {
    fn drop(&mut self) {
        let _ = CURRENT.try_with(|current| {
            if let Ok(mut current) = current.try_borrow_mut() {
                current.pop();
            }
        });
    }
}

impl CallObserver for State {
    fn call_ended(&self, site: &'static Site, verdict: Verdict, ns: u64) {
        ::metrics::with_local_recorder(&self.recorder, || {
            crate::metrics::bridge::record_call(site, verdict, ns);
        });
    }
}

pin_project_lite::pin_project! {
    /// A future whose polls run in a capture ([`Scope::wrap`]).
    pub struct InCapture<F> {
        scope: Scope,
        #[pin]
        future: F,
    }
}

impl<F: Future> Future for InCapture<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let future = this.future;
        this.scope.run(|| future.poll(cx))
    }
}

/// The capture's log lines, as the JSON log layer writes them.
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for &LogBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogBuffer {
    type Writer = &'a LogBuffer;

    fn make_writer(&'a self) -> Self::Writer {
        self
    }
}

/// Makes `tracing` ask each thread's dispatcher about every callsite, every time.
///
/// `tracing` caches whether a callsite is enabled (its "interest") for the whole process. With
/// one dispatcher registered, `tracing-core` computes that cache from the *calling thread's*
/// dispatcher alone: a callsite first reached on a thread without a capture is then cached as
/// "never", and a capture on another thread misses it. With two or more registered, it combines
/// every live dispatcher's answer. This registers, once, a dispatcher that is nobody's default
/// and answers "sometimes" for every callsite: from then on the combined interest is never
/// "never" (nor "always"), so each event asks its own thread's dispatcher. It relies on the
/// combination rule of `tracing_core::callsite` (`Interest::and` over the registered
/// dispatchers; 0.1.36). The cost, one `enabled` call per callsite reached, is a test process's.
fn keep_interest_per_thread() {
    static SENTINEL: OnceLock<Dispatch> = OnceLock::new();
    SENTINEL.get_or_init(|| Dispatch::new(Sentinel));
}

/// The dispatcher of [`keep_interest_per_thread`]: asked, it enables nothing.
struct Sentinel;

impl tracing::Subscriber for Sentinel {
    fn register_callsite(
        &self,
        _: &'static tracing::Metadata<'static>,
    ) -> tracing::subscriber::Interest {
        tracing::subscriber::Interest::sometimes()
    }

    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(tracing::level_filters::LevelFilter::TRACE)
    }

    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        false
    }

    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }

    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}

    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}

    fn event(&self, _: &tracing::Event<'_>) {}

    fn enter(&self, _: &tracing::span::Id) {}

    fn exit(&self, _: &tracing::span::Id) {}
}
