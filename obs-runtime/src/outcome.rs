//! How a call ended, and how the generated code decides it from the return value.

use std::fmt;

/// How an observed call ended; the value of the `result` label.
///
/// ```
/// assert_eq!(obs_runtime::Outcome::Cancelled.as_str(), "cancelled");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The call returned a value that is not an error.
    Ok,
    /// The call returned `Err(_)`, or a value that `error_if`/`ok_if` classed as an error.
    Error,
    /// The call panicked (the panic keeps unwinding; obs only records it).
    Panic,
    /// The call's future was dropped before it completed.
    Cancelled,
}

impl Outcome {
    /// Every outcome, in label order.
    pub const ALL: [Outcome; 4] = [
        Outcome::Ok,
        Outcome::Error,
        Outcome::Panic,
        Outcome::Cancelled,
    ];

    /// The `result` label value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Error => "error",
            Outcome::Panic => "panic",
            Outcome::Cancelled => "cancelled",
        }
    }

    /// Whether this outcome marks the span as failed (`otel.status_code = "ERROR"`).
    pub const fn is_failure(self) -> bool {
        matches!(self, Outcome::Error | Outcome::Panic)
    }

    pub(crate) const fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The outcome of a returned value plus, for errors, a low-cardinality `error.type`.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub(crate) outcome: Outcome,
    pub(crate) error_type: Option<&'static str>,
}

impl Verdict {
    /// A successful call.
    pub const OK: Verdict = Verdict {
        outcome: Outcome::Ok,
        error_type: None,
    };

    /// A failed call whose `error.type` is `error_type`.
    pub const fn error(error_type: &'static str) -> Verdict {
        Verdict {
            outcome: Outcome::Error,
            error_type: Some(error_type),
        }
    }

    /// `error_if = predicate`: an error when the predicate holds.
    pub const fn error_if(is_error: bool, predicate: &'static str) -> Verdict {
        if is_error {
            Verdict::error(predicate)
        } else {
            Verdict::OK
        }
    }

    /// `ok_if = predicate`: an error unless the predicate holds.
    pub const fn ok_if(is_ok: bool, predicate: &'static str) -> Verdict {
        Verdict::error_if(!is_ok, predicate)
    }

    /// The outcome this verdict records.
    pub const fn outcome(self) -> Outcome {
        self.outcome
    }
}

/// Borrowed return value, the receiver of the outcome classification.
///
/// The generated code calls `(&&Returned(&value)).obs_verdict()`. Method resolution tries the
/// receiver `&&Returned<T>` first, which only [`VerdictOfResult`] provides (for `Result`), then
/// `&Returned<T>`, which [`VerdictOfValue`] provides for every type. This is "autoref
/// specialization": it picks the most specific rule at compile time with no runtime cost.
#[doc(hidden)]
pub struct Returned<'a, T: ?Sized>(pub &'a T);

#[doc(hidden)]
pub trait VerdictOfResult {
    fn obs_verdict(&self) -> Verdict;
}

impl<T, E> VerdictOfResult for &Returned<'_, Result<T, E>> {
    #[inline]
    fn obs_verdict(&self) -> Verdict {
        match self.0 {
            Ok(_) => Verdict::OK,
            Err(_) => Verdict::error(std::any::type_name::<E>()),
        }
    }
}

#[doc(hidden)]
pub trait VerdictOfValue {
    fn obs_verdict(&self) -> Verdict;
}

impl<T: ?Sized> VerdictOfValue for Returned<'_, T> {
    #[inline]
    fn obs_verdict(&self) -> Verdict {
        Verdict::OK
    }
}

/// The error of a `Result`, for `#[observe(err)]`.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`#[observe(err)]` needs a function that returns `Result<T, E>` where `E: Display`; this one returns `{Self}`",
    label = "`err` records the `Display` of the error this function returns",
    note = "remove `err`, or return a `Result` whose error type implements `std::fmt::Display`"
)]
pub trait ErrorOf {
    /// The error to display, when the value is an error.
    fn error_of(&self) -> Option<&dyn fmt::Display>;
}

impl<T, E: fmt::Display> ErrorOf for Result<T, E> {
    #[inline]
    fn error_of(&self) -> Option<&dyn fmt::Display> {
        self.as_ref().err().map(|e| e as &dyn fmt::Display)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_errors_are_errors_and_other_values_are_ok() {
        let err: Result<u8, std::io::Error> = Err(std::io::Error::other("x"));
        let ok: Result<u8, std::io::Error> = Ok(1);
        // As the generated code asks: through the `verdict!` macro.
        let io_error = Verdict::error("std::io::error::Error");
        assert_eq!(crate::__obs_verdict!(&err), io_error);
        assert_eq!(crate::__obs_verdict!(&ok), Verdict::OK);
        assert_eq!(crate::__obs_verdict!(&Some(3)), Verdict::OK);
        assert_eq!(crate::__obs_verdict!(&None::<u8>), Verdict::OK);
    }

    #[test]
    fn predicates_decide_the_outcome() {
        assert_eq!(Verdict::error_if(true, "p").outcome(), Outcome::Error);
        assert_eq!(Verdict::error_if(false, "p").outcome(), Outcome::Ok);
        assert_eq!(Verdict::ok_if(true, "p").outcome(), Outcome::Ok);
        assert_eq!(Verdict::ok_if(false, "p"), Verdict::error("p"));
    }
}
