//! A `tracing` layer that keeps every span and event, to assert on them.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::{Arc, Mutex, OnceLock};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::Registry;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// A recorded field value, with its type.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    I64(i64),
    U64(u64),
    F64(f64),
    Bool(bool),
    Str(String),
    Debug(String),
}

#[derive(Clone, Debug, Default)]
pub struct SpanRecord {
    pub thread: Option<std::thread::ThreadId>,
    pub name: String,
    pub target: String,
    pub level: String,
    pub fields: BTreeMap<String, Value>,
    /// Name of the parent span, if any.
    pub parent: Option<String>,
    pub closed: bool,
}

#[derive(Clone, Debug, Default)]
pub struct EventRecord {
    pub thread: Option<std::thread::ThreadId>,
    pub target: String,
    pub level: String,
    pub fields: BTreeMap<String, Value>,
    /// Name of the span the event belongs to.
    pub span: Option<String>,
}

#[derive(Default)]
struct Store {
    spans: BTreeMap<u64, SpanRecord>,
    order: Vec<u64>,
    closed: u64,
    events: Vec<EventRecord>,
}

#[derive(Clone, Default)]
pub struct Capture(Arc<Mutex<Store>>);

struct Fields<'a>(&'a mut BTreeMap<String, Value>);

impl Visit for Fields<'_> {
    fn record_i64(&mut self, f: &Field, v: i64) {
        self.0.insert(f.name().into(), Value::I64(v));
    }
    fn record_u64(&mut self, f: &Field, v: u64) {
        self.0.insert(f.name().into(), Value::U64(v));
    }
    fn record_f64(&mut self, f: &Field, v: f64) {
        self.0.insert(f.name().into(), Value::F64(v));
    }
    fn record_bool(&mut self, f: &Field, v: bool) {
        self.0.insert(f.name().into(), Value::Bool(v));
    }
    fn record_str(&mut self, f: &Field, v: &str) {
        self.0.insert(f.name().into(), Value::Str(v.into()));
    }
    fn record_debug(&mut self, f: &Field, v: &dyn Debug) {
        self.0.insert(f.name().into(), Value::Debug(format!("{v:?}")));
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let meta = attrs.metadata();
        let mut record = SpanRecord {
            thread: Some(std::thread::current().id()),
            name: meta.name().into(),
            target: meta.target().into(),
            level: meta.level().to_string(),
            parent: ctx.span(id).and_then(|s| s.parent()).map(|p| p.name().to_owned()),
            ..SpanRecord::default()
        };
        attrs.record(&mut Fields(&mut record.fields));
        let mut store = self.0.lock().unwrap();
        store.spans.insert(id.into_u64(), record);
        store.order.push(id.into_u64());
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _: Context<'_, S>) {
        let mut store = self.0.lock().unwrap();
        if let Some(span) = store.spans.get_mut(&id.into_u64()) {
            values.record(&mut Fields(&mut span.fields));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let meta = event.metadata();
        let mut record = EventRecord {
            thread: Some(std::thread::current().id()),
            target: meta.target().into(),
            level: meta.level().to_string(),
            span: ctx.event_span(event).map(|s| s.name().to_owned()),
            ..EventRecord::default()
        };
        event.record(&mut Fields(&mut record.fields));
        self.0.lock().unwrap().events.push(record);
    }

    fn on_close(&self, id: Id, _: Context<'_, S>) {
        let mut store = self.0.lock().unwrap();
        // Span ids are reused after close: rename the closed record's key so it stays unique.
        if let Some(mut span) = store.spans.remove(&id.into_u64()) {
            span.closed = true;
            store.closed += 1;
            let key = u64::MAX - store.closed;
            if let Some(slot) = store.order.iter_mut().rev().find(|k| **k == id.into_u64()) {
                *slot = key;
            }
            store.spans.insert(key, span);
        }
    }
}

/// What one test captured: the spans and events its own thread created.
pub struct Captured {
    spans: Vec<SpanRecord>,
    events: Vec<EventRecord>,
}

impl Captured {
    /// Every span, in creation order.
    pub fn spans(&self) -> Vec<SpanRecord> {
        self.spans.clone()
    }

    /// The only span called `name`; panics when there is not exactly one.
    pub fn span(&self, name: &str) -> SpanRecord {
        let spans: Vec<_> = self.spans.iter().filter(|s| s.name == name).cloned().collect();
        assert_eq!(spans.len(), 1, "expected one span {name}, got {spans:#?}");
        spans.into_iter().next().unwrap()
    }

    pub fn events(&self) -> Vec<EventRecord> {
        self.events.clone()
    }
}

/// The capturing subscriber is the process's global default: tracing caches each callsite's
/// interest globally, and per-thread scoped subscribers in parallel tests race on that cache.
fn global() -> &'static Capture {
    static GLOBAL: OnceLock<Capture> = OnceLock::new();
    GLOBAL.get_or_init(|| {
        let capture = Capture::default();
        tracing::subscriber::set_global_default(Registry::default().with(capture.clone()))
            .expect("the tests own the global subscriber");
        capture
    })
}

/// Runs `f` and returns the spans and events this thread created meanwhile.
pub fn capture<R>(f: impl FnOnce() -> R) -> (Captured, R) {
    let capture = global();
    let thread = std::thread::current().id();
    let (spans_before, events_before) = {
        let store = capture.0.lock().unwrap();
        (store.order.len(), store.events.len())
    };
    let result = f();
    let store = capture.0.lock().unwrap();
    let mine = |t: &Option<std::thread::ThreadId>| *t == Some(thread);
    let spans = store.order[spans_before..]
        .iter()
        .filter_map(|k| store.spans.get(k))
        .filter(|s| mine(&s.thread))
        .cloned()
        .collect();
    let events =
        store.events[events_before..].iter().filter(|e| mine(&e.thread)).cloned().collect();
    (Captured { spans, events }, result)
}

/// Runs a future to completion on a current-thread runtime, capturing what it records.
pub fn capture_async<F: std::future::Future>(f: F) -> (Captured, F::Output) {
    capture(|| block_on(f))
}

pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
}

/// The metrics of the observed function whose span is `name`; collection is on in every test.
pub fn metrics(name: &str) -> obs::metrics::FunctionMetrics {
    obs::metrics::function(name).unwrap_or_else(|| panic!("no metrics for {name}"))
}

/// Calls per result, in `ok, error, panic, cancelled` order.
pub fn calls(name: &str) -> [u64; 4] {
    metrics(name).calls
}

pub fn enable_metrics() {
    obs::metrics::enable();
}
