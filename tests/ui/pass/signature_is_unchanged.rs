//! Docs, attributes and the signature stay as written: the function still satisfies a
//! function-pointer type, a trait and `#[must_use]`.
#![deny(unused_must_use)]

/// Doubles.
#[obs::observe]
#[must_use]
#[inline]
pub fn double(x: u32) -> u32 {
    x * 2
}

trait Store {
    fn get(&self, key: u32) -> Option<u32>;
}

struct Mem;

impl Store for Mem {
    #[obs::observe(error_if = Option::is_none)]
    fn get(&self, key: u32) -> Option<u32> {
        Some(key)
    }
}

fn main() {
    let f: fn(u32) -> u32 = double;
    let _ = f(1);
    let _ = Mem.get(1);
}
