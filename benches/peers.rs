//! Cost per call of instrumentation, obs beside its peers, in one criterion run (so that ratios
//! hold on a noisy shared machine). The instrumented function is `black_box(x) + 1`, or a
//! `Result` that fails 1% of the time; sync and async (polled once with a no-op waker).
//!
//! Rows, in the order they run (some configurations are global and can only be turned on):
//! bare; `#[tracing::instrument]` with no subscriber, with fmt filtered to WARN, with
//! tracing-opentelemetry not sampled and sampled; `#[autometrics]` (prometheus-client);
//! fastrace with no reporter and with one; hand-written golden signals with `metrics` handles in a
//! static; obs with nothing installed, metrics only, then `obs::init` in production
//! configuration (trace not kept, trace kept and exported, error path, panic), on 1, 2, 4 and 8
//! threads, and spread over 1, 100, 1,000 and (built with `--cfg obs_bench_ten_thousand`) 10,000
//! distinct functions, observed and bare.
//!
//! `cargo bench --bench peers`; `python3 benches/report.py` writes the table of BENCHMARKS.md.

mod common;

use common::Discard;

use criterion::{Criterion, criterion_group, criterion_main};
use opentelemetry::trace::TracerProvider as _;
use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::sync::{Barrier, OnceLock};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::{Layer, Registry};

// --- the instrumented function, once per instrumentation ------------------------------------

#[derive(Debug)]
pub struct Failed;
impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("failed")
    }
}
impl std::error::Error for Failed {}

fn fails(x: u64) -> bool {
    x.is_multiple_of(100)
}

#[inline(never)]
fn bare(x: u64) -> u64 {
    black_box(x) + 1
}

#[inline(never)]
#[tracing::instrument]
fn traced(x: u64) -> u64 {
    black_box(x) + 1
}

#[inline(never)]
#[tracing::instrument]
async fn traced_async(x: u64) -> u64 {
    black_box(x) + 1
}

#[inline(never)]
#[autometrics::autometrics]
fn auto(x: u64) -> u64 {
    black_box(x) + 1
}

#[inline(never)]
#[autometrics::autometrics]
fn auto_result(x: u64) -> Result<u64, Failed> {
    if fails(x) { Err(Failed) } else { Ok(black_box(x) + 1) }
}

#[inline(never)]
#[autometrics::autometrics]
async fn auto_async(x: u64) -> u64 {
    black_box(x) + 1
}

#[inline(never)]
#[fastrace::trace]
fn fast(x: u64) -> u64 {
    black_box(x) + 1
}

#[inline(never)]
#[fastrace::trace]
async fn fast_async(x: u64) -> u64 {
    black_box(x) + 1
}

#[inline(never)]
#[obs::observe]
fn observed(x: u64) -> u64 {
    black_box(x) + 1
}

/// Functions named `$name` (one call site each, with its own statics), observed or bare as
/// `$kind` says, and `ALL`, listing them.
macro_rules! functions {
    (observed: $($name:ident)*) => {
        $(
            #[inline(never)]
            #[obs::observe]
            pub fn $name(x: u64) -> u64 {
                std::hint::black_box(x) + 1
            }
        )*
        pub const ALL: &[fn(u64) -> u64] = &[$($name),*];
    };
    (bare: $($name:ident)*) => {
        $(
            #[inline(never)]
            pub fn $name(x: u64) -> u64 {
                std::hint::black_box(x) + 1
            }
        )*
        pub const ALL: &[fn(u64) -> u64] = &[$($name),*];
    };
}

/// Modules named `$module`, each of ten functions of `$kind`, and `all()`, listing them.
macro_rules! modules_of_ten {
    ($kind:ident: $($module:ident)*) => {
        $(
            pub mod $module {
                functions!($kind: f0 f1 f2 f3 f4 f5 f6 f7 f8 f9);
            }
        )*
        pub fn all() -> Vec<fn(u64) -> u64> {
            [$($module::ALL),*].concat()
        }
    };
}

/// Modules named `$module`, each of a hundred functions of `$kind`, and `all()`.
macro_rules! modules_of_hundred {
    ($kind:ident: $($module:ident)*) => {
        $(
            pub mod $module {
                modules_of_ten!($kind: m0 m1 m2 m3 m4 m5 m6 m7 m8 m9);
            }
        )*
        pub fn all() -> Vec<fn(u64) -> u64> {
            [$($module::all()),*].concat()
        }
    };
}

