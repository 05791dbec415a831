//! `obs why` on a trace file as large as obs writes (64 MiB, where it rotates): parsing the
//! OTLP-JSON lines, then the slow and the failed analyses. `cargo bench --features tools --bench why`.

#[path = "../tests/common/traces.rs"]
mod traces;

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn file_of(bytes: usize) -> String {
    let mut text = String::new();
    let mut seed = 0;
    while text.len() < bytes {
        text.push_str(&traces::lines(&traces::slow_history(5_000, seed)));
        text.push_str(&traces::lines(&traces::failed_checkout(5_000, seed + 1)));
        seed += 2;
    }
    text
}

fn why(c: &mut Criterion) {
    let text = file_of(64 << 20);
    let traces = obs::traceview::parse(&text).unwrap();
    println!("why: {:.1} MiB, {} traces", text.len() as f64 / 1048576.0, traces.len());
    let mut g = c.benchmark_group("why");
    g.sample_size(10);
    g.bench_function("parse 64 MiB", |b| {
        b.iter(|| obs::traceview::parse(black_box(&text)).unwrap())
    });
    g.bench_function("slow, 64 MiB parsed", |b| {
        b.iter(|| {
            obs::why::slow(black_box(&traces), None, obs::why::SlowBy::Percentile(95.0)).unwrap()
        })
    });
    g.bench_function("failed, 64 MiB parsed", |b| {
        b.iter(|| obs::why::failed(black_box(&traces), None, &[]).unwrap())
    });
    g.finish();
}

criterion_group!(benches, why);
criterion_main!(benches);
