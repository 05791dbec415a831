//! The runtime of [obs](https://docs.rs/obs): what `#[observe]` expansions call, the metrics of
//! observed functions, and the one-call set-up of logs, traces and metrics ([`init`]).
//!
//! Users depend on the `obs` facade crate, which re-exports this crate and the macros.

#![warn(missing_docs)]

pub mod alerts;
mod call;
mod clock;
pub mod config;
pub mod context;
pub mod dashboards;
mod error;
mod future;
pub mod golden;
pub mod health;
#[cfg(feature = "http")]
pub mod http;
mod logs;
pub mod metrics;
pub mod names;
mod otlp;
mod outcome;
mod panic;
pub mod pii;
mod process;
mod prometheus;
pub mod propagation;
mod record;
pub mod redact;
pub mod scrub;
mod site;
mod stats;
mod telemetry;
mod trace;
pub mod traceview;

#[doc(hidden)]
pub mod __private;

pub use error::{ConfigError, InitError, ShutdownError};
pub use outcome::Outcome;
pub use prometheus::HTTP_DURATION_BUCKETS;
pub use telemetry::{Telemetry, TelemetryBuilder, init};
pub use trace::pipeline::PipelineStats;
