//! The export queue: a bounded queue and one thread that sends batches to a [`SpanSink`].
//!
//! Spans cross the queue as obs's records: the thread, not the program's, turns them into
//! OpenTelemetry's `SpanData` (scrubbing their text on the way). It wakes up every `delay`, or
//! when a producer thread has queued a batch's worth since it last asked, never once per span:
//! a wake-up is a system call.
//!
//! Written here rather than using `opentelemetry_sdk`'s `BatchSpanProcessor` because obs must
//! count what it drops (a full queue, a failed export) as metrics, and the processor keeps those
//! counts private. The exporters themselves are OpenTelemetry's (`opentelemetry-otlp`) or any
//! `SpanExporter` a user passes.

use super::SpanSink;
use crate::pii::scrub::Scrubbed;
use crate::trace::counters::Counters;
use crate::trace::span::Exported;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TrySendError, bounded};
use opentelemetry::InstrumentationScope;
use opentelemetry_sdk::trace::SpanData;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

enum Control {
    /// A batch's worth is queued.
    Wake,
    /// Export everything queued, then answer.
    Flush(Sender<()>),
    /// Export everything queued, shut the exporter down, answer, and stop.
    Shutdown(Sender<Result<(), String>>, Duration),
}

thread_local! {
    /// Spans this thread has queued: every batch's worth of them wakes the export thread.
    static PUSHED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// The producer side, held by the pipeline.
pub(crate) struct ExportQueue {
    spans: Sender<Exported>,
    control: Sender<Control>,
    /// A `Wake` is on its way.
    waking: Arc<AtomicBool>,
    batch: usize,
    worker: Mutex<Option<JoinHandle<()>>>,
}

/// Settings of the export thread.
pub(crate) struct QueueSettings {
    pub(crate) capacity: usize,
    pub(crate) batch: usize,
    pub(crate) delay: Duration,
}

impl ExportQueue {
    /// Starts the export thread.
    pub(crate) fn start(
        sink: Box<dyn SpanSink>,
        settings: QueueSettings,
        counters: Arc<Counters>,
    ) -> std::io::Result<ExportQueue> {
        let scope =
            InstrumentationScope::builder("obs").with_version(env!("CARGO_PKG_VERSION")).build();
        let (spans, spans_rx) = bounded(settings.capacity.max(1));
        let (control, control_rx) = bounded(4);
        let waking = Arc::new(AtomicBool::new(false));
        let batch = settings.batch.max(1);
        let worker = Worker {
            sink,
            scope,
            spans: spans_rx,
            control: control_rx,
            waking: waking.clone(),
            settings,
            counters,
        };
        let worker = std::thread::Builder::new()
            .name("obs-trace-export".into())
            .spawn(move || worker.run())?;
        Ok(ExportQueue { spans, control, waking, batch, worker: Mutex::new(Some(worker)) })
    }

    /// Queues a finished span; never blocks. `false` if the queue was full (the span is
    /// dropped).
    pub(crate) fn push(&self, span: Exported) -> bool {
        match self.spans.try_send(span) {
            Ok(()) => {
                // Counted per thread: asking the channel its length reads the consumer's side,
                // a cache line the export thread writes on every span it takes.
                let pushed = PUSHED.get().wrapping_add(1);
                PUSHED.set(pushed);
                if pushed.is_multiple_of(self.batch) && !self.waking.swap(true, Ordering::Relaxed) {
                    let _ = self.control.try_send(Control::Wake);
                }
                true
            }
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => false,
        }
    }

    /// Exports what is queued; waits at most `timeout`.
    pub(crate) fn flush(&self, timeout: Duration) -> bool {
        let (ack, done) = bounded(1);
        self.control.send_timeout(Control::Flush(ack), timeout).is_ok()
            && done.recv_timeout(timeout).is_ok()
    }

    /// Exports what is queued and stops the thread; waits at most `timeout`.
    pub(crate) fn shutdown(&self, timeout: Duration) -> Result<(), crate::ShutdownError> {
        let started = Instant::now();
        let (ack, done) = bounded(1);
        if self.control.send_timeout(Control::Shutdown(ack, timeout), timeout).is_err() {
            return Err(crate::ShutdownError::Timeout(timeout));
        }
        let remaining = timeout.saturating_sub(started.elapsed());
        let result = match done.recv_timeout(remaining) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(crate::ShutdownError::Exporter(e)),
            Err(_) => return Err(crate::ShutdownError::Timeout(timeout)),
        };
        if let Some(worker) = self.worker.lock().unwrap_or_else(PoisonError::into_inner).take() {
            let _ = worker.join();
        }
        result
    }
}

struct Worker {
    sink: Box<dyn SpanSink>,
    scope: InstrumentationScope,
    spans: Receiver<Exported>,
    control: Receiver<Control>,
    waking: Arc<AtomicBool>,
    settings: QueueSettings,
    counters: Arc<Counters>,
}

impl Worker {
    fn run(mut self) {
        let mut batch = Vec::with_capacity(self.settings.batch);
        let mut deadline = Instant::now() + self.settings.delay;
        loop {
            let wait = deadline.saturating_duration_since(Instant::now());
            match self.control.recv_timeout(wait) {
                Ok(Control::Wake) => {
                    self.drain(&mut batch);
                    // Producers may ask again once this drain is over, not while it runs.
                    self.waking.store(false, Ordering::Relaxed);
                }
                Ok(Control::Flush(ack)) => {
                    self.drain(&mut batch);
                    let _ = ack.send(());
                }
                Ok(Control::Shutdown(ack, timeout)) => {
                    self.drain(&mut batch);
                    let _ = ack.send(self.sink.shutdown(timeout));
                    return;
                }
                Err(RecvTimeoutError::Timeout) => {
                    self.drain(&mut batch);
                    deadline = Instant::now() + self.settings.delay;
                }
                Err(RecvTimeoutError::Disconnected) => {
                    self.drain(&mut batch);
                    return;
                }
            }
        }
    }

    /// Exports everything queued so far, in batches.
    fn drain(&mut self, batch: &mut Vec<Scrubbed<SpanData>>) {
        while let Ok(span) = self.spans.try_recv() {
            if !span.stand_in {
                crate::trace::exemplar::on_export(crate::trace::exemplar::Leaving {
                    exemplar: crate::trace::exemplar::Exemplar {
                        trace_id: span.trace.trace_id,
                        span_id: span.span_id,
                        value: crate::hotpath::clock::delta_ns(span.start, span.end) as f64 / 1e9,
                        at: crate::hotpath::clock::wall_of(span.end),
                    },
                    sink: span.exemplar,
                    failed: span.failed(),
                    kind: &span.kind,
                    attributes: &span.attributes,
                });
            }
            batch.push(span.into_span_data(&self.scope));
            if batch.len() >= self.settings.batch {
                self.send(batch);
            }
        }
        self.send(batch);
    }

    fn send(&mut self, batch: &mut Vec<Scrubbed<SpanData>>) {
        if batch.is_empty() {
            return;
        }
        let spans = std::mem::replace(batch, Vec::with_capacity(self.settings.batch));
        let n = spans.len() as u64;
        let counters = &self.counters;
        match self.sink.export(spans) {
            Ok(()) => counters.exported(n),
            Err(error) => {
                let failures = counters.export_failed(n);
                // Say so on stderr, not through tracing (which would feed this pipeline), and
                // not on every failure while a collector is down.
                if failures.is_power_of_two() || failures == 0 {
                    eprintln!(
                        "obs: trace export failed ({} failures so far, {n} spans dropped this time): {error}",
                        failures + 1
                    );
                }
            }
        }
    }
}
