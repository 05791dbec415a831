//! What the process knows of one trace: its ids and W3C state, its head decision, the request it
//! serves (id, user, baggage), and, while undecided, the buffer of its finished spans. A trace
//! decides what becomes of each of its spans as they end ([`LocalTrace::span_ended`]) and
//! returns the decision ([`Ended`]); the pipeline carries it out.

use super::parked::Parked;
use super::sampling::{DropReason, Head, SamplingPolicy, TraceDecision};
use super::span::{Exported, SpanRecord, TraceIds};
use crate::hotpath::spares::Spares;
use crate::hotpath::striped::Striped;
use crate::pii::scrub::Scrubbed;
use crate::propagation::baggage::Baggage;
use opentelemetry::trace::{SpanContext, SpanId, TraceFlags, TraceId, TraceState};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

/// A span while it runs, holding its trace.
pub(crate) type LiveSpan = SpanRecord<Arc<LocalTrace>>;

/// Where a trace comes from: its ids and W3C state, new or received.
pub(crate) struct Origin {
    pub(crate) trace_id: TraceId,
    pub(crate) trace_state: TraceState,
    /// The trace id is random (Trace Context Level 2's random flag).
    pub(crate) random: bool,
}

impl Origin {
    /// A trace obs starts: a random id, no state (obs adds no `tracestate` member).
    pub(crate) fn new_trace() -> Origin {
        Origin {
            trace_id: super::ids::new_trace_id(),
            trace_state: TraceState::default(),
            random: true,
        }
    }
}

/// The trace a new span belongs to, and its parent span.
pub(crate) struct Parent {
    pub(crate) trace: Arc<LocalTrace>,
    /// `SpanId::INVALID` for the root of a new trace.
    pub(crate) span_id: SpanId,
    pub(crate) is_remote: bool,
    /// The trace was made for this span, which its count of open spans already includes.
    pub(crate) new_trace: bool,
}

/// What a request carries besides its trace: who made it, and the W3C baggage it came with
/// or that the program set, forwarded on outgoing requests.
#[derive(Debug, Default)]
pub(crate) struct RequestContext {
    /// Shown as `user_id` in every log line of the trace; sent downstream as `user.id`.
    pub(crate) user_id: Option<Scrubbed<String>>,
    pub(crate) baggage: Baggage,
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
    /// Trace Context Level 2's random flag: obs's own trace ids are random; a continued
    /// trace keeps what its parent said.
    random: bool,
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
    /// Finished spans of an undecided trace, parked (compact, without their trace): they become
    /// OpenTelemetry spans only if the trace is exported.
    buffer: Mutex<Vec<Parked>>,
    /// The request's id, shown in every log line of the trace and forwarded downstream.
    pub(crate) request_id: OnceLock<Scrubbed<String>>,
    /// The request's user and baggage.
    request: Mutex<RequestContext>,
}

thread_local! {
    /// Traces whose every span ended and that nothing refers to any more, for the next traces
    /// started on this thread.
    static SPARE: Spares<Arc<LocalTrace>> = const { Spares::new() };
}

/// What a trace decided when one of its spans ended. The pipeline carries it out.
#[must_use]
#[derive(Default)]
pub(crate) struct Ended {
    /// Export the span (it is still in its slot).
    pub(crate) export: bool,
    /// Buffered spans to export now: the trace was just kept.
    pub(crate) released: Vec<Exported>,
    /// The span is dropped, and why (to count).
    pub(crate) dropped: Option<DropReason>,
    /// The span was the trace's last: how the trace ended (to count).
    pub(crate) finished: Option<TraceDecision>,
}

