//! The expansion adds no warning, whatever the function's shape.
#![deny(warnings)]

use std::fmt::Display;
use std::future::Future;

#[derive(Debug)]
pub struct S(u32);

impl S {
    #[obs::observe]
    pub fn by_ref(&self) -> u32 {
        self.0
    }

    #[obs::observe(skip(self), err)]
    pub fn by_mut(&mut self, by: u32) -> Result<u32, String> {
        if by == 0 {
            return Err("zero".into());
        }
        self.0 += by;
        Ok(self.0)
    }

    #[obs::observe]
    pub async fn by_value(self) -> u32 {
        self.0
    }
}

#[obs::observe(level = "debug")]
pub fn unit_body(x: u32) -> () {
    let _ = x;
}

#[obs::observe]
pub fn never_uses(_unused: u32) {}

#[obs::observe]
pub fn generic<T: Display, U>(t: T, _u: U) -> impl Display
where
    U: Clone,
{
    t.to_string()
}

#[obs::observe]
pub fn nested() -> Result<Vec<impl Display>, std::io::Error> {
    Ok(vec![1])
}

#[obs::observe]
pub fn returns_future(x: u32) -> impl Future<Output = u32> + Send {
    async move { x }
}

#[obs::observe(err)]
pub async fn async_result(x: u32) -> Result<u32, std::io::Error> {
    if x == 0 {
        return Err(std::io::Error::other("zero"));
    }
    Ok(x)
}

/// # Safety
/// Nothing to uphold.
#[obs::observe]
pub unsafe fn unsafe_fn(x: u32) -> u32 {
    x
}

pub trait T {
    #[obs::observe]
    fn default_body(&self) -> u32 {
        1
    }
}

#[obs::observe]
pub fn mutable_argument(mut v: Vec<u32>) -> usize {
    v.push(1);
    v.len()
}

#[obs::observe]
pub fn with_inner_attribute(x: u32) -> u32 {
    #![allow(clippy::identity_op)]
    x + 0
}

fn main() {
    let mut s = S(1);
    let _ = s.by_ref();
    let _ = s.by_mut(1);
    let _ = s.by_value();
    unit_body(1);
    never_uses(1);
    let _ = generic(1, 2);
    let _ = nested();
    let _ = returns_future(1);
    let _ = async_result(1);
    // SAFETY: nothing to uphold.
    let _ = unsafe { unsafe_fn(1) };
    let _ = mutable_argument(vec![]);
    let _ = with_inner_attribute(1);
}
