//! Throughput of the PII scrubber (MB/s) on realistic log lines, with and without personal data,
//! beside a single pass over the same lines (`memchr` looking for a byte none of them holds):
//! the speed of memory-class scanning on this machine in the same run, since absolute times
//! drift on a shared machine.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

fn lines(with_pii: bool) -> Vec<String> {
    (0..1_000u32)
        .map(|i| {
            if with_pii && i.is_multiple_of(4) {
                format!("order {i} placed by jane.doe{i}@example.com with card 4242 4242 4242 4242, session token=sk_{i}abcdef")
            } else {
                format!("GET /api/orders/{i} completed in {} ms status=200 request_id=9f1c{i:04x}-1b2e trace=4bf92f3577b34da6", i % 97)
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("scrub");
    let clean = lines(false);
    group.throughput(Throughput::Bytes(clean.iter().map(String::len).sum::<usize>() as u64));
    group.bench_function("reference: one memchr pass, clean log lines", |b| {
        b.iter(|| {
            for line in &clean {
                black_box(memchr::memchr(b'\0', black_box(line.as_bytes())));
            }
        })
    });
    for (name, with_pii) in [("clean log lines", false), ("25% of lines with PII", true)] {
        let lines = lines(with_pii);
        let bytes: usize = lines.iter().map(String::len).sum();
        group.throughput(Throughput::Bytes(bytes as u64));
        group.bench_function(name, |b| {
            b.iter(|| {
                for line in &lines {
                    black_box(obs::scrub::scrub(black_box(line)));
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
