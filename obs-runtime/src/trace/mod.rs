//! Traces: spans of observed functions recorded on obs's own path ([`native`]), `tracing` spans
//! recorded by [`layer::ObsLayer`], both kinds nested through the thread's stack of entered spans
//! ([`current`], kept by [`subscriber::ObsSubscriber`]), sampled per trace by [`sampling`], and
//! exported by [`export`] over OTLP or to the embedded file ([`file`]).
//!
//! Why not `tracing-opentelemetry`: it builds the whole OpenTelemetry span before any sampler
//! runs (about 1 µs per span even when the trace is dropped) and samples only at the start of a
//! trace, so it cannot keep "every failed trace". obs records spans cheaply, decides per trace
//! once the trace is over, and materialises OpenTelemetry span data only for what it exports.

pub(crate) mod current;
pub(crate) mod export;
pub(crate) mod file;
pub(crate) mod layer;
pub(crate) mod native;
pub(crate) mod pipeline;
pub(crate) mod sampling;
pub(crate) mod span;
pub(crate) mod subscriber;