/// Modules named `$module`, each of a thousand functions of `$kind`, and `all()`.
#[cfg(obs_bench_ten_thousand)]
macro_rules! modules_of_thousand {
    ($kind:ident: $($module:ident)*) => {
        $(
            pub mod $module {
                modules_of_hundred!($kind: h0 h1 h2 h3 h4 h5 h6 h7 h8 h9);
            }
        )*
        pub fn all() -> Vec<fn(u64) -> u64> {
            [$($module::all()),*].concat()
        }
    };
}

/// 100 and 1,000 distinct functions, observed and bare (the bare ones are the work alone:
/// calling distinct functions in turn costs instruction-cache misses of its own).
mod hundred {
    pub mod observed {
        modules_of_ten!(observed: m0 m1 m2 m3 m4 m5 m6 m7 m8 m9);
    }
    pub mod bare {
        modules_of_ten!(bare: m0 m1 m2 m3 m4 m5 m6 m7 m8 m9);
    }
}

mod thousand {
    pub mod observed {
        modules_of_hundred!(observed: h0 h1 h2 h3 h4 h5 h6 h7 h8 h9);
    }
    pub mod bare {
        modules_of_hundred!(bare: h0 h1 h2 h3 h4 h5 h6 h7 h8 h9);
    }
}

/// 10,000 distinct functions, only with `RUSTFLAGS="--cfg obs_bench_ten_thousand"`: they would
/// be compiled in every build of the benches (the test command's `clippy --all-targets` among
/// them), so the row is asked for, not built by default.
#[cfg(obs_bench_ten_thousand)]
mod ten_thousand {
    pub mod observed {
        modules_of_thousand!(observed: t0 t1 t2 t3 t4 t5 t6 t7 t8 t9);
    }
    pub mod bare {
        modules_of_thousand!(bare: t0 t1 t2 t3 t4 t5 t6 t7 t8 t9);
    }
}

#[inline(never)]
#[obs::observe]
fn observed_result(x: u64) -> Result<u64, Failed> {
    if fails(x) { Err(Failed) } else { Ok(black_box(x) + 1) }
}

#[inline(never)]
#[obs::observe]
async fn observed_async(x: u64) -> u64 {
    black_box(x) + 1
}

#[inline(never)]
#[obs::observe]
fn observed_panic(x: u64) -> u64 {
    if black_box(x) < u64::MAX {
        panic!("bench");
    }
    x
}

#[inline(never)]
#[obs::golden_signals]
fn golden(x: u64) -> u64 {
    black_box(x) + 1
}

/// Golden signals written by hand: `metrics` handles created once and kept in a static.
#[inline(never)]
fn handwritten(x: u64) -> u64 {
    struct Handles {
        calls: metrics::Counter,
        duration: metrics::Histogram,
        in_flight: metrics::Gauge,
    }
    static HANDLES: OnceLock<Handles> = OnceLock::new();
    let handles = HANDLES.get_or_init(|| {
        let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
        let meta = metrics::Metadata::new("bench", metrics::Level::INFO, None);
        let key = |name: &'static str| {
            metrics::Key::from_parts(name, vec![metrics::Label::new("function", "handwritten")])
        };
        use metrics::Recorder as _;
        let handles = Handles {
            calls: recorder.register_counter(&key("calls_total"), &meta),
            duration: recorder.register_histogram(&key("duration_seconds"), &meta),
            in_flight: recorder.register_gauge(&key("in_flight"), &meta),
        };
        // The recorder must outlive the handles: it lives as long as the process.
        std::mem::forget(recorder);
        handles
    });
    let start = Instant::now();
    handles.in_flight.increment(1.0);
    let result = black_box(x) + 1;
    handles.calls.increment(1);
    handles.duration.record(start.elapsed().as_secs_f64());
    handles.in_flight.decrement(1.0);
    result
}

// --- helpers ----------------------------------------------------------------------------------

/// Polls a future that completes at once (none of these await anything).
fn ready<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => unreachable!("the benchmarked futures complete at once"),
    }
}

struct DiscardReporter;
impl fastrace::collector::Reporter for DiscardReporter {
    fn report(&mut self, spans: Vec<fastrace::collector::SpanRecord>) {
        black_box(spans);
    }
}

fn tracing_otel(sampled: bool) -> tracing::Dispatch {
    let sampler = if sampled {
        opentelemetry_sdk::trace::Sampler::AlwaysOn
    } else {
        opentelemetry_sdk::trace::Sampler::AlwaysOff
    };
    let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
        .with_sampler(sampler)
        .with_span_processor(opentelemetry_sdk::trace::BatchSpanProcessor::builder(Discard).build())
        .build();
    let tracer = provider.tracer("bench");
    std::mem::forget(provider);
    tracing::Dispatch::new(
        Registry::default().with(tracing_opentelemetry::layer().with_tracer(tracer)),
    )
}

