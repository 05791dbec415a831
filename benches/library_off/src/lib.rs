//! A library with obs's attributes on its API, built without obs's `observe` feature.

use std::hint::black_box;

/// The bare function.
#[inline(never)]
pub fn bare(x: u64) -> u64 {
    black_box(x) + 1
}

/// The bare function that returns a `Result`, the twin of [`observed`].
#[inline(never)]
pub fn bare_result(x: u64) -> Result<u64, String> {
    Ok(black_box(x) + 1)
}

/// The same, with `#[observe]`: with the feature off, the same function.
#[obs::observe(err)]
#[inline(never)]
pub fn observed(x: u64) -> Result<u64, String> {
    Ok(black_box(x) + 1)
}

/// The same, as an entry point.
#[obs::golden_signals(operation = "lib.entry")]
#[inline(never)]
pub fn entry(x: u64) -> u64 {
    black_box(x) + 1
}

/// A whole observed block.
pub struct Counter(pub u64);

#[obs::observe]
impl Counter {
    #[inline(never)]
    pub fn bump(&mut self) -> u64 {
        self.0 += 1;
        self.0
    }
}
