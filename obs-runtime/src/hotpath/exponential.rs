//! Base-2 exponential histogram buckets: what Prometheus calls a native histogram of schema 3
//! and OpenTelemetry an exponential histogram of scale 3. Every power of two is split into
//! eight buckets, each `2^(1/8)` (≈ 1.09) times as wide as the one below, so any quantile read
//! from them is within ±4.4 % of the truth, whatever the latencies are: there is no bucket list
//! to choose.
//!
//! Bucket `key` holds the values in `(2^((key-1)/8), 2^(key/8)]` (upper bound inclusive), as
//! Prometheus numbers them; OpenTelemetry's index of the same bucket is `key - 1`. Values at
//! or below [`ZERO_THRESHOLD`] (2^-30 s, just under a nanosecond: a call measured as 0 ns) go
//! to the zero bucket.
//!
//! The keys a duration in nanoseconds can reach (1 ns … `u64::MAX` ns) are fixed, so the
//! buckets are an array, in chunks of 64 that are allocated the first time a value falls in
//! them: a function whose calls take 2 to 40 ms uses one chunk (512 bytes), not nine. Recording
//! is a division, a few bit operations and compares, and one relaxed `fetch_add`; no lock,
//! no allocation after the first call in a range.
//!
//! No crate offers lock-free exponential buckets that can be read back as spans; the
//! OpenTelemetry SDK's aggregation lives behind its own meter API, which obs does not use for
//! its hot path.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// The Prometheus schema (the OpenTelemetry scale) of the buckets.
pub(crate) const SCHEMA: i32 = 3;

/// The width of the zero bucket: 2^-30 (≈ 0.93 ns when the values are seconds).
pub(crate) const ZERO_THRESHOLD: f64 = 9.313225746154785e-10;

/// Buckets per power of two.
const PER_OCTAVE: i32 = 1 << SCHEMA;
/// The key of the bucket holding 1 ns (`ceil(8 · log2(1e-9))`): the lowest used.
const MIN_KEY: i32 = -239;
/// The key of the bucket holding `u64::MAX` ns (≈ 584 years): the highest used. A larger value
/// (only a histogram of something other than durations could have one) is counted here.
const MAX_KEY: i32 = 273;
const CHUNK: usize = 64;
const CHUNKS: usize = (MAX_KEY - MIN_KEY + 1) as usize / CHUNK + 1;

/// The mantissa bits of `2^(i/8)` for `i` in `0..8`: the bucket boundaries within any power of
/// two. (Correctly rounded; a unit test checks them against `powf`.)
const BOUNDARY_MANTISSAS: [u64; 8] = [
    0x0,
    0x1_72b8_3c7d_517b,
    0x3_06fe_0a31_b715,
    0x4_bfda_d536_2a27,
    0x6_a09e_667f_3bcd,
    0x8_ace5_422a_a0db,
    0xa_e89f_995a_d3ad,
    0xd_5818_dcfb_a487,
];
const MANTISSA: u64 = (1 << 52) - 1;

/// The bucket of `value`, or `None` for the zero bucket (values at or below the threshold,
/// and NaN).
#[inline]
pub(crate) fn key(value: f64) -> Option<i32> {
    // NaN compares false: it goes to the zero bucket too.
    if value.partial_cmp(&ZERO_THRESHOLD) != Some(std::cmp::Ordering::Greater) {
        return None;
    }
    if value.is_infinite() {
        return Some(MAX_KEY);
    }
    Some(key_of_normal(value).clamp(MIN_KEY, MAX_KEY))
}

/// The bucket of a positive, finite, normal `value`.
#[inline]
fn key_of_normal(value: f64) -> i32 {
    let bits = value.to_bits();
    // `value = m · 2^exp` with `m` in [0.5, 1) (what `frexp` returns).
    let exp = ((bits >> 52) & 0x7ff) as i32 - 1022;
    (exp - 1) * PER_OCTAVE + boundaries_below(bits & MANTISSA)
}

/// How many of the boundaries of a power of two lie strictly below a value with these mantissa
/// bits (an exact power of two, mantissa 0, is the upper bound of the bucket below it). A
/// branch-free binary search over the seven boundaries above 1: three compares, where counting
/// them all costs seven (the hot path's budget is a few nanoseconds).
#[inline]
fn boundaries_below(mantissa: u64) -> i32 {
    // BOUNDARY_MANTISSAS[1..], then a sentinel no mantissa exceeds.
    const ABOVE_ONE: [u64; 8] = {
        let mut out = [u64::MAX; 8];
        let mut i = 1;
        while i < 8 {
            out[i - 1] = BOUNDARY_MANTISSAS[i];
            i += 1;
        }
        out
    };
    let mut n = 0;
    if ABOVE_ONE[3] < mantissa {
        n = 4;
    }
    if ABOVE_ONE[n + 1] < mantissa {
        n += 2;
    }
    if ABOVE_ONE[n] < mantissa {
        n += 1;
    }
    n as i32 + i32::from(mantissa != 0)
}

