//! The spans each thread is in: obs's own spans (see [`super::native`]) and `tracing` spans, in
//! the order they were entered, and the remote parent waiting for the next root.
//!
//! `tracing`'s registry keeps its own stack, but obs's own spans never reach it; this one holds
//! both kinds, so that a `tracing` span created inside an observed function (and an observed
//! function called inside a `tracing` span) finds its parent, and a log line its trace.

use super::local_trace::{LiveSpan, Parent};
use opentelemetry::trace::SpanContext;
use std::cell::{Cell, RefCell};
use std::num::NonZeroU64;
use std::ptr::NonNull;
use tracing::Metadata;
use tracing::span::Id;

/// Where an obs span's record lives while it runs: a heap slot owned by its `Call`, reused by
/// the next span of the thread once the call is over.
#[derive(Default)]
pub(crate) struct Slot {
    /// `None` once the span has ended.
    pub(crate) record: RefCell<Option<LiveSpan>>,
    /// The site's metadata, for a `tracing` span standing in for this one.
    pub(crate) metadata: Cell<Option<&'static Metadata<'static>>>,
    /// The `tracing` span standing in for this one, once `tracing::Span::current()` asked for
    /// it (see `super::subscriber`).
    pub(crate) stand_in: Cell<Option<NonZeroU64>>,
}

#[derive(Clone)]
enum Frame {
    Native(NonNull<Slot>),
    Tracing(Id),
}

thread_local! {
    static STACK: RefCell<Vec<Frame>> = const { RefCell::new(Vec::new()) };
    /// A remote parent waiting for the next root span created on this thread
    /// (see [`crate::trace::context::with_remote_parent`]).
    static REMOTE_PARENT: RefCell<Option<SpanContext>> = const { RefCell::new(None) };
}

/// A span this thread is in.
pub(crate) enum Current<'a> {
    /// An obs span (or the `tracing` span standing in for it, entered inside it).
    Native(&'a Slot),
    /// A `tracing` span (traced by obs or not).
    Tracing(Id),
}

/// Runs `f` on the spans this thread is in, innermost first, until it returns `Some`.
pub(crate) fn find<R>(mut f: impl FnMut(Current<'_>) -> Option<R>) -> Option<R> {
    let len = STACK.try_with(|stack| stack.try_borrow().map_or(0, |s| s.len())).unwrap_or(0);
    for i in (0..len).rev() {
        let Some(frame) = frame_at(i) else { continue };
        // SAFETY: a `Native` frame is on the stack only while its `Entered` guard lives, and
        // the guard borrows the slot; `f` runs within a call made while the guard lives (the
        // guard's owner is further down this thread's stack), so the slot outlives `f`.
        let found = match frame {
            Frame::Native(slot) => f(Current::Native(unsafe { slot.as_ref() })),
            Frame::Tracing(id) => match stood_in_for(&id) {
                Some(slot) => f(Current::Native(unsafe { slot.as_ref() })),
                None => f(Current::Tracing(id)),
            },
        };
        if found.is_some() {
            return found;
        }
    }
    None
}

fn frame_at(i: usize) -> Option<Frame> {
    STACK.try_with(|stack| stack.try_borrow().ok()?.get(i).cloned()).ok().flatten()
}

/// The innermost span this thread is in, if it is an obs span.
pub(crate) fn with_native<R>(f: impl FnOnce(&Slot) -> R) -> Option<R> {
    let frame = STACK.try_with(|stack| stack.try_borrow().ok()?.last().cloned()).ok()??;
    match frame {
        // SAFETY: as in `find`.
        Frame::Native(slot) => Some(f(unsafe { slot.as_ref() })),
        Frame::Tracing(_) => None,
    }
}

/// The obs span of this thread that the `tracing` span `id` stands in for, if any.
pub(crate) fn stood_in_for(id: &Id) -> Option<NonNull<Slot>> {
    let id = id.into_non_zero_u64();
    STACK
        .try_with(|stack| {
            stack.try_borrow().ok()?.iter().rev().find_map(|frame| match frame {
                // SAFETY: as in `find`; only a field of the slot is read, here.
                Frame::Native(slot) if unsafe { slot.as_ref() }.stand_in.get() == Some(id) => {
                    Some(*slot)
                }
                _ => None,
            })
        })
        .ok()
        .flatten()
}

/// Runs `f` on the record of the obs span of this thread that `id` stands in for.
pub(crate) fn with_stood_in<R>(id: &Id, f: impl FnOnce(&mut LiveSpan) -> R) -> Option<R> {
    let slot = stood_in_for(id)?;
    // SAFETY: as in `find`: the slot is on this thread's stack.
    let slot = unsafe { slot.as_ref() };
    let mut record = slot.record.try_borrow_mut().ok()?;
    record.as_mut().map(f)
}

/// The trace and span a span created now continues: the innermost traced span this thread is
/// in (`lookup` finds the record of a `tracing` span, if obs traces it).
pub(crate) fn parent(mut lookup: impl FnMut(&Id) -> Option<Parent>) -> Option<Parent> {
    find(|frame| match frame {
        Current::Native(slot) => slot.record.try_borrow().ok()?.as_ref().map(LiveSpan::as_parent),
        Current::Tracing(id) => lookup(&id),
    })
}

/// An obs span entered on this thread; leaving it removes it from the stack.
pub(crate) struct Entered<'a> {
    slot: &'a Slot,
}

