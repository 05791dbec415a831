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
    pub const ALL: [Outcome; 4] = [Outcome::Ok, Outcome::Error, Outcome::Panic, Outcome::Cancelled];

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
    pub const OK: Verdict = Verdict { outcome: Outcome::Ok, error_type: None };

    /// A failed call whose `error.type` is `error_type`.
    pub const fn error(error_type: &'static str) -> Verdict {
        Verdict { outcome: Outcome::Error, error_type: Some(error_type) }
    }

    /// `error_if = predicate`: an error when the predicate holds.
    pub const fn error_if(is_error: bool, predicate: &'static str) -> Verdict {
        if is_error { Verdict::error(predicate) } else { Verdict::OK }
    }

    /// `ok_if = predicate`: an error unless the predicate holds.
    pub const fn ok_if(is_ok: bool, predicate: &'static str) -> Verdict {
        Verdict::error_if(!is_ok, predicate)
    }

    /// The outcome this verdict records.
    pub const fn outcome(self) -> Outcome {
        self.outcome
    }

    /// The `error_type` an operation counts this call's failure under (`obs_operation_errors_total`):
    /// `None` unless the call failed (an error or a panic).
    pub(crate) fn operation_error(self) -> Option<&'static str> {
        matches!(self.outcome, Outcome::Error | Outcome::Panic)
            .then(|| self.error_type.unwrap_or("error"))
    }
}

/// Borrowed return value, the receiver of the outcome classification.
///
/// The generated code calls `(&&&Returned(&value)).obs_verdict()`. Method resolution tries the
/// receiver `&&&Returned<T>` first, which [`VerdictOfHttp`] provides for HTTP responses and
/// status codes (a 5xx is an error), then `&&Returned<T>`, which [`VerdictOfResult`] provides
/// for `Result`, then `&Returned<T>`, which [`VerdictOfValue`] provides for every type. This is
/// "autoref specialization": it picks the most specific rule at compile time, at no cost.
#[doc(hidden)]
pub struct Returned<'a, T: ?Sized>(pub &'a T);

/// HTTP return values: a 5xx status is an error whose `error.type` is the status code.
#[doc(hidden)]
pub trait VerdictOfHttp {
    fn obs_verdict(&self) -> Verdict;
}

#[cfg(feature = "http")]
pub(crate) use http_verdicts::status_code_str;

#[cfg(feature = "http")]
mod http_verdicts {
    use super::{Returned, Verdict, VerdictOfHttp};
    use http::{Response, StatusCode};

    /// "500" to "599", three bytes each: `error.type` must be `'static`, and a status code's
    /// own string is not.
    static SERVER_ERRORS: [u8; 300] = {
        let mut digits = [0u8; 300];
        let mut i = 0;
        while i < 100 {
            let code = 500 + i;
            digits[i * 3] = b'0' + (code / 100) as u8;
            digits[i * 3 + 1] = b'0' + (code / 10 % 10) as u8;
            digits[i * 3 + 2] = b'0' + (code % 10) as u8;
            i += 1;
        }
        digits
    };

    /// A server error's status code as a `'static` string ("503").
    pub(crate) fn status_code_str(status: StatusCode) -> &'static str {
        match status.as_u16() {
            code @ 500..=599 => {
                let i = usize::from(code - 500) * 3;
                std::str::from_utf8(&SERVER_ERRORS[i..i + 3]).unwrap_or("5xx")
            }
            _ => "_OTHER",
        }
    }

    fn of_status(status: StatusCode) -> Verdict {
        if status.is_server_error() { Verdict::error(status_code_str(status)) } else { Verdict::OK }
    }

    impl VerdictOfHttp for &&Returned<'_, StatusCode> {
        fn obs_verdict(&self) -> Verdict {
            of_status(*self.0)
        }
    }

    impl<B> VerdictOfHttp for &&Returned<'_, Response<B>> {
        fn obs_verdict(&self) -> Verdict {
            of_status(self.0.status())
        }
    }

    impl<T> VerdictOfHttp for &&Returned<'_, (StatusCode, T)> {
        fn obs_verdict(&self) -> Verdict {
            of_status(self.0.0)
        }
    }

    /// `Err((status, message))`, axum's most common error: a 5xx is an error, a 4xx is the
    /// client's, not the operation's.
    impl<T, M> VerdictOfHttp for &&Returned<'_, Result<T, (StatusCode, M)>> {
        fn obs_verdict(&self) -> Verdict {
            match self.0 {
                Ok(_) => Verdict::OK,
                Err((status, _)) => of_status(*status),
            }
        }
    }

    impl<T> VerdictOfHttp for &&Returned<'_, Result<T, StatusCode>> {
        fn obs_verdict(&self) -> Verdict {
            match self.0 {
                Ok(_) => Verdict::OK,
                Err(status) => of_status(*status),
            }
        }
    }
}

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

