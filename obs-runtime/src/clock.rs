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

thread_local! {
    /// A wall-clock time and the raw reading taken with it, refreshed every second.
    static WALL_BASE: std::cell::Cell<(std::time::SystemTime, u64)> =
        std::cell::Cell::new((std::time::SystemTime::UNIX_EPOCH, 0));
}

/// The wall-clock time, for span timestamps: the cheap clock's reading since a wall-clock base
/// taken at most a second ago on this thread (two `SystemTime::now()` per span cost about as
/// much as the rest of a dropped span).
#[inline]
pub(crate) fn wall_now() -> std::time::SystemTime {
    let clock = clock();
    let raw = clock.raw();
    WALL_BASE.with(|base| {
        let (wall, at) = base.get();
        let since = clock.delta_as_nanos(at, raw);
        if at == 0 || since > 1_000_000_000 {
            let now = std::time::SystemTime::now();
            base.set((now, raw));
            now
        } else {
            wall + std::time::Duration::from_nanos(since)
        }
    })
}
