//! # obs
//!
//! Observability for Rust services from attribute macros and a thin runtime: `#[observe]`
//! gives any function a `tracing` span, a call counter by result, a latency histogram and an
//! in-flight gauge; [`init`] sets up correlated JSON logs, sampled traces (OTLP, or a local
//! file) and a Prometheus endpoint in one call.
//!
//! ```
//! #[obs::observe(err)]
//! fn charge(order_id: u64, cents: u32) -> Result<(), String> {
//!     if cents == 0 { Err("empty order".into()) } else { Ok(()) }
//! }
//!
//! obs::metrics::enable();
//! charge(7, 0).unwrap_err();
//! let m = obs::metrics::function(concat!(module_path!(), "::charge")).unwrap();
//! assert_eq!(m.calls(obs::Outcome::Error), 1);
//! ```

#[doc(inline)]
pub use obs_macros::{Redact, golden_signals, observe};
pub use obs_runtime::pii::{Pii, Redacted, Secret};
// Everything the runtime offers, under the same paths (`obs::context`, `obs::http`, …): a glob,
// so that what a feature adds (`http`, `tools`) appears here with it.
#[doc(inline)]
pub use obs_runtime::*;