impl LocalTrace {
    /// A shared trace whose head decision is `head`, and whose first span starts now.
    pub(crate) fn shared(origin: Origin, head: Head) -> Arc<Self> {
        match Spares::take(&SPARE) {
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
            Spares::keep(&SPARE, trace);
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

    /// A span ended: decides what becomes of it (export it, buffer it, which this does, or
    /// drop it) and, when it was the trace's last, of the trace. The record stays in `slot`
    /// unless it was buffered; the caller takes it to export, or drops it in place (often with
    /// the last reference to its trace: see [`LocalTrace::recycle`]).
    #[inline]
    pub(crate) fn span_ended(slot: &mut Option<LiveSpan>, policy: &SamplingPolicy) -> Ended {
        let mut ended = Ended::default();
        let Some(span) = slot.as_ref() else { return ended };
        let trace = &*span.trace;
        if span.stand_in {
            trace.close_span(&mut ended);
            return ended;
        }
        if span.failed() {
            trace.failed.store(true, Ordering::Relaxed);
        }
        if policy.is_slow(span.start, span.end) {
            trace.slow.store(true, Ordering::Relaxed);
        }
        match trace.head {
            Head::Drop => {}
            Head::KeepSampled | Head::KeepParent => ended.export = true,
            // The last span of a trace with nothing buffered (often the only one): decided
            // here, without the buffer.
            Head::Tail if trace.is_last_unbuffered() => {
                if trace.keep() {
                    trace.exporting.store(true, Ordering::Relaxed);
                    ended.export = true;
                }
            }
            Head::Tail => {
                // The record may move into the buffer, and its reference to the trace with it:
                // this one keeps the trace until the span is counted as closed. (Only on this
                // path: the reference costs two atomic operations, a fair share of a span.)
                let trace = span.trace.clone();
                trace.buffer_or_release(slot, policy, &mut ended);
                trace.close_span(&mut ended);
                return ended;
            }
        }
        trace.close_span(&mut ended);
        ended
    }

    /// A span of an undecided trace that is not its last: buffer it, or export it with the
    /// buffer when the trace is now known to be kept.
    fn buffer_or_release(
        &self,
        slot: &mut Option<LiveSpan>,
        policy: &SamplingPolicy,
        ended: &mut Ended,
    ) {
        let mut buffer = self.buffer.lock().unwrap_or_else(PoisonError::into_inner);
        if self.exporting.load(Ordering::Relaxed) {
            ended.export = true;
        } else if self.keep() {
            self.exporting.store(true, Ordering::Relaxed);
            ended.released = self.unpark(std::mem::take(&mut *buffer));
            ended.export = true;
        } else if self.overflow.load(Ordering::Relaxed) {
            ended.dropped = Some(DropReason::TooManyTraces);
        } else if buffer.len() >= policy.max_spans_per_trace {
            ended.dropped = Some(DropReason::TraceTooLong);
        } else {
            if !self.buffering.swap(true, Ordering::Relaxed) {
                // The trace starts buffering: it takes a place, if one is left.
                if traces_buffering() >= policy.max_traces_buffered {
                    self.buffering.store(false, Ordering::Relaxed);
                    self.overflow.store(true, Ordering::Relaxed);
                    ended.dropped = Some(DropReason::TooManyTraces);
                    return;
                }
                BUFFERING.add(1);
            }
            if let Some(span) = slot.take() {
                buffer.push(Parked::of(span));
            }
        }
    }

    /// Counts a span of this trace as closed, and decides the trace when it was the last.
    #[inline]
    fn close_span(&self, ended: &mut Ended) {
        // AcqRel: the last span to end sees every push made before the others ended.
        if self.open.fetch_sub(1, Ordering::AcqRel) == 1 {
            ended.finished = Some(self.release(ended));
        }
    }

    /// Whether the span ending now is the trace's last, and nothing of the trace was buffered
    /// or exported before it.
    fn is_last_unbuffered(&self) -> bool {
        !self.buffering.load(Ordering::Relaxed)
            && !self.exporting.load(Ordering::Relaxed)
            && self.open.load(Ordering::Relaxed) == 1
    }

    /// What the exported form of this trace's spans needs of it, as of now.
    fn ids(&self) -> TraceIds {
        TraceIds { trace_id: self.trace_id, flags: self.flags(), state: self.trace_state.clone() }
    }

    /// Buffered spans of this trace, for export.
    fn unpark(&self, parked: Vec<Parked>) -> Vec<Exported> {
        parked.into_iter().map(|span| span.export(self.ids())).collect()
    }

    fn keep(&self) -> bool {
        self.failed.load(Ordering::Relaxed) || self.slow.load(Ordering::Relaxed)
    }

    /// Every span started in the trace has ended: decide, and free the buffer (its spans go
    /// to `ended.released` if the trace is kept).
    fn release(&self, ended: &mut Ended) -> TraceDecision {
        match self.head {
            Head::KeepSampled => TraceDecision::KeptSampled,
            Head::KeepParent => TraceDecision::KeptParent,
            Head::Drop => TraceDecision::Dropped,
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
                    ended.released.extend(self.unpark(buffered));
                }
                match (
                    self.failed.load(Ordering::Relaxed),
                    keep || self.exporting.load(Ordering::Relaxed),
                ) {
                    (true, _) => TraceDecision::KeptFailed,
                    (false, true) => TraceDecision::KeptSlow,
                    (false, false) if self.overflow.load(Ordering::Relaxed) => {
                        TraceDecision::DroppedOverflow
                    }
                    (false, false) => TraceDecision::Dropped,
                }
            }
        }
    }
}

impl LiveSpan {
    /// A span of `parent`'s trace that starts at the raw clock reading `start` (counted as
    /// started in its trace).
    #[inline]
    pub(crate) fn new(parent: Parent, name: &'static str, start: u64) -> Self {
        if !parent.new_trace {
            parent.trace.span_started();
        }
        SpanRecord::start(parent.trace, parent.span_id, parent.is_remote, name, start)
    }