/// `calls` calls of `f` on each of `threads` threads started together: the wall time per call
/// of one thread.
fn contended(threads: usize, calls: u64, f: fn(u64) -> u64) -> Duration {
    let barrier = Barrier::new(threads + 1);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    let start = Instant::now();
                    for i in 0..calls {
                        black_box(f(black_box(i)));
                    }
                    start.elapsed()
                })
            })
            .collect();
        barrier.wait();
        handles.into_iter().map(|h| h.join().unwrap_or_default()).max().unwrap_or_default()
    })
}

fn obs_remote_parent(sampled: bool) -> opentelemetry::trace::SpanContext {
    use opentelemetry::trace::{SpanContext, SpanId, TraceFlags, TraceId, TraceState};
    let flags = if sampled { TraceFlags::SAMPLED } else { TraceFlags::default() };
    SpanContext::new(
        TraceId::from(0x4bf9_2f35_77b3_4da6u128 << 64 | 1),
        SpanId::from(7u64),
        flags,
        true,
        TraceState::default(),
    )
}

// --- the run ------------------------------------------------------------------------------------

fn bench(c: &mut Criterion) {
    // Before any dispatcher exists: "nothing installed" means no subscriber anywhere (a live
    // dispatcher, even scoped elsewhere, raises tracing's global maximum level).
    let mut g = c.benchmark_group("sync");
    g.bench_function("bare", |b| b.iter(|| bare(black_box(1))));
    g.bench_function("tracing/no subscriber", |b| b.iter(|| traced(black_box(1))));
    g.bench_function("obs/nothing installed", |b| b.iter(|| observed(black_box(1))));
    g.finish();

    let none = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default());
    let fmt_warn = tracing::Dispatch::new(
        Registry::default().with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::sink)
                .with_filter(tracing::level_filters::LevelFilter::WARN),
        ),
    );
    let otel_unsampled = tracing_otel(false);
    let otel_sampled = tracing_otel(true);

    let mut g = c.benchmark_group("sync");
    tracing::dispatcher::with_default(&fmt_warn, || {
        g.bench_function("tracing/fmt WARN", |b| b.iter(|| traced(black_box(1))))
    });
    tracing::dispatcher::with_default(&otel_unsampled, || {
        g.bench_function("tracing/otel not sampled", |b| b.iter(|| traced(black_box(1))))
    });
    tracing::dispatcher::with_default(&otel_sampled, || {
        g.bench_function("tracing/otel sampled", |b| b.iter(|| traced(black_box(1))))
    });
    g.bench_function("autometrics", |b| b.iter(|| auto(black_box(1))));
    g.bench_function("autometrics/result 1% errors", |b| {
        let mut i = 0u64;
        b.iter(|| {
            i += 1;
            auto_result(black_box(i))
        })
    });
    let fastrace_rooted = |b: &mut criterion::Bencher<'_>| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            let mut left = iters;
            while left > 0 {
                let root = fastrace::Span::root("root", fastrace::collector::SpanContext::random());
                let _guard = root.set_local_parent();
                for _ in 0..left.min(1_000) {
                    black_box(fast(black_box(1)));
                }
                left -= left.min(1_000);
            }
            start.elapsed()
        })
    };
    g.bench_function("fastrace/no reporter", fastrace_rooted);
    fastrace::set_reporter(DiscardReporter, fastrace::collector::Config::default());
    g.bench_function("fastrace/reporter", fastrace_rooted);
    g.bench_function("metrics handles (hand-written)", |b| b.iter(|| handwritten(black_box(1))));
    tracing::dispatcher::with_default(&none, || {
        obs::metrics::enable();
        g.bench_function("obs/metrics only", |b| b.iter(|| observed(black_box(1))));
        g.bench_function("obs golden_signals/metrics only", |b| b.iter(|| golden(black_box(1))));
    });

    // The production configuration: JSON logs, Prometheus, traces to an exporter. Ordinary
    // traces are not kept (ratio 0: only failed ones); a sampled remote parent keeps one.
    let telemetry = obs::TelemetryBuilder::new("bench")
        .ignore_env()
        .sampler(obs::config::Sampler::ParentBased(obs::config::RootSampler::TraceIdRatio(0.0)))
        .span_exporter(Discard)
        .prometheus(Some(std::net::SocketAddr::from(([127, 0, 0, 1], 0))))
        .log_writer(std::io::sink)
        .init()
        .or_else(|_| {
            obs::TelemetryBuilder::new("bench")
                .ignore_env()
                .span_exporter(Discard)
                .prometheus(None)
                .log_writer(std::io::sink)
                .init()
        })
        .expect("obs::init");
    let kept = obs_remote_parent(true);
    g.bench_function("obs/production, trace not kept", |b| b.iter(|| observed(black_box(1))));
    g.bench_function("obs golden_signals/production, trace not kept", |b| {
        b.iter(|| golden(black_box(1)))
    });
    let before = telemetry.stats();
    // Timed until the export thread has exported every span of the sample, so the row is the
    // cost of a kept span end to end, not only the program's share of it.
    g.bench_function("obs/production, trace kept and exported", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                black_box(obs::context::with_remote_parent(&kept, || observed(black_box(1))));
            }
            telemetry.flush();
            start.elapsed()
        })
    });
    // Exported, not dropped for a full queue: say how many were (the export thread shares the
    // machine's two cores with the benchmark and the metrics exporter's upkeep).
    telemetry.flush();
    let after = telemetry.stats();
    eprintln!(
        "obs/production, trace kept and exported: {} spans exported, {} dropped (export queue full)",
        after.spans_exported - before.spans_exported,
        after.spans_queue_full - before.spans_queue_full
    );
    g.bench_function("obs/production, result 1% errors (kept)", |b| {
        let mut i = 0u64;
        b.iter(|| {
            i += 1;
            observed_result(black_box(i))
        })
    });
    g.bench_function("obs/production, panicking call", |b| {
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        b.iter(|| std::panic::catch_unwind(|| observed_panic(black_box(1))));
        std::panic::set_hook(hook);
    });
    g.finish();

    let mut g = c.benchmark_group("async");
    g.bench_function("bare", |b| b.iter(|| ready(async { bare(black_box(1)) })));
    tracing::dispatcher::with_default(&otel_unsampled, || {
        g.bench_function("tracing/otel not sampled", |b| {
            b.iter(|| ready(traced_async(black_box(1))))
        })
    });
    g.bench_function("autometrics", |b| b.iter(|| ready(auto_async(black_box(1)))));
    g.bench_function("fastrace/reporter", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            let mut left = iters;
            while left > 0 {
                let root = fastrace::Span::root("root", fastrace::collector::SpanContext::random());
                let _guard = root.set_local_parent();
                for _ in 0..left.min(1_000) {
                    black_box(ready(fast_async(black_box(1))));
                }
                left -= left.min(1_000);
            }
            start.elapsed()
        })
    });
    g.bench_function("obs/production, trace not kept", |b| {
        b.iter(|| ready(observed_async(black_box(1))))
    });
    g.finish();

    // Two threads calling the same function: per-call cost of one thread, against one thread.
    let mut g = c.benchmark_group("threads");
    for (name, f) in [
        ("obs/production, trace not kept", observed as fn(u64) -> u64),
        ("metrics handles (hand-written)", handwritten),
        ("autometrics", auto),
    ] {
        for threads in [1, 2, 4, 8] {
            g.bench_function(
                format!("{name}/{threads} thread{}", if threads == 1 { "" } else { "s" }),
                |b| b.iter_custom(|iters| contended(threads, iters, f)),
            );
        }
    }
    g.finish();

    // Calls spread over 1, 100, 1,000 (and 10,000, when built) distinct functions, in turn:
    // each observed one has its own counters and span site, so the working set grows with the
    // number of functions. The bare functions beside them are the work alone.
    let mut g = c.benchmark_group("functions");
    #[allow(unused_mut)] // extended when the 10,000 row is built
    let mut spreads = vec![
        (1, vec![observed as fn(u64) -> u64], vec![bare as fn(u64) -> u64]),
        (100, hundred::observed::all(), hundred::bare::all()),
        (1000, thousand::observed::all(), thousand::bare::all()),
    ];
    #[cfg(obs_bench_ten_thousand)]
    spreads.push((10_000, ten_thousand::observed::all(), ten_thousand::bare::all()));
    for (count, observed, bare) in spreads {
        for (name, functions) in [("bare", bare), ("obs/production, trace not kept", observed)] {
            g.bench_function(format!("{name}/{count} functions"), |b| {
                let mut i = 0;
                b.iter(|| {
                    i = (i + 1) % functions.len();
                    functions[i](black_box(1))
                })
            });
        }
    }
    g.finish();
    drop(telemetry);
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