#[cfg(test)]
/// The upper bound of bucket `key`: `2^(key/8)`.
pub(crate) fn upper_bound(key: i32) -> f64 {
    (f64::from(key) / f64::from(PER_OCTAVE)).exp2()
}

type Chunk = [AtomicU64; CHUNK];

/// Counters that many threads add to: a zero bucket and the chunks of the others.
pub(crate) struct Buckets {
    zero: AtomicU64,
    chunks: [OnceLock<Box<Chunk>>; CHUNKS],
}

impl Default for Buckets {
    fn default() -> Self {
        Buckets { zero: AtomicU64::new(0), chunks: [const { OnceLock::new() }; CHUNKS] }
    }
}

impl Buckets {
    /// Counts a value (in seconds, for durations).
    #[inline]
    pub(crate) fn record(&self, value: f64) {
        match key(value) {
            None => {
                self.zero.fetch_add(1, Relaxed);
            }
            Some(key) => self.count(key),
        }
    }

    /// Counts a duration in nanoseconds.
    #[inline]
    pub(crate) fn record_nanos(&self, nanos: u64) {
        if nanos == 0 {
            self.zero.fetch_add(1, Relaxed);
        } else {
            // 1 ns … u64::MAX ns is normal, finite and within MIN_KEY..=MAX_KEY. A division,
            // not a multiplication by 1e-9: it is exact where a bound is (2^-9 s is
            // 1,953,125 ns), so such a duration lands in the bucket it bounds.
            self.count(key_of_normal(nanos as f64 / 1e9));
        }
    }

    #[inline]
    fn count(&self, key: i32) {
        let at = (key - MIN_KEY) as usize;
        if let Some(chunk) = self.chunks.get(at / CHUNK) {
            chunk.get_or_init(new_chunk)[at % CHUNK].fetch_add(1, Relaxed);
        }
    }

    /// Adds the counts to `into`.
    pub(crate) fn add_to(&self, into: &mut Counts) {
        into.zero += self.zero.load(Relaxed);
        for (c, chunk) in self.chunks.iter().enumerate() {
            let Some(chunk) = chunk.get() else { continue };
            for (i, n) in chunk.iter().enumerate() {
                let n = n.load(Relaxed);
                if n > 0 {
                    into.add(MIN_KEY + (c * CHUNK + i) as i32, n);
                }
            }
        }
    }

    /// The counts now.
    pub(crate) fn read(&self) -> Counts {
        let mut counts = Counts::default();
        self.add_to(&mut counts);
        counts
    }
}

#[cold]
fn new_chunk() -> Box<Chunk> {
    Box::new(std::array::from_fn(|_| AtomicU64::new(0)))
}

/// Bucket counts read back: the zero bucket's, and the others' from the lowest non-empty key
/// to the highest (empty ones between them included).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    pub(crate) zero: u64,
    /// The key of `counts[0]`.
    pub(crate) first: i32,
    pub(crate) counts: Vec<u64>,
}

impl Counts {
    /// Adds `n` to bucket `key`.
    pub(crate) fn add(&mut self, key: i32, n: u64) {
        if self.counts.is_empty() {
            self.first = key;
        }
        if key < self.first {
            let grow = (self.first - key) as usize;
            self.counts.splice(0..0, std::iter::repeat_n(0, grow));
            self.first = key;
        }
        let at = (key - self.first) as usize;
        if at >= self.counts.len() {
            self.counts.resize(at + 1, 0);
        }
        self.counts[at] += n;
    }

    /// Adds every bucket of `other`.
    pub(crate) fn merge(&mut self, other: &Counts) {
        self.zero += other.zero;
        for (key, n) in other.buckets() {
            self.add(key, n);
        }
    }