/// The error of a `Result`, for `#[observe(err(Debug))]`.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`#[observe(err(Debug))]` needs a function that returns `Result<T, E>` where `E: Debug`; this one returns `{Self}`",
    label = "`err(Debug)` records the `Debug` of the error this function returns",
    note = "remove `err(Debug)`, or return a `Result` whose error type implements `std::fmt::Debug`"
)]
pub trait DebugErrorOf {
    /// The error to show, when the value is an error.
    fn debug_error_of(&self) -> Option<&dyn fmt::Debug>;
}

impl<T, E: fmt::Debug> DebugErrorOf for Result<T, E> {
    #[inline]
    fn debug_error_of(&self) -> Option<&dyn fmt::Debug> {
        self.as_ref().err().map(|e| e as &dyn fmt::Debug)
    }
}

/// A value shown by its `Debug` where a `Display` is recorded.
#[doc(hidden)]
pub struct ShownByDebug<'a>(pub &'a dyn fmt::Debug);

impl fmt::Display for ShownByDebug<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.0, f)
    }
}

#[doc(hidden)]
#[inline]
pub fn debug_error_of<R: DebugErrorOf + ?Sized>(value: &R) -> Option<ShownByDebug<'_>> {
    value.debug_error_of().map(ShownByDebug)
}

/// The error `err` records, chosen like the verdict: `(&&Returned(&value)).obs_error()`. An
/// HTTP error `Err((status, message))` gives its message ([`ErrorOfHttp`]); any other value
/// must be a `Result` whose error is `Display` ([`ErrorOf`], checked by [`into_error`] in the
/// user's code, so that its diagnostic is the one shown).
#[doc(hidden)]
pub struct ErrorValue<'a>(pub Option<&'a dyn fmt::Display>);

#[doc(hidden)]
pub struct NeedsErrorOf<'a, R: ?Sized>(pub &'a R);

#[doc(hidden)]
pub trait IntoError<'a> {
    fn into_error(self) -> Option<&'a dyn fmt::Display>;
}

impl<'a> IntoError<'a> for ErrorValue<'a> {
    #[inline]
    fn into_error(self) -> Option<&'a dyn fmt::Display> {
        self.0
    }
}

impl<'a, R: ErrorOf + ?Sized> IntoError<'a> for NeedsErrorOf<'a, R> {
    #[inline]
    fn into_error(self) -> Option<&'a dyn fmt::Display> {
        self.0.error_of()
    }
}

#[doc(hidden)]
#[inline]
pub fn into_error<'a, V: IntoError<'a>>(value: V) -> Option<&'a dyn fmt::Display> {
    value.into_error()
}

#[doc(hidden)]
pub trait ErrorOfHttp<'a> {
    fn obs_error(&self) -> ErrorValue<'a>;
}

#[cfg(feature = "http")]
impl<'a, T, M: fmt::Display> ErrorOfHttp<'a> for &Returned<'a, Result<T, (http::StatusCode, M)>> {
    #[inline]
    fn obs_error(&self) -> ErrorValue<'a> {
        ErrorValue(self.0.as_ref().err().map(|(_, message)| message as &dyn fmt::Display))
    }
}

#[doc(hidden)]
pub trait ErrorOfAny<'a, R: ?Sized> {
    fn obs_error(&self) -> NeedsErrorOf<'a, R>;
}

impl<'a, R: ?Sized> ErrorOfAny<'a, R> for Returned<'a, R> {
    #[inline]
    fn obs_error(&self) -> NeedsErrorOf<'a, R> {
        NeedsErrorOf(self.0)
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

    #[cfg(feature = "http")]
    #[test]
    fn server_errors_in_http_responses_are_errors() {
        use http::{Response, StatusCode};
        let unavailable = Response::builder().status(503).body(()).unwrap();
        assert_eq!(crate::__obs_verdict!(&unavailable), Verdict::error("503"));
        assert_eq!(
            crate::__obs_verdict!(&StatusCode::NOT_FOUND),
            Verdict::OK,
            "4xx is the client's error"
        );
        assert_eq!(
            crate::__obs_verdict!(&(StatusCode::BAD_GATEWAY, "down")),
            Verdict::error("502")
        );
        let not_found: Result<u8, (StatusCode, String)> =
            Err((StatusCode::NOT_FOUND, "no order".into()));
        assert_eq!(crate::__obs_verdict!(&not_found), Verdict::OK, "the client's error");
        let bad_gateway: Result<u8, (StatusCode, String)> =
            Err((StatusCode::BAD_GATEWAY, "db".into()));
        assert_eq!(crate::__obs_verdict!(&bad_gateway), Verdict::error("502"));
        let unavailable: Result<u8, StatusCode> = Err(StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(crate::__obs_verdict!(&unavailable), Verdict::error("503"));
        let other: Result<u8, String> = Err("x".into());
        assert_eq!(crate::__obs_verdict!(&other), Verdict::error("alloc::string::String"));
    }

    #[test]
    fn predicates_decide_the_outcome() {
        assert_eq!(Verdict::error_if(true, "p").outcome(), Outcome::Error);
        assert_eq!(Verdict::error_if(false, "p").outcome(), Outcome::Ok);
        assert_eq!(Verdict::ok_if(true, "p").outcome(), Outcome::Ok);
        assert_eq!(Verdict::ok_if(false, "p"), Verdict::error("p"));
    }
}
