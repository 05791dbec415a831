//! Per-callsite statistics: call counts per outcome, calls started, and a latency histogram
//! twice: classic buckets (the bounds below) and exponential ones (Prometheus's native
//! histograms, see `crate::hotpath::exponential`).
//!
//! The hot path must not hash labels, allocate or lock, and two threads calling the same function
//! must not fight over one cache line. So each callsite owns a few cache-line-aligned *stripes*
//! of plain atomic counters; a thread always writes to the stripe its index maps to, and readers
//! (the metrics bridge, snapshots) sum the stripes. The in-flight gauge costs nothing extra: it is
//! calls started minus calls finished.
//!
//! No metrics crate offers striped, pre-labelled counters and histograms whose buckets can be read
//! back; `metrics` handles are one shared atomic per series. That is why this is written here.

use super::outcome::Outcome;
use crate::hotpath::exponential;
use crate::hotpath::striped::thread_index;
use crate::trace::exemplar::{Exemplar, Slots};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering, Ordering::Relaxed};
use std::sync::{Mutex, PoisonError};
use std::time::SystemTime;

/// Whether call statistics are collected (see `crate::metrics::enable`).
static COLLECTING: AtomicBool = AtomicBool::new(false);

/// Starts or stops collecting call statistics.
pub(crate) fn set_collecting(on: bool) {
    COLLECTING.store(on, Ordering::Release);
}

/// Whether call statistics are collected: one relaxed load.
#[inline]
pub(crate) fn is_collecting() -> bool {
    COLLECTING.load(Relaxed)
}

/// Upper bounds, in nanoseconds, of the latency buckets. They extend OpenTelemetry's recommended
/// HTTP duration buckets (5 ms … 10 s) down to 1 µs, since observed functions are often fast.
const BOUNDS_NS: [u64; 25] = [
    1_000,
    2_500,
    5_000,
    10_000,
    25_000,
    50_000,
    100_000,
    250_000,
    500_000,
    1_000_000,
    2_500_000,
    5_000_000,
    10_000_000,
    25_000_000,
    50_000_000,
    75_000_000,
    100_000_000,
    250_000_000,
    500_000_000,
    750_000_000,
    1_000_000_000,
    2_500_000_000,
    5_000_000_000,
    7_500_000_000,
    10_000_000_000,
];

/// Upper bounds (`le`), in seconds, of the `function_calls_duration_seconds` buckets; a last
/// `+Inf` bucket follows them.
///
/// ```
/// let b = obs_runtime::metrics::DURATION_BUCKETS;
/// assert_eq!((b[0], b[b.len() - 1]), (0.000_001, 10.0));
/// ```
pub const DURATION_BUCKETS: [f64; 25] = {
    let mut out = [0.0; 25];
    let mut i = 0;
    while i < out.len() {
        out[i] = BOUNDS_NS[i] as f64 / 1e9;
        i += 1;
    }
    out
};

/// Buckets per histogram: one per bound plus `+Inf`.
pub(crate) const BUCKETS: usize = BOUNDS_NS.len() + 1;

/// The bucket a duration falls in: the first bound it does not exceed (`le` is inclusive).
/// A scan from the shortest bound: the fast calls that dominate take one predictable compare
/// (a binary search takes five dependent ones), and slow calls do not notice a few more.
#[inline]
pub(crate) fn bucket_of(nanos: u64) -> usize {
    let mut i = 0;
    while i < BOUNDS_NS.len() && BOUNDS_NS[i] < nanos {
        i += 1;
    }
    i
}

#[repr(align(128))]
struct Stripe {
    started: AtomicU64,
    finished: [AtomicU64; Outcome::ALL.len()],
    counts: [AtomicU64; BUCKETS],
    sums_ns: [AtomicU64; BUCKETS],
    native: exponential::Buckets,
}

impl Stripe {
    fn new() -> Self {
        Stripe {
            started: AtomicU64::new(0),
            finished: std::array::from_fn(|_| AtomicU64::new(0)),
            counts: std::array::from_fn(|_| AtomicU64::new(0)),
            sums_ns: std::array::from_fn(|_| AtomicU64::new(0)),
            native: exponential::Buckets::default(),
        }
    }
}

/// Counters of one callsite.
pub(crate) struct Stats {
    stripes: Box<[Stripe]>,
    mask: usize,
    /// For `#[golden_signals]` operations only.
    pub(crate) golden: Option<crate::golden::GoldenCounters>,
    /// The latest exported call per latency bucket (see `crate::trace::exemplar`).
    pub(crate) exemplars: Slots,
    /// The latest exported failed call, per error type.
    pub(crate) error_exemplars: Mutex<Vec<(String, Exemplar)>>,
    /// When the counters were made: the series' `_created` time.
    pub(crate) created: SystemTime,
}

fn stripe_count() -> usize {
    let cores = std::thread::available_parallelism().map_or(4, |n| n.get());
    cores.clamp(2, 16).next_power_of_two()
}

