//! Traces: obs's own spans of observed functions ([`native`]) and `tracing` spans recorded by
//! its layer ([`layer`]), nested through the thread's stack of entered spans ([`current`], kept
//! by [`subscriber`]), grouped per trace ([`local_trace`]), sampled ([`sampling`]), and carried
//! by a one-way pipeline ([`pipeline`]) to export ([`export`]). [`context`] is the public face:
//! the ids and request context of the current span.
//!
//! Layers, top to bottom: `context`, `layer`, `subscriber` and `native` (entry points) →
//! `pipeline` (acts: export, count) → `local_trace` (decides, per trace) → `sampling` (rules),
//! `span` and `fields` (data) → `export` (out of the process). A module uses only those below
//! it, and `crate::hotpath`, `crate::pii`, `crate::propagation` and `crate::names`.
//!
//! Why not `tracing-opentelemetry`: it builds the whole OpenTelemetry span before any sampler
//! runs (about 1 µs per span even when the trace is dropped) and samples only at the start of a
//! trace, so it cannot keep "every failed trace". obs records spans cheaply, decides per trace
//! once the trace is over, and materialises OpenTelemetry span data only for what it exports.

pub mod context;
pub(crate) mod counters;
pub(crate) mod current;
pub(crate) mod exemplar;
pub(crate) mod export;
pub(crate) mod fields;
pub(crate) mod ids;
pub(crate) mod layer;
pub(crate) mod lineage;
pub(crate) mod local_trace;
pub(crate) mod native;
mod parked;
pub(crate) mod pipeline;
pub(crate) mod registry;
pub(crate) mod sampling;
pub(crate) mod span;
pub(crate) mod subscriber;

pub use counters::PipelineStats;
