//! Sampling rules: 10% of ordinary traces, 100% of failed ones. Decisions only; the state
//! they are taken on is the trace's ([`super::local_trace`]), and acting on them (export,
//! counting) is the pipeline's ([`super::pipeline`]).
//!
//! A trace's *head* decision is taken when its first local span starts: keep (the ratio chose
//! it, or a sampled parent asks for it), drop (always off), or *tail* (not chosen yet). Spans of a
//! kept trace are exported as they end. Spans of a tail trace are buffered until every span
//! started in it has ended; the buffer is then exported if a span failed (or was slower than
//! the threshold), and dropped otherwise. A failure while the trace is still running exports
//! the buffer at once and the rest of the trace as it ends. Memory is bounded by a cap on spans
//! per trace and on traces buffered at once; what the caps drop is counted.
//!
//! This decides for the spans of one process. For traces that cross services, run the
//! collector's `tail_sampling` processor (see `docker-compose.yml` and the README), which sees
//! every service's spans.

use opentelemetry::trace::{TraceFlags, TraceId};
use std::time::Duration;

/// How new traces are chosen for export, before failures are known.
///
/// Whatever this says, a trace in which a span fails is exported too (unless
/// [`Sampler::AlwaysOff`], or `keep_failed_traces(false)`): obs buffers the spans of a trace it
/// has not chosen until the trace ends, then keeps it if anything failed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Sampler {
    /// Every trace.
    AlwaysOn,
    /// No trace, not even failed ones.
    AlwaysOff,
    /// A share of traces (0 to 1), chosen by trace id so that every service agrees.
    TraceIdRatio(f64),
    /// Follow an incoming `traceparent`'s sampled flag; use the inner sampler for new traces.
    /// A sampled parent is always kept; an unsampled one is kept only if it fails here.
    ParentBased(RootSampler),
}

/// The sampler of new traces inside [`Sampler::ParentBased`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RootSampler {
    /// Every new trace.
    AlwaysOn,
    /// No new trace (failed ones are still kept).
    AlwaysOff,
    /// A share of new traces.
    TraceIdRatio(f64),
}

impl Default for Sampler {
    fn default() -> Self {
        Sampler::ParentBased(RootSampler::TraceIdRatio(0.1))
    }
}

/// The decision taken when a trace starts in this process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Head {
    /// Export every span: the ratio chose the trace, or the sampler keeps everything.
    KeepSampled,
    /// Export every span: the remote parent was sampled.
    KeepParent,
    /// Buffer; export only if a span fails (or is slow).
    Tail,
    /// Export nothing.
    Drop,
}

impl Head {
    /// The W3C `sampled` flag propagated downstream and written in logs.
    pub(crate) fn flags(self) -> TraceFlags {
        match self {
            Head::KeepSampled | Head::KeepParent => TraceFlags::SAMPLED,
            Head::Tail | Head::Drop => TraceFlags::default(),
        }
    }
}

/// The whole sampling policy: the head sampler, the tail rules (keep failed traces, keep slow
/// ones), and the caps on what tail sampling may buffer.
#[derive(Clone, Debug)]
pub(crate) struct SamplingPolicy {
    pub(crate) sampler: Sampler,
    /// Tail rule: keep a trace in which a span failed.
    pub(crate) keep_failed: bool,
    /// Tail rule: keep a trace in which a span lasted longer than this.
    pub(crate) keep_slower_than: Option<Duration>,
    /// Cap: spans buffered per undecided trace.
    pub(crate) max_spans_per_trace: usize,
    /// Cap: undecided traces buffered at once.
    pub(crate) max_traces_buffered: usize,
}

impl SamplingPolicy {
    /// The head decision for a trace that starts here, or continues a remote parent.
    pub(crate) fn decide(&self, trace_id: TraceId, remote_sampled: Option<bool>) -> Head {
        let root = |root: RootSampler| match root {
            RootSampler::AlwaysOn => Head::KeepSampled,
            RootSampler::AlwaysOff => self.tail(),
            RootSampler::TraceIdRatio(ratio) => self.by_ratio(trace_id, ratio),
        };
        match (self.sampler, remote_sampled) {
            (Sampler::AlwaysOff, _) => Head::Drop,
            (Sampler::AlwaysOn, _) => Head::KeepSampled,
            (Sampler::TraceIdRatio(ratio), _) => self.by_ratio(trace_id, ratio),
            (Sampler::ParentBased(_), Some(true)) => Head::KeepParent,
            (Sampler::ParentBased(_), Some(false)) => self.tail(),
            (Sampler::ParentBased(inner), None) => root(inner),
        }
    }