impl Stats {
    pub(crate) fn new(golden: bool) -> Self {
        let n = stripe_count();
        Stats {
            stripes: (0..n).map(|_| Stripe::new()).collect(),
            mask: n - 1,
            golden: golden.then(crate::golden::GoldenCounters::default),
            exemplars: Slots::new(BUCKETS),
            error_exemplars: Mutex::new(Vec::new()),
            created: SystemTime::now(),
        }
    }

    /// An exported call's exemplar: for its latency bucket, and for its error type if it
    /// failed. Called on the export thread.
    pub(crate) fn offer_exemplar(&self, exemplar: Exemplar, error_type: Option<&str>) {
        self.exemplars.offer(&DURATION_BUCKETS, exemplar);
        if let Some(error_type) = error_type {
            let mut errors = self.error_exemplars.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some((_, slot)) = errors.iter_mut().find(|(t, _)| t == error_type) {
                *slot = exemplar;
            } else if errors.len() < 64 {
                // Error types are bounded by the program's types and status codes.
                errors.push((error_type.to_owned(), exemplar));
            }
        }
    }

    #[inline]
    fn stripe(&self) -> &Stripe {
        // `mask` is `len - 1` of a power-of-two length, so the index is always in bounds.
        &self.stripes[thread_index() & self.mask]
    }

    #[inline]
    pub(crate) fn start(&self) {
        self.stripe().started.fetch_add(1, Relaxed);
    }

    #[inline]
    pub(crate) fn finish(&self, outcome: Outcome, nanos: u64) {
        let stripe = self.stripe();
        let bucket = bucket_of(nanos);
        stripe.finished[outcome.index()].fetch_add(1, Relaxed);
        stripe.counts[bucket].fetch_add(1, Relaxed);
        stripe.sums_ns[bucket].fetch_add(nanos, Relaxed);
        // After the classic bucket: `read` takes the native ones first, so they never count a
        // call the classic ones do not.
        stripe.native.record_nanos(nanos);
    }

    /// Sums the stripes.
    pub(crate) fn read(&self) -> Totals {
        let mut totals = Totals::default();
        for stripe in self.stripes.iter() {
            stripe.native.add_to(&mut totals.native);
        }
        // Finished counts first: a call counted as finished was started before, so reading
        // `started` afterwards never sees fewer starts than finishes.
        for stripe in self.stripes.iter() {
            for (total, n) in totals.finished.iter_mut().zip(&stripe.finished) {
                *total += n.load(Relaxed);
            }
            for (total, n) in totals.counts.iter_mut().zip(&stripe.counts) {
                *total += n.load(Relaxed);
            }
            for (total, n) in totals.sums_ns.iter_mut().zip(&stripe.sums_ns) {
                *total += n.load(Relaxed);
            }
        }
        for stripe in self.stripes.iter() {
            totals.started += stripe.started.load(Relaxed);
        }
        totals
    }
}

/// The summed counters of one callsite at one moment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Totals {
    pub(crate) started: u64,
    pub(crate) finished: [u64; Outcome::ALL.len()],
    pub(crate) counts: [u64; BUCKETS],
    pub(crate) sums_ns: [u64; BUCKETS],
    /// The exponential buckets.
    pub(crate) native: exponential::Counts,
}

impl Totals {
    pub(crate) fn in_flight(&self) -> u64 {
        self.started.saturating_sub(self.finished.iter().sum())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_inclusive_upper_limits() {
        assert_eq!(bucket_of(0), 0);
        assert_eq!(bucket_of(1_000), 0);
        assert_eq!(bucket_of(1_001), 1);
        assert_eq!(bucket_of(5_000_000), 11);
        assert_eq!(DURATION_BUCKETS[11], 0.005);
        assert_eq!(bucket_of(10_000_000_000), 24);
        assert_eq!(bucket_of(10_000_000_001), 25);
        assert_eq!(bucket_of(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn the_otel_http_buckets_are_all_bounds() {
        for b in [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0] {
            assert!(DURATION_BUCKETS.contains(&b), "{b} missing");
        }
        assert!(DURATION_BUCKETS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn stripes_from_many_threads_add_up() {
        let stats = Stats::new(false);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for i in 0..1000u64 {
                        stats.start();
                        let outcome = if i % 10 == 0 { Outcome::Error } else { Outcome::Ok };
                        stats.finish(outcome, i * 1000);
                    }
                });
            }
        });
        stats.start();
        let t = stats.read();
        assert_eq!(t.started, 4001);
        assert_eq!(t.finished, [3600, 400, 0, 0]);
        assert_eq!(t.in_flight(), 1);
        assert_eq!(t.counts.iter().sum::<u64>(), 4000);
        assert_eq!(t.sums_ns.iter().sum::<u64>(), 4 * 1000 * (999 * 1000) / 2);
        assert_eq!(t.counts[0], 4 * 2, "0 ns and 1000 ns fall in the first bucket");
        assert_eq!(t.native.total(), 4000);
        assert_eq!(t.native.zero, 4, "0 ns is in the zero bucket");
        assert_eq!(t.native.get(exponential::key(0.000_001).unwrap_or(0)), 4, "1 µs alone");
    }
}