    /// The non-empty buckets, `(key, count)`, lowest first.
    pub(crate) fn buckets(&self) -> impl Iterator<Item = (i32, u64)> + '_ {
        self.counts
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(i, n)| (self.first + i as i32, *n))
    }

    /// Every value counted.
    pub(crate) fn total(&self) -> u64 {
        self.zero + self.counts.iter().sum::<u64>()
    }

    /// The count of bucket `key`.
    pub(crate) fn get(&self, key: i32) -> u64 {
        usize::try_from(key - self.first)
            .ok()
            .and_then(|i| self.counts.get(i))
            .copied()
            .unwrap_or(0)
    }

    /// The counts since `before`, or `None` if some bucket went down (the series restarted).
    pub(crate) fn since(&self, before: &Counts) -> Option<Counts> {
        if before.buckets().any(|(key, was)| self.get(key) < was) {
            return None;
        }
        let mut out = Counts { zero: self.zero.checked_sub(before.zero)?, ..Counts::default() };
        for (key, n) in self.buckets() {
            let new = n - before.get(key);
            if new > 0 {
                out.add(key, new);
            }
        }
        Some(out)
    }

    #[cfg(test)]
    /// The `q`-quantile, interpolated exponentially within its bucket as Prometheus does for
    /// native histograms; `None` when empty.
    pub(crate) fn quantile(&self, q: f64) -> Option<f64> {
        let total = self.total();
        if total == 0 {
            return None;
        }
        let rank = q.clamp(0.0, 1.0) * total as f64;
        if rank <= self.zero as f64 {
            return Some(0.0);
        }
        let mut below = self.zero as f64;
        for (key, n) in self.buckets() {
            if below + n as f64 >= rank {
                let (lower, upper) = (upper_bound(key - 1), upper_bound(key));
                let within = ((rank - below) / n as f64).clamp(0.0, 1.0);
                return Some(lower * (upper / lower).powf(within));
            }
            below += n as f64;
        }
        self.buckets().last().map(|(key, _)| upper_bound(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_boundaries_are_the_eighth_roots_of_two() {
        for (i, &mantissa) in BOUNDARY_MANTISSAS.iter().enumerate() {
            let exact = f64::from_bits((1023 << 52) | mantissa);
            let computed = (i as f64 / 8.0).exp2();
            assert!((exact - computed).abs() <= f64::EPSILON * 2.0, "{i}: {exact} {computed}");
        }
    }

    #[test]
    fn the_binary_search_counts_like_a_scan() {
        let mut probes: Vec<u64> = vec![0, 1, MANTISSA];
        for &b in &BOUNDARY_MANTISSAS {
            probes.extend([b.saturating_sub(1), b, b + 1]);
        }
        for m in probes.into_iter().filter(|&m| m <= MANTISSA) {
            let scan = BOUNDARY_MANTISSAS.iter().filter(|&&b| b < m).count() as i32;
            assert_eq!(boundaries_below(m), scan, "{m:#x}");
        }
    }

    #[test]
    fn a_bucket_holds_values_above_its_lower_bound_up_to_its_upper_bound() {
        assert_eq!(key(1.0), Some(0));
        assert_eq!(key(1.000_000_1), Some(1));
        assert_eq!(key(2.0), Some(8));
        assert_eq!(key(0.5), Some(-8));
        assert_eq!(key(2f64.powf(-9.0)), Some(-72));
        for k in -200..200 {
            let upper = upper_bound(k);
            assert_eq!(key(upper * (1.0 + 1e-12)), Some(k + 1), "just above {upper}");
            assert_eq!(key(upper * (1.0 - 1e-12)), Some(k), "just below {upper}");
        }
    }

    #[test]
    fn zero_nan_and_negative_values_are_in_the_zero_bucket_and_huge_ones_in_the_last() {
        for v in [0.0, -1.0, f64::NAN, ZERO_THRESHOLD] {
            assert_eq!(key(v), None, "{v}");
        }
        assert_eq!(key(1e-9), Some(MIN_KEY));
        assert_eq!(key(u64::MAX as f64 / 1e9), Some(MAX_KEY));
        assert_eq!(key(1e300), Some(MAX_KEY));
        assert_eq!(key(f64::INFINITY), Some(MAX_KEY));
    }

    #[test]
    fn recorded_durations_read_back_with_their_keys() {
        let buckets = Buckets::default();
        for nanos in [0, 1, 1_953_125, 20_000_000, 20_000_000, u64::MAX] {
            buckets.record_nanos(nanos);
        }
        let counts = buckets.read();
        assert_eq!(counts.zero, 1);
        assert_eq!(counts.total(), 6);
        let keys: Vec<(i32, u64)> = counts.buckets().collect();
        assert_eq!(keys, vec![(MIN_KEY, 1), (-72, 1), (key(0.02).unwrap_or(0), 2), (MAX_KEY, 1)]);
        // Chunks 0, 2, 3 and 8 of the nine were needed.
        assert_eq!(buckets.chunks.iter().filter(|c| c.get().is_some()).count(), 4);
    }

    #[test]
    fn quantiles_are_within_one_bucket() {
        let buckets = Buckets::default();
        for ms in 1..=1000u64 {
            buckets.record_nanos(ms * 1_000_000);
        }
        let counts = buckets.read();
        for q in [0.5, 0.9, 0.99] {
            let truth = q * 1.0;
            let got = counts.quantile(q).unwrap_or(0.0);
            assert!((got / truth - 1.0).abs() < 0.09, "q{q}: {got} vs {truth}");
        }
    }

    #[test]
    fn since_subtracts_bucket_by_bucket_and_sees_resets() {
        let mut before = Counts::default();
        before.add(3, 2);
        before.add(5, 1);
        let mut now = before.clone();
        now.add(1, 4);
        now.add(5, 2);
        now.zero = 1;
        let delta = now.since(&before).unwrap_or_default();
        assert_eq!(delta.buckets().collect::<Vec<_>>(), vec![(1, 4), (5, 2)]);
        assert_eq!(delta.zero, 1);
        let mut reset = Counts::default();
        reset.add(5, 1);
        assert_eq!(reset.since(&before), None);
        assert_eq!(Counts::default().since(&Counts::default()), Some(Counts::default()));
    }
}
