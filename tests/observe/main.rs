//! `#[observe]`: one file per function shape and per option.

mod support;

// Function shapes.
mod async_fn;
mod async_trait_methods;
mod blocks;
mod generics;
mod impl_trait;
mod methods;
mod returns_future;
mod sync_fn;
mod trait_default;
mod unsafe_fn;

// Options.
mod crate_path;
mod err;
mod error_if;
mod fields;
mod level_target;
mod name;
mod pii;
mod ret;
mod skip;

// Behaviour.
mod cancellation;
mod metrics_bridge;
mod panics;
