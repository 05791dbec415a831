//! The runtime of [obs](https://docs.rs/obs): what `#[observe]` expansions call, the metrics of
//! observed functions, and the one-call set-up of logs, traces and metrics ([`init`]).
//!
//! Users depend on the `obs` facade crate, which re-exports this crate and the macros.
//!
//! Its folders, as layers (each uses only those below it; `ARCHITECTURE.md` has the whole map):
//!
//! | layer | modules |
//! |---|---|
//! | set-up | `setup` ([`init`], [`TelemetryBuilder`], [`config`]), `tools` (feature `tools`), `testing` (feature `testing`) |
//! | entry points | `http` (feature `http`), `__private` (for generated code) |
//! | signals | `observe` (the observed call), `metrics`, `logs`, [`golden`] |
//! | traces | `trace` ([`context`]) |
//! | foundations | [`propagation`], [`pii`], `hotpath`, [`names`] |

#![warn(missing_docs)]

mod hotpath;
pub mod names;
pub mod pii;
pub mod propagation;

mod trace;

pub mod golden;
mod logs;
pub mod metrics;
mod observe;

#[cfg(feature = "http")]
pub mod http;
mod setup;
#[cfg(feature = "testing")]
pub mod testing;
#[cfg(feature = "tools")]
mod tools;

#[doc(hidden)]
pub mod __private;

pub use golden::health;
pub use metrics::HTTP_DURATION_BUCKETS;
pub use observe::Outcome;
pub use pii::{redact, scrub};
pub use setup::{
    BuildInfo, ConfigError, InitError, ShutdownError, Telemetry, TelemetryBuilder, config, init,
};
#[cfg(feature = "tools")]
pub use tools::{alerts, dashboards, report, traceview, why};
pub use trace::{PipelineStats, context};
