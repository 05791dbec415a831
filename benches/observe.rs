//! Cost per call of `#[observe]` on a trivial function (first cut; the full side-by-side
//! comparison with the peers is issue 8).

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

#[inline(never)]
fn bare(x: u64) -> u64 {
    black_box(x) + 1
}

#[obs::observe]
#[inline(never)]
fn observed(x: u64) -> u64 {
    black_box(x) + 1
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("call");
    g.bench_function("bare", |b| b.iter(|| bare(black_box(1))));
    g.bench_function("observe/nothing installed", |b| b.iter(|| observed(black_box(1))));
    obs::metrics::enable();
    g.bench_function("observe/metrics only", |b| b.iter(|| observed(black_box(1))));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
