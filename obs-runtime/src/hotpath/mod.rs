//! Primitives of the hot path, below everything else: the cheap clock ([`clock`]), counters
//! that threads add to without contending ([`striped`]), exponential histogram buckets
//! ([`exponential`]), and per-thread pools of spare objects ([`spares`]). They use nothing of the crate.

pub(crate) mod clock;
pub(crate) mod exponential;
pub(crate) mod spares;
pub(crate) mod striped;
