//! The observed call: what an `#[observe]`d function does each time it runs. Its callsite
//! ([`site`], one `static` per function), the guard that times it and records its outcome
//! ([`call`], [`outcome`]), the per-callsite counters ([`stats`]), how its arguments and return
//! value become span fields ([`field`]), the wrapper of async calls ([`future`]), and the hook
//! through which a test's capture sees its thread's calls ([`capture`]).
//!
//! A call goes down from here: to `crate::trace` (its span), `crate::golden` (the operation's
//! counters), `crate::pii` (what may be recorded). The metrics bridge reads the counters from
//! above.

pub(crate) mod call;
pub(crate) mod capture;
pub(crate) mod field;
pub(crate) mod future;
pub(crate) mod outcome;
pub(crate) mod site;
pub(crate) mod stats;
pub(crate) mod tracing_span;

pub use outcome::Outcome;
