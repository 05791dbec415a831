//! The clock of the hot path.
//!
//! `quanta` reads the CPU's time-stamp counter (about half the cost of `Instant::now()` here) and
//! falls back to the OS clock where the counter is not reliable. A call reads the raw counter
//! twice and scales only the difference.

use std::sync::OnceLock;

static CLOCK: OnceLock<quanta::Clock> = OnceLock::new();

fn clock() -> &'static quanta::Clock {
    CLOCK.get_or_init(quanta::Clock::new)
}

/// Calibrates the clock now, so that the first observed call does not pay for it.
pub(crate) fn warm_up() {
    clock();
}

/// A raw reading, only meaningful to [`elapsed_ns`].
#[inline]
pub(crate) fn now() -> u64 {
    clock().raw()
}

/// Nanoseconds since the raw reading `start`.
#[inline]
pub(crate) fn elapsed_ns(start: u64) -> u64 {
    let clock = clock();
    clock.delta_as_nanos(start, clock.raw())
}