    fn tail(&self) -> Head {
        if self.keep_failed { Head::Tail } else { Head::Drop }
    }

    fn by_ratio(&self, trace_id: TraceId, ratio: f64) -> Head {
        if ratio_chooses(trace_id, ratio) { Head::KeepSampled } else { self.tail() }
    }

    /// Whether a span between the raw clock readings `start` and `end` makes its trace one to
    /// keep (the clock is read only when a threshold is set).
    #[inline]
    pub(crate) fn is_slow(&self, start: u64, end: u64) -> bool {
        self.keep_slower_than.is_some_and(|limit| {
            Duration::from_nanos(crate::hotpath::clock::delta_ns(start, end)) > limit
        })
    }
}

/// Whether a trace-id-ratio sampler keeps `trace_id`: the same rule as OpenTelemetry's SDKs
/// (the low 63 bits of the id's last 8 bytes against `ratio * 2^63`), so services agree.
pub(crate) fn ratio_chooses(trace_id: TraceId, ratio: f64) -> bool {
    if ratio >= 1.0 {
        return true;
    }
    if ratio <= 0.0 {
        return false;
    }
    let bytes = trace_id.to_bytes();
    let mut low = [0u8; 8];
    low.copy_from_slice(&bytes[8..]);
    let x = u64::from_be_bytes(low) >> 1;
    x < (ratio * (1u64 << 63) as f64) as u64
}

/// How a trace ended: `obs_traces_total{decision}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TraceDecision {
    KeptSampled,
    KeptParent,
    KeptFailed,
    KeptSlow,
    Dropped,
    /// Not buffered, because too many traces were buffering: dropped.
    DroppedOverflow,
}

/// Why a span of a trace was dropped before export: `obs_spans_dropped_total{reason}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DropReason {
    /// Its trace already buffered the most spans a trace may.
    TraceTooLong,
    /// Too many traces were buffering to hold its trace.
    TooManyTraces,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(sampler: Sampler) -> SamplingPolicy {
        SamplingPolicy {
            sampler,
            keep_failed: true,
            max_spans_per_trace: 8,
            max_traces_buffered: 8,
            keep_slower_than: None,
        }
    }

    #[test]
    fn the_ratio_keeps_its_share_of_random_trace_ids() {
        let p = policy(Sampler::TraceIdRatio(0.1));
        let n = 100_000;
        let kept = (0..n)
            .filter(|_| p.decide(TraceId::from(fastrand::u128(..)), None) == Head::KeepSampled)
            .count();
        let share = kept as f64 / n as f64;
        assert!((0.095..0.105).contains(&share), "{share}");
    }

    #[test]
    fn decisions_follow_the_sampler_and_the_parent() {
        let id = TraceId::from(7u128);
        let pb = policy(Sampler::ParentBased(RootSampler::TraceIdRatio(0.0)));
        assert_eq!(pb.decide(id, Some(true)), Head::KeepParent);
        assert_eq!(pb.decide(id, Some(false)), Head::Tail);
        assert_eq!(pb.decide(id, None), Head::Tail);
        assert_eq!(policy(Sampler::AlwaysOff).decide(id, Some(true)), Head::Drop);
        assert_eq!(policy(Sampler::AlwaysOn).decide(id, None), Head::KeepSampled);
        let mut no_failures = pb.clone();
        no_failures.keep_failed = false;
        assert_eq!(no_failures.decide(id, None), Head::Drop);
        assert!(ratio_chooses(TraceId::from(u128::MAX), 1.0));
        assert!(!ratio_chooses(TraceId::from(0u128), 0.0));
    }

    #[test]
    fn ratio_matches_the_opentelemetry_rule() {
        // The low 8 bytes, shifted right by one, against ratio * 2^63.
        let below = TraceId::from(u128::from(u64::MAX / 4));
        let above = TraceId::from(u128::from(u64::MAX / 4 * 3));
        assert!(ratio_chooses(below, 0.5));
        assert!(!ratio_chooses(above, 0.5));
    }
}
