//! Span export to a local OTLP/HTTP receiver, obs beside OpenTelemetry's own batch processor in
//! one run, and the memory a span costs while it waits in the tail sampler's buffer.
//!
//! The receiver runs in this process on 127.0.0.1: an axum server that decodes every request as
//! OTLP protobuf (`opentelemetry-proto`) and counts the spans it holds, so the benchmark checks
//! that what it timed arrived. (oteltest's receiver, used by the tests, is Python: it would
//! measure Python's protobuf decoding, not the exporters.) Both pipelines send through
//! `opentelemetry-otlp`'s HTTP exporter with the same queue size and batch size; spans are made
//! in runs of a quarter of the queue, each flushed before the next, so a row is the time per
//! span from the call to the receiver's answer, at the rate the exporter sustains.
//!
//! `cargo bench --bench export`

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use prost::Message;
use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicIsize, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tracing_subscriber::Registry;
use tracing_subscriber::layer::SubscriberExt;

// --- heap in use, for the memory of a buffered span -----------------------------------------

/// The system allocator, counting the bytes in use.
struct Counting;

static IN_USE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call forwards to `System` with the caller's arguments; the counter is a side
// effect that does not touch the memory.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        IN_USE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        IN_USE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded as is.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        IN_USE.fetch_add(new_size as isize - layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded as is.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

// --- the receiver ---------------------------------------------------------------------------

/// Spans received so far.
#[derive(Clone, Default)]
struct Received(Arc<AtomicU64>);

impl Received {
    fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

async fn receive(State(received): State<Received>, body: Bytes) -> impl IntoResponse {
    match ExportTraceServiceRequest::decode(body) {
        Ok(request) => {
            let spans: usize = request
                .resource_spans
                .iter()
                .flat_map(|r| &r.scope_spans)
                .map(|s| s.spans.len())
                .sum();
            received.0.fetch_add(spans as u64, Ordering::Relaxed);
            let response = ExportTraceServiceResponse::default().encode_to_vec();
            (StatusCode::OK, [(header::CONTENT_TYPE, "application/x-protobuf")], response)
                .into_response()
        }
        Err(error) => (StatusCode::BAD_REQUEST, error.to_string()).into_response(),
    }
}

/// Starts the receiver on a thread of its own; returns its address.
fn start_receiver(received: Received) -> SocketAddr {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("bind 127.0.0.1");
    let addr = listener.local_addr().expect("local address");
    listener.set_nonblocking(true).expect("non-blocking listener");
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
            let app = axum::Router::new()
                .route("/v1/traces", axum::routing::post(receive))
                .with_state(received);
            axum::serve(listener, app).await.expect("receiver");
        })
    });
    addr
}

// --- the instrumented functions -------------------------------------------------------------

#[obs::observe]
#[inline(never)]
fn observed(x: u64) -> u64 {
    black_box(x) + 1
}

#[inline(never)]
#[tracing::instrument]
fn traced(x: u64) -> u64 {
    black_box(x) + 1
}

/// An operation whose trace stays undecided while it runs: every `step` it calls is buffered
/// until `buffered` returns. Returns the heap the buffered spans hold, per span.
#[obs::observe]
fn buffered(steps: u64) -> f64 {
    let before = IN_USE.load(Ordering::Relaxed);
    for i in 0..steps {
        black_box(step(black_box(i)));
    }
    (IN_USE.load(Ordering::Relaxed) - before) as f64 / steps as f64
}

#[obs::observe]
#[inline(never)]
fn step(x: u64) -> u64 {
    black_box(x) + 1
}

const QUEUE: usize = 8192;
const BATCH: usize = 512;

/// `0..iters` in runs of a quarter of the queue, each flushed before the next starts: the
/// exporter, not the queue's bound, decides the rate, and no span is dropped for a full queue.
fn chunks(iters: u64) -> impl Iterator<Item = std::ops::Range<u64>> {
    let chunk = (QUEUE / 4) as u64;
    (0..iters.div_ceil(chunk)).map(move |n| n * chunk..((n + 1) * chunk).min(iters))
}

