//! Per-trace sampling: 10% of ordinary traces, 100% of failed ones.
//!
//! A trace's *head* decision is taken when its first local span starts: keep (the ratio chose
//! it, or a sampled parent asks for it), drop (always off), or *tail* (not chosen yet). Spans of a
//! kept trace are exported as they end. Spans of a tail trace are buffered in its [`LocalTrace`]
//! until every span started in it has ended; the buffer is then exported if a span failed, and
//! dropped otherwise. A failure while the trace is still running exports the buffer at once and
//! the rest of the trace as it ends. Memory is bounded by a cap on spans per trace and on traces
//! buffered at once; what the caps drop is counted.
//!
//! This decides for the spans of one process. For traces that cross services, run the
//! collector's `tail_sampling` processor (see `docker-compose.yml` and the README), which sees
//! every service's spans.

use super::pipeline::Pipeline;
use super::span::SpanRecord;
use crate::config::{RootSampler, Sampler};
use crate::scrub::Scrubbed;
use crate::stats::Striped;
use opentelemetry::trace::{TraceFlags, TraceId, TraceState};
use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

/// The decision taken when a trace starts in this process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Head {
    /// Export every span: the ratio chose the trace, or the sampler keeps everything.
    KeepSampled,
    /// Export every span: the remote parent was sampled.
    KeepParent,
    /// Buffer; export only if a span fails.
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

/// The head sampling policy.
#[derive(Clone, Debug)]
pub(crate) struct Policy {
    pub(crate) sampler: Sampler,
    pub(crate) keep_failed: bool,
    pub(crate) max_spans_per_trace: usize,
    pub(crate) max_traces_in_flight: usize,
    /// Keep a trace in which a span lasted longer than this.
    pub(crate) keep_slower_than: Option<std::time::Duration>,
}

impl Policy {
    /// The decision for a trace that starts here, or continues a remote parent.
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

/// Where a trace comes from: its ids and W3C state, new or received.
pub(crate) struct Origin {
    pub(crate) trace_id: TraceId,
    pub(crate) trace_state: TraceState,
    /// The trace id is random (Trace Context Level 2's random flag).
    pub(crate) random: bool,
}

impl Origin {
    /// A trace obs starts, with a random id.
    pub(crate) fn new_trace(trace_id: TraceId) -> Origin {
        Origin { trace_id, trace_state: crate::propagation::new_trace_state(), random: true }
    }
}

/// Undecided traces currently buffering, across the process (striped: traces start and end
/// on every thread).
static BUFFERING: Striped = Striped::new();

/// Traces being buffered right now.
pub(crate) fn traces_buffering() -> usize {
    BUFFERING.get() as usize
}

/// What the process knows of one trace: shared by every local span of it.
pub(crate) struct LocalTrace {
    pub(crate) trace_id: TraceId,
    pub(crate) trace_state: TraceState,
    pub(crate) head: Head,
    open: AtomicUsize,
    failed: AtomicBool,
    /// A span lasted longer than the policy's `keep_slower_than`.
    slow: AtomicBool,
    /// Set once the trace is known to be exported.
    exporting: AtomicBool,
    /// Set once a span waits in `buffer` (the trace then counts in `BUFFERING`).
    buffering: AtomicBool,
    /// Set when the process buffers too many traces to hold this one: its spans are dropped.
    overflow: AtomicBool,
    /// Finished spans of an undecided trace, kept as obs's records: they become OpenTelemetry
    /// spans only if the trace is exported. (Each holds an `Arc` back to this trace: the cycle
    /// lasts until `release`, which empties the buffer.)
    buffer: Mutex<Vec<SpanRecord>>,
    /// Trace Context Level 2's random flag: obs's own trace ids are random; a continued
    /// trace keeps what its parent said.
    random: bool,
    /// The request's id, shown in every log line of the trace and forwarded downstream.
    pub(crate) request_id: OnceLock<Scrubbed<String>>,
    /// The request's user and baggage.
    pub(crate) request: Mutex<RequestContext>,
}

/// What a request carries besides its trace: who made it, and the W3C baggage it came with
/// or that the program set, forwarded on outgoing requests.
#[derive(Debug, Default)]
pub(crate) struct RequestContext {
    /// Shown as `user_id` in every log line of the trace; sent downstream as `user.id`.
    pub(crate) user_id: Option<Scrubbed<String>>,
    pub(crate) baggage: crate::propagation::baggage::Baggage,
}

thread_local! {
    /// Traces whose every span ended and that nothing refers to any more, for the next traces
    /// started on this thread (an allocation per trace costs as much as the rest of a dropped
    /// one-span trace).
    static SPARE: RefCell<Vec<Arc<LocalTrace>>> = const { RefCell::new(Vec::new()) };
}

/// Spare traces kept per thread.
const SPARE_TRACES: usize = 64;

impl LocalTrace {
    /// A shared trace whose head decision is `head`, and whose first span starts now.
    pub(crate) fn shared(origin: Origin, head: Head) -> Arc<Self> {
        let spare = SPARE.try_with(|spare| spare.try_borrow_mut().ok()?.pop()).ok().flatten();
        match spare {
            Some(mut trace) => {
                if let Some(reused) = Arc::get_mut(&mut trace) {
                    reused.reset(origin, head);
                    return trace;
                }
                Arc::new(LocalTrace::new(origin, head))
            }
            None => Arc::new(LocalTrace::new(origin, head)),
        }
    }

