//! Counters that many threads add to without contending: a stripe (cache line) per group of
//! threads, summed when read; and the index that maps a thread to its stripe.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};

static NEXT_THREAD: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static THREAD_INDEX: Cell<usize> = const { Cell::new(usize::MAX) };
}

/// This thread's index, for choosing a stripe: assigned on first use, in order.
#[inline]
pub(crate) fn thread_index() -> usize {
    THREAD_INDEX.with(|cell| {
        let index = cell.get();
        if index != usize::MAX {
            return index;
        }
        let index = NEXT_THREAD.fetch_add(1, Relaxed);
        cell.set(index);
        index
    })
}

/// A counter split over cache lines, one per group of threads: adding never contends with
/// other threads; reading sums the cells. Values wrap, so that a count added on one thread and
/// subtracted on another still sums right.
#[derive(Debug)]
pub(crate) struct Striped {
    cells: [Padded; 16],
}

#[derive(Debug)]
#[repr(align(128))]
struct Padded(AtomicU64);

impl Striped {
    pub(crate) const fn new() -> Self {
        Striped { cells: [const { Padded(AtomicU64::new(0)) }; 16] }
    }

    #[inline]
    pub(crate) fn add(&self, n: u64) {
        self.cells[thread_index() & 15].0.fetch_add(n, Relaxed);
    }

    #[inline]
    pub(crate) fn sub(&self, n: u64) {
        self.cells[thread_index() & 15].0.fetch_sub(n, Relaxed);
    }

    pub(crate) fn get(&self) -> u64 {
        self.cells.iter().fold(0u64, |total, cell| total.wrapping_add(cell.0.load(Relaxed)))
    }
}

impl Default for Striped {
    fn default() -> Self {
        Striped::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn striped_counts_add_up_across_threads() {
        let counter = Striped::new();
        std::thread::scope(|s| {
            s.spawn(|| (0..1000).for_each(|_| counter.add(1)));
            s.spawn(|| (0..400).for_each(|_| counter.sub(1)));
        });
        assert_eq!(counter.get(), 600);
    }
}
