//! The clock of the hot path.
//!
//! `quanta` reads the CPU's time-stamp counter (about half the cost of `Instant::now()` here) and
//! falls back to the OS clock where the counter is not reliable. A call reads the raw counter
//! twice and scales only the difference.

use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

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

/// Nanoseconds from the raw reading `start` to the raw reading `end`.
#[inline]
pub(crate) fn delta_ns(start: u64, end: u64) -> u64 {
    clock().delta_as_nanos(start, end)
}

thread_local! {
    /// A wall-clock time and the raw reading taken with it, refreshed every second.
    static WALL_BASE: std::cell::Cell<(SystemTime, u64)> =
        const { std::cell::Cell::new((SystemTime::UNIX_EPOCH, 0)) };
}

/// The wall-clock time now, for event timestamps.
#[inline]
pub(crate) fn wall_now() -> SystemTime {
    wall_of(now())
}

/// The wall-clock time of the raw reading `raw`, for span timestamps: the cheap clock's
/// distance from a wall-clock base taken on this thread at most a second before the latest
/// reading converted (two `SystemTime::now()` per span would cost about as much as the rest
/// of a dropped span, and spans keep raw readings until they are exported).
pub(crate) fn wall_of(raw: u64) -> SystemTime {
    let clock = clock();
    WALL_BASE.with(|base| {
        let (mut wall, mut at) = base.get();
        if at == 0 || clock.delta_as_nanos(at, raw) > 1_000_000_000 {
            at = clock.raw();
            wall = SystemTime::now();
            base.set((wall, at));
        }
        if raw >= at {
            wall + Duration::from_nanos(clock.delta_as_nanos(at, raw))
        } else {
            wall - Duration::from_nanos(clock.delta_as_nanos(raw, at))
        }
    })
}
