//! What `#[observe]` expansions call. Not a public API: it changes without notice.

pub use crate::__obs_debug as debug;
pub use crate::__obs_display as display;
pub use crate::__obs_value as value;
pub use crate::golden::{OPERATIONS, Objective, Operation};
pub use crate::observe::call::{Call, Entered, Mode, mode};
pub use crate::observe::field::{
    Arg, IntoFieldValue, PiiArg, Plain, RecordDebug, RecordDebugOnly, RecordDisplay, RecordOpaque,
    RecordPii, RecordPiiSigil, RecordPrimitive, field_value, named_like_pii, recording,
};
pub use crate::observe::future::ObservedFuture;
pub use crate::observe::outcome::{
    DebugErrorOf, ErrorOf, ErrorOfAny, ErrorOfHttp, Returned, ShownByDebug, Verdict, VerdictOfHttp,
    VerdictOfResult, VerdictOfValue, debug_error_of, into_error,
};
pub use crate::observe::site::Site;
pub use crate::observe::tracing_span::{event as tracing_event, span as tracing_span};
pub use crate::pii::redact::{hashed, partial};
pub use crate::pii::{MASK, Redacted, field_named_like_pii};
pub use crate::trace::lineage::{Explicit, links_of, parent_of};
pub use linkme;
pub use tracing;

/// Runs the body closure of a sync function (called by value, so it needs no `mut` binding).
#[inline(always)]
pub fn run<R>(body: impl FnOnce() -> R) -> R {
    body()
}

/// The error of a returned value, for `#[observe(err)]` (see `outcome.rs`).
#[doc(hidden)]
#[macro_export]
macro_rules! __obs_error_of {
    ($value:expr) => {
        $crate::__private::into_error((&&$crate::__private::Returned($value)).obs_error())
    };
}
pub use crate::__obs_error_of as error_of;

/// The error of a returned `Result`, shown by `Debug`, for `#[observe(err(Debug))]`.
#[doc(hidden)]
#[macro_export]
macro_rules! __obs_debug_error_of {
    ($value:expr) => {
        $crate::__private::debug_error_of($value)
    };
}
pub use crate::__obs_debug_error_of as debug_error_of;

/// How `value` ended the call: `Err(_)` is an error, anything else is ok.
#[doc(hidden)]
#[macro_export]
macro_rules! __obs_verdict {
    ($value:expr) => {{
        #[allow(unused_imports)]
        use $crate::__private::{VerdictOfHttp as _, VerdictOfResult as _, VerdictOfValue as _};
        (&&&$crate::__private::Returned($value)).obs_verdict()
    }};
}
pub use crate::__obs_verdict as verdict;

#[cfg(feature = "serde")]
pub use serde;

// The macros below are plain expressions, not blocks: the values they borrow (`?vec![1]`) are
// temporaries that must live until the span that records them is built, as with `tracing`'s own
// macros. The traits they call must be in scope: `use ::obs::__private::recording::*;`.

/// The span field value of an expression, chosen at compile time (see the module docs).
#[doc(hidden)]
#[macro_export]
macro_rules! __obs_value {
    ($value:expr) => {
        $crate::__private::field_value((&&&&$crate::__private::Arg(&$value)).obs_value())
    };
}

/// `%value`, with the PII rule.
#[doc(hidden)]
#[macro_export]
macro_rules! __obs_display {
    ($value:expr) => {
        $crate::__private::field_value((&&&&&$crate::__private::Arg(&$value)).obs_display())
    };
}

/// `?value`, with the PII rule.
#[doc(hidden)]
#[macro_export]
macro_rules! __obs_debug {
    ($value:expr) => {
        $crate::__private::field_value((&&&&&$crate::__private::Arg(&$value)).obs_debug())
    };
}