/// Enters the obs span whose record is in `slot`.
pub(crate) fn enter(slot: &Slot) -> Entered<'_> {
    push(Frame::Native(NonNull::from(slot)));
    Entered { slot }
}

impl Drop for Entered<'_> {
    fn drop(&mut self) {
        let slot = NonNull::from(self.slot);
        remove(|frame| matches!(frame, Frame::Native(s) if *s == slot));
    }
}

/// A `tracing` span was entered.
pub(crate) fn enter_tracing(id: &Id) {
    push(Frame::Tracing(id.clone()));
}

/// A `tracing` span was exited (not necessarily the innermost one: `tracing` allows guards to
/// be dropped out of order).
pub(crate) fn exit_tracing(id: &Id) {
    remove(|frame| matches!(frame, Frame::Tracing(i) if i == id));
}

fn push(frame: Frame) {
    let _ = STACK.try_with(|stack| {
        if let Ok(mut stack) = stack.try_borrow_mut() {
            stack.push(frame);
        }
    });
}

/// Removes the innermost frame that matches.
fn remove(matches: impl Fn(&Frame) -> bool) {
    let _ = STACK.try_with(|stack| {
        if let Ok(mut stack) = stack.try_borrow_mut() {
            if stack.last().is_some_and(&matches) {
                stack.pop();
            } else if let Some(i) = stack.iter().rposition(matches) {
                stack.remove(i);
            }
        }
    });
}

/// Runs `f` with `parent` as the remote parent of the root spans it creates.
pub(crate) fn with_remote_parent<R>(parent: &SpanContext, f: impl FnOnce() -> R) -> R {
    struct Reset(Option<SpanContext>);
    impl Drop for Reset {
        fn drop(&mut self) {
            let previous = self.0.take();
            let _ = REMOTE_PARENT.try_with(|cell| *cell.borrow_mut() = previous);
        }
    }
    let previous = REMOTE_PARENT.with(|cell| cell.borrow_mut().replace(parent.clone()));
    let _reset = Reset(previous);
    f()
}

/// The remote parent set for the next root span of this thread, if any (consumed).
pub(crate) fn take_remote_parent() -> Option<SpanContext> {
    REMOTE_PARENT
        .try_with(|cell| cell.borrow_mut().take())
        .ok()
        .flatten()
        .filter(SpanContext::is_valid)
}
