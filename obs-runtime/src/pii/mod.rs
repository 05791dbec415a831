//! Personal data: the types and rules that keep it out of telemetry at compile time (here),
//! the masks of `#[derive(Redact)]` types ([`redact`]), and the scrubber, the last line of
//! defence on every sink at run time ([`scrub`]). Uses nothing of the crate.
//!
//! - [`Secret<T>`] wraps a value so that it can be passed around but never printed: its
//!   `Debug` and `Display` say `[REDACTED]`.
//! - [`Pii`] marks a type that holds personal data. `#[observe]` refuses to record a value of
//!   such a type (an argument, a field, a return value) unless the type is also [`Redacted`].
//! - [`Redacted`] marks a type whose `Debug` output is safe: `Secret<T>` and every
//!   `#[derive(obs::Redact)]` type. An argument or field *named* like personal data (`email`,
//!   `card_number`, …) must have such a type, or be skipped, or be declared `not_pii`.
//!
//! ```
//! use obs_runtime::pii::{Pii, Secret};
//!
//! /// An email address: never recorded raw.
//! pub struct Email(String);
//! impl Pii for Email {}
//!
//! let password = Secret::new(String::from("hunter2"));
//! assert_eq!(format!("{password:?} {password}"), "[REDACTED] [REDACTED]");
//! assert_eq!(password.expose(), "hunter2");
//! ```

pub mod redact;
pub mod scrub;

use std::fmt;

/// A type that holds personal data. obs refuses to record a value of it unless it is also
/// [`Redacted`].
///
/// ```
/// pub struct PhoneNumber(String);
/// impl obs_runtime::pii::Pii for PhoneNumber {}
/// ```
pub trait Pii {}

/// A type whose `Debug` output hides its personal data, so obs may record it.
/// `#[derive(obs::Redact)]` implements it.
#[diagnostic::on_unimplemented(
    message = "`{Self}` holds personal data and has no redacted form, so obs will not record it",
    label = "a `Pii` type recorded in a span",
    note = "skip it (`#[observe(skip(name))]`), wrap it in `obs::Secret<_>`, or `#[derive(obs::Redact)]` on it"
)]
pub trait Redacted: fmt::Debug {}

/// A value that can be passed around but never printed or recorded.
///
/// ```
/// let token = obs_runtime::pii::Secret::new("sk_live_51H");
/// assert_eq!(format!("{token:?}"), "[REDACTED]");
/// ```
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    /// Wraps `value`.
    pub const fn new(value: T) -> Self {
        Secret(value)
    }

    /// The value, for the code that needs it (never for logs).
    pub fn expose(&self) -> &T {
        &self.0
    }

    /// Unwraps the value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> From<T> for Secret<T> {
    fn from(value: T) -> Self {
        Secret(value)
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

impl<T> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

impl<T> Pii for Secret<T> {}
// `do_not_recommend` on these impls: an error about a type without a redacted form names the
// fixes (the trait's message) instead of listing them.
#[diagnostic::do_not_recommend]
impl<T> Redacted for Secret<T> {}

// Wrappers of one redacted value. (No impls for collections: an error about a collection of
// plain values would then name the element type, which reads as if the element were the PII.)
#[diagnostic::do_not_recommend]
impl<T: Redacted + ?Sized> Redacted for &T {}
#[diagnostic::do_not_recommend]
impl<T: Redacted + ?Sized> Redacted for Box<T> {}
#[diagnostic::do_not_recommend]
impl<T: Redacted> Redacted for Option<T> {}

/// What a fully redacted value prints.
pub const MASK: &str = "[REDACTED]";

/// Recording rule for values *named* like personal data (checked by `#[observe]` and
/// `#[derive(obs::Redact)]` from the name): the type must redact its value.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "this is named like personal data, but `{Self}` would be recorded as written",
    label = "named like personal data (see obs's PII vocabulary)",
    note = "skip it: `#[observe(skip(name))]`",
    note = "or give it a type that redacts it: `obs::Secret<{Self}>`, or a `#[derive(obs::Redact)]` type",
    note = "or, if it holds no personal data, say so: `#[observe(not_pii(name))]`"
)]
pub trait NamedLikePii: fmt::Debug {}

impl<T: Redacted + ?Sized> NamedLikePii for T {}

/// Rule of `#[derive(Redact)]` for a field *named* like personal data and not marked: its type
/// must redact it.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "this field is named like personal data, but `{Self}` would be printed as written",
    label = "named like personal data (see obs's PII vocabulary)",
    note = "mark it `#[redact]`, `#[redact(partial)]`, `#[redact(hash)]` or `#[redact(skip)]`",
    note = "or give it a type that redacts it: `obs::Secret<{Self}>`, or a `#[derive(obs::Redact)]` type",
    note = "or, if it holds no personal data, mark it `#[not_pii]`"
)]
pub trait FieldNamedLikePii {}

impl<T: Redacted + ?Sized> FieldNamedLikePii for T {}

/// Checks a field named like personal data (called by `#[derive(Redact)]`'s `Debug`).
#[doc(hidden)]
#[inline(always)]
pub fn field_named_like_pii<T: FieldNamedLikePii + ?Sized>(_: &T) {}

/// A value recorded only through its redacted `Debug`.
#[doc(hidden)]
pub struct Redacting<'a, T: ?Sized>(pub &'a T);

// Bounded by `Debug`, not `Redacted`: it is made only where `Redacted` is checked (see
// `observe/field.rs`), and a second bound here would report the same mistake twice.
impl<T: fmt::Debug + ?Sized> fmt::Debug for Redacting<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.0, f)
    }
}

#[cfg(feature = "serde")]
impl<T> serde::Serialize for Secret<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(MASK)
    }
}

#[cfg(feature = "serde")]
impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for Secret<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(Secret)
    }
}
