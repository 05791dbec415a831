//! Set-up: one call at the top of `main` ([`init`], or the [`TelemetryBuilder`]), its settings
//! ([`config`], from the builder and the standard environment variables) and errors
//! ([`error`]). It assembles the layers below it ([`install`]), from their own entry points:
//! the trace pipeline, the log layer, the Prometheus endpoint; and returns the guard
//! ([`Telemetry`]) that flushes and shuts them down.

mod background;
mod build_info;
mod builder;
pub mod config;
pub(crate) mod error;
mod install;
mod otlp;
mod resource;
mod sinks;
mod telemetry;

pub use build_info::BuildInfo;
pub use builder::{TelemetryBuilder, init};
pub use error::{ConfigError, InitError, ShutdownError};
pub use telemetry::Telemetry;