    /// Keeps `trace` for reuse if this was its last reference (its spans have all ended).
    pub(crate) fn recycle(trace: Arc<Self>) {
        // No `Weak` to a trace is ever made: one strong reference is the last one (`shared`
        // checks again, with `Arc::get_mut`, before reusing it).
        if Arc::strong_count(&trace) == 1 {
            let _ = SPARE.try_with(|spare| {
                if let Ok(mut spare) = spare.try_borrow_mut()
                    && spare.len() < SPARE_TRACES
                {
                    spare.push(trace);
                }
            });
        }
    }

    /// A trace whose head decision is `head`, and whose first span starts now.
    pub(crate) fn new(origin: Origin, head: Head) -> Self {
        let Origin { trace_id, trace_state, random } = origin;
        LocalTrace {
            trace_id,
            trace_state,
            head,
            random,
            open: AtomicUsize::new(1),
            failed: AtomicBool::new(false),
            slow: AtomicBool::new(false),
            exporting: AtomicBool::new(matches!(head, Head::KeepSampled | Head::KeepParent)),
            buffering: AtomicBool::new(false),
            overflow: AtomicBool::new(false),
            buffer: Mutex::new(Vec::new()),
            request_id: OnceLock::new(),
            request: Mutex::new(RequestContext::default()),
        }
    }

    /// Makes a spare trace new, in place: cheaper than dropping it and moving a new one in,
    /// and the buffer keeps its capacity.
    fn reset(&mut self, origin: Origin, head: Head) {
        // Destructured, so that a field added later cannot be forgotten here.
        let LocalTrace {
            trace_id: id,
            trace_state: state,
            head: decision,
            random,
            open,
            failed,
            slow,
            exporting,
            buffering,
            overflow,
            buffer,
            request_id,
            request,
        } = self;
        (*id, *state, *decision, *random) =
            (origin.trace_id, origin.trace_state, head, origin.random);
        *open.get_mut() = 1;
        for flag in [failed, slow, buffering, overflow] {
            *flag.get_mut() = false;
        }
        *exporting.get_mut() = matches!(head, Head::KeepSampled | Head::KeepParent);
        buffer.get_mut().unwrap_or_else(PoisonError::into_inner).clear();
        request_id.take();
        *request.get_mut().unwrap_or_else(PoisonError::into_inner) = RequestContext::default();
    }

