//! The hook through which a capture (`obs::testing`) sees the observed calls of its thread.
//!
//! Observed functions count their calls into per-callsite statics shared by every thread, so a
//! test cannot tell its own calls from those of a test running beside it. While a capture is
//! active on a thread, each call that ends there is also handed to it. Outside a capture this
//! costs one relaxed load per call (`ACTIVE`, zero unless some thread captures).

use super::outcome::Verdict;
use super::site::Site;
use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// What a capture does with the calls that end on its thread.
pub(crate) trait CallObserver: Send + Sync {
    /// A call of `site` ended after `ns` nanoseconds, as `verdict` says.
    fn call_ended(&self, site: &'static Site, verdict: Verdict, ns: u64);
}

/// Threads with an observer set.
static ACTIVE: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static OBSERVER: RefCell<Option<Arc<dyn CallObserver>>> = const { RefCell::new(None) };
}

/// Whether the calls of this thread are captured: observed functions then take the `tracing`
/// span path, which the capture's subscriber sees, even when obs's own path is on.
#[inline]
pub(crate) fn is_active() -> bool {
    ACTIVE.load(Ordering::Relaxed) != 0 && with(|_| ()).is_some()
}

/// Runs `f` with this thread's observer, if there is one.
#[inline]
pub(crate) fn with<R>(f: impl FnOnce(&dyn CallObserver) -> R) -> Option<R> {
    OBSERVER
        .try_with(|observer| {
            let observer = observer.try_borrow().ok()?.clone()?;
            Some(f(&*observer))
        })
        .ok()
        .flatten()
}

/// Sets this thread's observer until the guard is dropped (the previous one is then restored).
#[cfg(feature = "testing")]
pub(crate) fn set(observer: Arc<dyn CallObserver>) -> Guard {
    ACTIVE.fetch_add(1, Ordering::Relaxed);
    let previous =
        OBSERVER.try_with(|slot| slot.try_borrow_mut().ok()?.replace(observer)).ok().flatten();
    Guard { previous }
}

/// Restores the previous observer when dropped.
#[cfg(feature = "testing")]
pub(crate) struct Guard {
    previous: Option<Arc<dyn CallObserver>>,
}

#[cfg(feature = "testing")]
impl Drop for Guard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        let _ = OBSERVER.try_with(|slot| {
            if let Ok(mut slot) = slot.try_borrow_mut() {
                *slot = previous;
            }
        });
        ACTIVE.fetch_sub(1, Ordering::Relaxed);
    }
}
