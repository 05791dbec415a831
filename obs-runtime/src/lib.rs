//! The runtime of [obs](https://docs.rs/obs): what `#[observe]` expansions call, and the
//! metrics of observed functions.
//!
//! Users depend on the `obs` facade crate, which re-exports this crate and the macros.

#![warn(missing_docs)]

mod call;
mod clock;
mod future;
pub mod metrics;
pub mod names;
mod outcome;
mod record;
mod site;
mod stats;

#[doc(hidden)]
pub mod __private;

pub use outcome::Outcome;