    /// The W3C flags of the trace: `sampled` as decided here, `random` as its origin says.
    pub(crate) fn flags(&self) -> TraceFlags {
        let random = if self.random { crate::propagation::traceparent::RANDOM } else { 0 };
        TraceFlags::new(self.head.flags().to_u8() | random)
    }

    /// Runs `f` on the request's context.
    pub(crate) fn with_request<R>(&self, f: impl FnOnce(&mut RequestContext) -> R) -> R {
        f(&mut self.request.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Whether spans of this trace are recorded at all.
    pub(crate) fn is_recording(&self) -> bool {
        self.head != Head::Drop
    }

    /// A span of this trace started (other than the first).
    pub(crate) fn span_started(&self) {
        self.open.fetch_add(1, Ordering::Relaxed);
    }

    /// Marks the trace failed (a panic, a 5xx), so that it is kept when it ends.
    pub(crate) fn mark_failed(&self) {
        self.failed.store(true, Ordering::Relaxed);
    }

    /// A span ended: its record, in `slot`, is taken for export or buffering, or left for the
    /// caller to drop (with the last reference to its trace, often: see [`LocalTrace::recycle`]).
    pub(crate) fn span_ended(slot: &mut Option<SpanRecord>, pipeline: &Pipeline) {
        let Some(span) = slot.as_ref() else { return };
        let trace = &*span.trace;
        let mut consumed = false;
        if !span.stand_in {
            if span.failed() {
                trace.failed.store(true, Ordering::Relaxed);
            }
            if let Some(limit) = pipeline.policy.keep_slower_than
                && std::time::Duration::from_nanos(crate::clock::delta_ns(span.start, span.end))
                    > limit
            {
                trace.slow.store(true, Ordering::Relaxed);
            }
            consumed = match trace.head {
                Head::Drop => false,
                Head::KeepSampled | Head::KeepParent => true,
                // The last span of a trace with nothing buffered (often the only one), not
                // kept: decided here, without the buffer.
                Head::Tail => !trace.is_last_unbuffered() || trace.keep(),
            };
        }
        if !consumed {
            trace.close_span(pipeline);
            return;
        }
        // The record goes to the exporter or the buffer, and its reference to the trace with
        // it: this one keeps the trace until the span is counted as closed. (Only on this path:
        // the reference costs two atomic operations, a fair share of a dropped span.)
        let trace = span.trace.clone();
        if let Some(span) = slot.take() {
            match trace.head {
                Head::Tail => trace.buffer_or_export(span, pipeline),
                _ => pipeline.export(span),
            }
        }
        trace.close_span(pipeline);
    }

    /// Counts a span of this trace as closed, and decides the trace when it was the last.
    fn close_span(&self, pipeline: &Pipeline) {
        // AcqRel: the last span to end sees every push made before the others ended.
        if self.open.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.release(pipeline);
        }
    }

    /// Whether the span ending now is the trace's last, and nothing of the trace was buffered
    /// or exported before it.
    fn is_last_unbuffered(&self) -> bool {
        !self.buffering.load(Ordering::Relaxed)
            && !self.exporting.load(Ordering::Relaxed)
            && self.open.load(Ordering::Relaxed) == 1
    }

    fn keep(&self) -> bool {
        self.failed.load(Ordering::Relaxed) || self.slow.load(Ordering::Relaxed)
    }

    fn buffer_or_export(&self, span: SpanRecord, pipeline: &Pipeline) {
        // The last span of a trace with nothing buffered: decided without the buffer.
        if self.is_last_unbuffered() {
            if self.keep() {
                self.exporting.store(true, Ordering::Relaxed);
                pipeline.export(span);
            }
            return;
        }
        let mut buffer = self.buffer.lock().unwrap_or_else(PoisonError::into_inner);
        if self.exporting.load(Ordering::Relaxed) {
            drop(buffer);
            pipeline.export(span);
        } else if self.keep() {
            self.exporting.store(true, Ordering::Relaxed);
            let buffered = std::mem::take(&mut *buffer);
            drop(buffer);
            for span in buffered {
                pipeline.export(span);
            }
            pipeline.export(span);
        } else if self.overflow.load(Ordering::Relaxed) {
            pipeline.counters.spans_trace_too_long.add(1);
        } else if buffer.len() < pipeline.policy.max_spans_per_trace {
            if !self.buffering.swap(true, Ordering::Relaxed) {
                // The trace starts buffering: it takes a slot, if one is left.
                if BUFFERING.get() as usize >= pipeline.policy.max_traces_in_flight {
                    self.buffering.store(false, Ordering::Relaxed);
                    self.overflow.store(true, Ordering::Relaxed);
                    pipeline.counters.spans_trace_too_long.add(1);
                    return;
                }
                BUFFERING.add(1);
            }
            buffer.push(span);
        } else {
            pipeline.counters.spans_trace_too_long.add(1);
        }
    }

    /// Every span started in the trace has ended: decide, count, free the buffer.
    fn release(&self, pipeline: &Pipeline) {
        let counters = &pipeline.counters;
        let counter = match self.head {
            Head::KeepSampled => &counters.traces_kept_sampled,
            Head::KeepParent => &counters.traces_kept_parent,
            Head::Drop => &counters.traces_dropped,
            Head::Tail => {
                // A span is buffered only once `buffering` is set: most traces never buffer one,
                // and skip the lock.
                let buffered = if self.buffering.load(Ordering::Relaxed) {
                    self.buffering.store(false, Ordering::Relaxed);
                    BUFFERING.sub(1);
                    std::mem::take(&mut *self.buffer.lock().unwrap_or_else(PoisonError::into_inner))
                } else {
                    Vec::new()
                };
                let keep = self.keep();
                if keep {
                    for span in buffered {
                        pipeline.export(span);
                    }
                }
                match (
                    self.failed.load(Ordering::Relaxed),
                    keep || self.exporting.load(Ordering::Relaxed),
                ) {
                    (true, _) => &counters.traces_kept_failed,
                    (false, true) => &counters.traces_kept_slow,
                    (false, false) if self.overflow.load(Ordering::Relaxed) => {
                        &counters.traces_overflow
                    }
                    (false, false) => &counters.traces_dropped,
                }
            }
        };
        counter.add(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(sampler: Sampler) -> Policy {
        Policy {
            sampler,
            keep_failed: true,
            max_spans_per_trace: 8,
            max_traces_in_flight: 8,
            keep_slower_than: None,
        }
    }

    #[test]
    fn a_reused_trace_starts_afresh() {
        let origin = |id: u128| Origin {
            trace_id: TraceId::from(id),
            trace_state: TraceState::default(),
            random: false,
        };
        let first = LocalTrace::shared(origin(1), Head::Tail);
        first.mark_failed();
        first.span_started();
        first.exporting.store(true, Ordering::Relaxed);
        let _ = first.request_id.set(Scrubbed::text("req-1"));
        first.with_request(|r| r.user_id = Some(Scrubbed::text("user-1")));
        let address = Arc::as_ptr(&first);
        LocalTrace::recycle(first);
        let next = LocalTrace::shared(origin(2), Head::KeepParent);
        assert_eq!(Arc::as_ptr(&next), address, "the spare trace is reused");
        assert_eq!(next.trace_id, TraceId::from(2));
        assert_eq!(next.head, Head::KeepParent);
        assert_eq!(next.open.load(Ordering::Relaxed), 1);
        assert!(!next.keep(), "not failed");
        assert!(next.exporting.load(Ordering::Relaxed), "a sampled parent: exported");
        assert_eq!(next.request_id.get(), None);
        assert_eq!(next.with_request(|r| r.user_id.clone()), None);
        // A trace something still refers to is not reused.
        let held = next.clone();
        LocalTrace::recycle(next);
        let other = LocalTrace::shared(origin(3), Head::Tail);
        assert!(!Arc::ptr_eq(&held, &other));
        assert_eq!(held.trace_id, TraceId::from(2));
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