fn bench(c: &mut Criterion) {
    let received = Received::default();
    let addr = start_receiver(received.clone());
    let endpoint = format!("http://{addr}");

    // obs: ordinary traces are undecided (ratio 0, failed ones kept); a sampled remote parent
    // keeps a trace from its first span.
    let telemetry = obs::TelemetryBuilder::new("export-bench")
        .ignore_env()
        .sampler(obs::config::Sampler::ParentBased(obs::config::RootSampler::TraceIdRatio(0.0)))
        .otlp_endpoint(endpoint.clone())
        .limits(obs::config::Limits {
            export_queue: QUEUE,
            export_batch: BATCH,
            ..obs::config::Limits::default()
        })
        .prometheus(None)
        .log_writer(std::io::sink)
        .init()
        .expect("obs::init");
    let kept = opentelemetry::trace::SpanContext::new(
        opentelemetry::trace::TraceId::from(0x4bf9_2f35_77b3_4da6u128 << 64 | 1),
        opentelemetry::trace::SpanId::from(7u64),
        opentelemetry::trace::TraceFlags::SAMPLED,
        true,
        opentelemetry::trace::TraceState::default(),
    );

    // The peer: `#[tracing::instrument]`, tracing-opentelemetry, the SDK's batch processor.
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(format!("{endpoint}/v1/traces"))
        .build()
        .expect("OTLP exporter");
    let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
        .with_span_processor(
            opentelemetry_sdk::trace::BatchSpanProcessor::builder(exporter)
                .with_batch_config(
                    opentelemetry_sdk::trace::BatchConfigBuilder::default()
                        .with_max_queue_size(QUEUE)
                        .with_max_export_batch_size(BATCH)
                        .build(),
                )
                .build(),
        )
        .build();
    let otel = tracing::Dispatch::new(
        Registry::default()
            .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("export-bench"))),
    );

    let mut g = c.benchmark_group("export");
    g.throughput(Throughput::Elements(1));

    let before = (telemetry.stats(), received.get());
    g.bench_function("obs/otlp-http, kept spans", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for chunk in chunks(iters) {
                for i in chunk {
                    black_box(obs::context::with_remote_parent(&kept, || observed(black_box(i))));
                }
                telemetry.flush();
            }
            start.elapsed()
        })
    });
    let after = (telemetry.stats(), received.get());
    eprintln!(
        "obs/otlp-http: {} spans received, {} dropped (export queue full), {} failed exports",
        after.1 - before.1,
        after.0.spans_queue_full - before.0.spans_queue_full,
        after.0.spans_export_failed - before.0.spans_export_failed,
    );

    let before = received.get();
    let mut made = 0;
    tracing::dispatcher::with_default(&otel, || {
        g.bench_function("tracing-opentelemetry/otlp-http, sampled spans", |b| {
            b.iter_custom(|iters| {
                made += iters;
                let start = Instant::now();
                for chunk in chunks(iters) {
                    for i in chunk {
                        black_box(traced(black_box(i)));
                    }
                    let _ = provider.force_flush();
                }
                start.elapsed()
            })
        })
    });
    eprintln!(
        "tracing-opentelemetry/otlp-http: {} spans received of {made} made",
        received.get() - before
    );
    g.finish();

    // Memory: one undecided trace of `STEPS` spans, waiting in the tail sampler.
    const STEPS: u64 = 1000;
    let per_span = buffered(STEPS);
    eprintln!(
        "memory per buffered span: {per_span:.0} bytes of heap ({STEPS} spans buffered in one \
         undecided trace; OpenTelemetry's SpanData alone is {} bytes)",
        std::mem::size_of::<opentelemetry_sdk::trace::SpanData>()
    );
    let _ = telemetry.shutdown();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
