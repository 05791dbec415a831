//! The metrics of `#[observe]`d functions: collection and the bridge into the `metrics` facade
//! (`bridge.rs`), snapshots (`snapshot.rs`), obs's Prometheus endpoint (`prometheus.rs`) and the
//! process gauges (`process.rs`). It reads the counters of `crate::observe` and
//! `crate::golden`, from above; nothing below it uses it.
//!
//! Calls are counted into per-callsite counters (see `observe/stats.rs`) rather than through `metrics`
//! handles on every call: that keeps the hot path at two clock reads and a few uncontended
//! atomic additions. [`flush`] forwards what changed since the last flush to whichever `metrics`
//! recorder is current (global or thread-local), so a recorder installed at any time receives
//! every function's series: there are no handles that were resolved too early and stay dead.
//!
//! Series (names in [`crate::names`]):
//! - `function_calls_total{function, module, result}`: counter, `result` ∈ `ok|error|panic|cancelled`;
//! - `function_calls_duration_seconds{function, module}`: histogram, buckets [`DURATION_BUCKETS`];
//! - `function_calls_concurrent{function, module}`: gauge of calls in flight.
//!
//! ```
//! obs_runtime::metrics::enable();
//! assert!(obs_runtime::metrics::is_collecting());
//! obs_runtime::metrics::flush(); // into the current `metrics` recorder
//! for f in obs_runtime::metrics::snapshot() {
//!     println!("{}::{} {} calls", f.module, f.function, f.total_calls());
//! }
//! ```

pub(crate) mod bridge;
pub(crate) mod cardinality;
mod exposition;
mod handles;
mod native;
pub(crate) mod otlp;
pub(crate) mod process;
pub(crate) mod prometheus;
mod protobuf;
pub(crate) mod recorder;
pub(crate) mod runtime;
mod snapshot;

pub use crate::names::HTTP_DURATION_BUCKETS;
pub use crate::observe::stats::DURATION_BUCKETS;
pub use bridge::{disable, enable, flush, is_collecting, spawn_flusher};
pub use snapshot::{FunctionMetrics, function, snapshot};
