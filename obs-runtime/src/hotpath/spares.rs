//! Per-thread pools of spare objects (span slots, traces) for the next spans of the thread:
//! allocating one costs as much as the rest of a dropped span's bookkeeping.

use std::cell::RefCell;
use std::thread::LocalKey;

/// Spares kept per thread and pool.
const SPARES_PER_THREAD: usize = 64;

/// A pool, to be held in a `thread_local!`.
pub(crate) struct Spares<T> {
    items: RefCell<Vec<T>>,
}

impl<T> Spares<T> {
    pub(crate) const fn new() -> Self {
        Spares { items: RefCell::new(Vec::new()) }
    }

    /// A spare from this thread's pool, if it has one.
    #[inline]
    pub(crate) fn take(pool: &'static LocalKey<Self>) -> Option<T> {
        pool.try_with(|pool| pool.items.try_borrow_mut().ok()?.pop()).ok().flatten()
    }

    /// Keeps `item` for later, unless the pool is full (or the thread is ending).
    #[inline]
    pub(crate) fn keep(pool: &'static LocalKey<Self>, item: T) {
        let _ = pool.try_with(|pool| {
            if let Ok(mut items) = pool.items.try_borrow_mut()
                && items.len() < SPARES_PER_THREAD
            {
                items.push(item);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    thread_local! {
        static POOL: Spares<u32> = const { Spares::new() };
    }

    #[test]
    fn a_pool_gives_back_what_it_kept_up_to_its_size() {
        assert_eq!(Spares::take(&POOL), None);
        for i in 0..100 {
            Spares::keep(&POOL, i);
        }
        let mut taken = 0;
        while Spares::take(&POOL).is_some() {
            taken += 1;
        }
        assert_eq!(taken, SPARES_PER_THREAD);
    }
}
