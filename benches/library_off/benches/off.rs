//! Bare functions beside the same functions with `#[observe]` and `#[golden_signals]`, obs's
//! `observe` feature off: the ratios are 1 within noise. Before measuring, it checks that the
//! attributes are really off (`observe_off` is the twin of `bare_result`, the others of `bare`): with collection on, the calls leave no metrics and declare no
//! operation.

use criterion::{Criterion, criterion_group, criterion_main};
use library_off::{Counter, bare, bare_result, entry, observed};
use std::hint::black_box;

fn off(c: &mut Criterion) {
    obs::metrics::enable();
    let _ = (observed(1), entry(1), Counter(0).bump());
    assert!(obs::metrics::snapshot().is_empty(), "the attributes are off");
    assert!(obs::golden::operations().is_empty(), "no operation is declared");

    let mut group = c.benchmark_group("library_off");
    group.bench_function("bare", |b| b.iter(|| bare(black_box(7))));
    group.bench_function("bare_result", |b| b.iter(|| bare_result(black_box(7))));
    group.bench_function("observe_off", |b| b.iter(|| observed(black_box(7))));
    group.bench_function("golden_signals_off", |b| b.iter(|| entry(black_box(7))));
    let mut counter = Counter(0);
    group.bench_function("observed_block_off", |b| b.iter(|| counter.bump()));
    group.finish();
}

criterion_group!(benches, off);
criterion_main!(benches);