    /// A record for a `tracing` span standing in for this one: the same trace, ids and name
    /// (not counted as started: see `ObsLayer::on_new_span`).
    pub(crate) fn stand_in(&self) -> LiveSpan {
        let mut record = SpanRecord::start(
            self.trace.clone(),
            self.parent_span_id,
            self.parent_is_remote,
            "",
            self.start,
        );
        record.span_id = self.span_id;
        record.name = self.name.clone();
        record.kind = self.kind.clone();
        record.stand_in = true;
        record
    }

    /// This span as the parent of a new one.
    pub(crate) fn as_parent(&self) -> Parent {
        Parent {
            trace: self.trace.clone(),
            span_id: self.span_id,
            is_remote: false,
            new_trace: false,
        }
    }

    /// The W3C context of this span, to propagate downstream or write in logs.
    pub(crate) fn span_context(&self) -> SpanContext {
        SpanContext::new(
            self.trace.trace_id,
            self.span_id,
            self.flags(),
            false,
            self.trace.trace_state.clone(),
        )
    }

    pub(crate) fn flags(&self) -> TraceFlags {
        self.trace.flags()
    }

    /// The span, let go of its trace (so that the trace can be reused at once) for export.
    pub(crate) fn detach(self) -> Exported {
        let ids = self.trace.ids();
        self.with_trace(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    fn policy(max_traces_buffered: usize) -> SamplingPolicy {
        SamplingPolicy {
            sampler: super::super::sampling::Sampler::default(),
            keep_failed: true,
            keep_slower_than: None,
            max_spans_per_trace: 8,
            max_traces_buffered,
        }
    }

    /// A trace with `spans` open spans, and a span of it for each.
    fn trace(head: Head, spans: usize) -> (Arc<LocalTrace>, Vec<Option<LiveSpan>>) {
        let trace = LocalTrace::shared(Origin::new_trace(), head);
        let records = (0..spans)
            .map(|i| {
                let parent = Parent {
                    trace: trace.clone(),
                    span_id: SpanId::INVALID,
                    is_remote: false,
                    new_trace: i == 0,
                };
                Some(LiveSpan::new(parent, "span", 0))
            })
            .collect();
        (trace, records)
    }

    #[test]
    fn a_sampled_trace_exports_each_span_as_it_ends() {
        let (_trace, mut spans) = trace(Head::KeepSampled, 2);
        let ended = LocalTrace::span_ended(&mut spans[0], &policy(8));
        assert!(ended.export && ended.released.is_empty() && ended.finished.is_none());
        assert!(spans[0].is_some(), "the record stays in its slot for the pipeline to take");
        let ended = LocalTrace::span_ended(&mut spans[1], &policy(8));
        assert_eq!((ended.export, ended.finished), (true, Some(TraceDecision::KeptSampled)));
    }

    #[test]
    fn an_undecided_trace_buffers_until_a_failure_releases_it() {
        let (_trace, mut spans) = trace(Head::Tail, 3);
        let ended = LocalTrace::span_ended(&mut spans[0], &policy(8));
        assert!(!ended.export && ended.dropped.is_none());
        assert!(spans[0].is_none(), "buffered: the trace holds it");
        spans[1].as_mut().unwrap().fail(Some("io"));
        let ended = LocalTrace::span_ended(&mut spans[1], &policy(8));
        assert!(ended.export, "the failing span is exported");
        assert_eq!(ended.released.len(), 1, "with the buffered one");
        let ended = LocalTrace::span_ended(&mut spans[2], &policy(8));
        assert_eq!((ended.export, ended.finished), (true, Some(TraceDecision::KeptFailed)));
    }

    #[test]
    fn an_undecided_trace_that_ends_well_is_dropped_whole() {
        let (_trace, mut spans) = trace(Head::Tail, 2);
        let _ = LocalTrace::span_ended(&mut spans[0], &policy(8));
        let ended = LocalTrace::span_ended(&mut spans[1], &policy(8));
        assert!(!ended.export && ended.released.is_empty());
        assert_eq!(ended.finished, Some(TraceDecision::Dropped));
    }

    #[test]
    fn a_trace_that_finds_no_room_to_buffer_drops_its_spans_as_too_many_traces() {
        let (_trace, mut spans) = trace(Head::Tail, 2);
        let ended = LocalTrace::span_ended(&mut spans[0], &policy(0));
        assert_eq!(ended.dropped, Some(DropReason::TooManyTraces));
        let ended = LocalTrace::span_ended(&mut spans[1], &policy(0));
        assert_eq!(ended.finished, Some(TraceDecision::DroppedOverflow));
    }
}
