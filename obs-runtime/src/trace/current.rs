//! The span each thread is in: obs's own spans (see [`super::native`]) and the `tracing` spans
//! obs traces, in the order they were entered, and the remote parent waiting for the next root.
//!
//! `tracing`'s registry keeps its own stack, but obs's own spans never reach it; this one holds
//! both kinds, so that a `tracing` span created inside an observed function (and an observed
//! function called inside a `tracing` span) finds its parent, and a log line its trace.

use super::pipeline::Parent;
use super::span::SpanRecord;
use opentelemetry::trace::SpanContext;
use std::cell::RefCell;
use std::ptr::NonNull;
use tracing::span::Id;

/// Where an obs span's record lives while it runs: inside its `Call`, which stays in place
/// while the span is entered (borrowed by the guard, or pinned in a future being polled).
/// `None` once the span has ended.
pub(crate) type Slot = RefCell<Option<SpanRecord>>;

#[derive(Clone)]
enum Frame {
    Native(NonNull<Slot>),
    Tracing(Id),
}

thread_local! {
    static STACK: RefCell<Vec<Frame>> = const { RefCell::new(Vec::new()) };
    /// A remote parent waiting for the next root span created on this thread
    /// (see [`crate::context::with_remote_parent`]).
    static REMOTE_PARENT: RefCell<Option<SpanContext>> = const { RefCell::new(None) };
}

/// The innermost span this thread is in.
pub(crate) enum Top<'a> {
    /// An obs span: its record (`None` if it already ended).
    Native(&'a Slot),
    /// A `tracing` span traced by obs.
    Tracing(Id),
}

/// Runs `f` on the innermost span this thread is in; `None` outside any.
pub(crate) fn with_top<R>(f: impl FnOnce(Top<'_>) -> R) -> Option<R> {
    let frame = STACK.try_with(|stack| stack.try_borrow().ok()?.last().cloned()).ok()??;
    Some(match frame {
        // SAFETY: a `Native` frame is on the stack only while its `Entered` guard lives, and
        // the guard borrows the slot; `f` runs within a call made while the guard lives (the
        // guard's owner is further down this thread's stack), so the slot outlives `f`.
        Frame::Native(slot) => f(Top::Native(unsafe { slot.as_ref() })),
        Frame::Tracing(id) => f(Top::Tracing(id)),
    })
}

/// The trace and span a span created now continues: the innermost span this thread is in
/// (`lookup` finds the record of a `tracing` span).
pub(crate) fn parent(lookup: impl FnOnce(&Id) -> Option<Parent>) -> Option<Parent> {
    with_top(|top| match top {
        Top::Native(slot) => slot.try_borrow().ok()?.as_ref().map(SpanRecord::as_parent),
        Top::Tracing(id) => lookup(&id),
    })
    .flatten()
}

/// An obs span entered on this thread; leaving it removes it from the stack.
pub(crate) struct Entered<'a> {
    slot: &'a Slot,
}

/// Enters the obs span whose record is in `slot`.
pub(crate) fn enter(slot: &Slot) -> Entered<'_> {
    let frame = Frame::Native(NonNull::from(slot));
    let _ = STACK.try_with(|stack| {
        if let Ok(mut stack) = stack.try_borrow_mut() {
            stack.push(frame);
        }
    });
    Entered { slot }
}

impl Drop for Entered<'_> {
    fn drop(&mut self) {
        let slot = NonNull::from(self.slot);
        remove(|frame| matches!(frame, Frame::Native(s) if *s == slot));
    }
}

/// A `tracing` span obs traces was entered.
pub(crate) fn enter_tracing(id: &Id) {
    let _ = STACK.try_with(|stack| {
        if let Ok(mut stack) = stack.try_borrow_mut() {
            stack.push(Frame::Tracing(id.clone()));
        }
    });
}

/// A `tracing` span obs traces was exited (not necessarily the innermost one: `tracing`
/// allows guards to be dropped out of order).
pub(crate) fn exit_tracing(id: &Id) {
    remove(|frame| matches!(frame, Frame::Tracing(i) if i == id));
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
