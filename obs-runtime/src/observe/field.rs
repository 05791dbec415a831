//! How an argument, a `fields(...)` value or a return value becomes a span field.
//!
//! The generated code calls `(&&&&Arg(&value)).obs_value()` (through the `value!` macro).
//! Method resolution tries four receivers in turn, so the most specific rule wins at compile
//! time:
//!
//! 0. `&&&&Arg<T>`: [`RecordPii`]: a type that declares itself [`Pii`] is recorded only through
//!    its redacted `Debug`; if it is not [`Redacted`](crate::pii::Redacted), compilation fails
//!    with a message that names the fixes;
//! 1. `&&&Arg<T>`: [`RecordPrimitive`]: integers, floats, `bool` and strings are recorded as
//!    typed values (an OTLP `intValue`, not a string);
//! 2. `&&Arg<T>`: [`RecordDebug`]: any other `Debug` type is recorded with its `Debug` output;
//! 3. `&Arg<T>`: [`RecordOpaque`]: a type without `Debug` is declared but left empty, instead of
//!    failing to compile as `#[tracing::instrument]` does.
//!
//! `%value` and `?value` fields take the same rule 0 before `Display`/`Debug`.

use crate::pii::{NamedLikePii, Pii, Redacting};
use std::fmt::{Debug, Display};
use tracing::field::{DebugValue, DisplayValue, Empty};

/// A borrowed value to record.
#[doc(hidden)]
pub struct Arg<'a, T: ?Sized>(pub &'a T);

/// A value of a [`Pii`] type on its way to a span: it becomes a field value only if the type is
/// `Redacted` (see [`IntoFieldValue`]). That check happens in the user's code, where the span is
/// built, so a `Pii` type without a redacted form fails to compile there, with `Redacted`'s
/// message.
#[doc(hidden)]
pub struct PiiArg<'a, T: ?Sized>(pub &'a T);

/// Rule 0.
#[doc(hidden)]
pub trait RecordPii<'a, T: ?Sized> {
    fn obs_value(&self) -> PiiArg<'a, T>;
}

impl<'a, T: Pii + ?Sized> RecordPii<'a, T> for &&&Arg<'a, T> {
    #[inline]
    fn obs_value(&self) -> PiiArg<'a, T> {
        PiiArg(self.0)
    }
}

/// A value of any other rule, ready to record.
#[doc(hidden)]
pub struct Plain<V>(pub V);

/// The last step of every recorded value: a [`Plain`] value passes through, a [`PiiArg`]
/// passes as its redacted `Debug`, if its type is `Redacted` (see [`Recordable`]).
#[doc(hidden)]
pub trait IntoFieldValue {
    type Value: tracing::Value;
    fn into_field_value(self) -> Self::Value;
}

impl<V: tracing::Value> IntoFieldValue for Plain<V> {
    type Value = V;
    #[inline]
    fn into_field_value(self) -> V {
        self.0
    }
}

impl<'a, T: Debug + ?Sized> IntoFieldValue for PiiArg<'a, T> {
    type Value = DebugValue<Redacting<'a, T>>;
    #[inline]
    fn into_field_value(self) -> Self::Value {
        tracing::field::debug(Redacting(self.0))
    }
}

/// What may leave as a field value: a [`Plain`] value, and a [`PiiArg`] whose type is
/// `Redacted`. Apart from [`IntoFieldValue`], so that the value's type does not depend on the
/// check, and a `Pii` type without a redacted form is one error (`Redacted`'s, which names
/// the fixes), not two.
#[doc(hidden)]
pub trait Recordable {}

impl<V> Recordable for Plain<V> {}

impl<T: crate::pii::Redacted + ?Sized> Recordable for PiiArg<'_, T> {}

#[doc(hidden)]
#[inline]
pub fn field_value<V: IntoFieldValue + Recordable>(value: V) -> V::Value {
    value.into_field_value()
}

#[doc(hidden)]
pub trait RecordPrimitive {
    type Value: tracing::Value;
    fn obs_value(&self) -> Plain<Self::Value>;
}

macro_rules! record_as {
    ($as:ty: $($t:ty),*) => {$(
        impl RecordPrimitive for &&&Arg<'_, $t> {
            type Value = $as;
            #[inline]
            fn obs_value(&self) -> Plain<$as> {
                Plain(<$as>::from(*self.0))
            }
        }
    )*};
}

record_as!(i64: i8, i16, i32, i64, u8, u16, u32);
record_as!(u64: u64);
record_as!(f64: f32, f64);
record_as!(bool: bool);

impl RecordPrimitive for &&&Arg<'_, usize> {
    type Value = u64;
    #[inline]
    fn obs_value(&self) -> Plain<u64> {
        Plain(*self.0 as u64)
    }
}

impl RecordPrimitive for &&&Arg<'_, isize> {
    type Value = i64;
    #[inline]
    fn obs_value(&self) -> Plain<i64> {
        Plain(*self.0 as i64)
    }
}

impl<'a> RecordPrimitive for &&&Arg<'a, &str> {
    type Value = &'a str;
    #[inline]
    fn obs_value(&self) -> Plain<&'a str> {
        Plain(self.0)
    }
}

impl<'a> RecordPrimitive for &&&Arg<'a, String> {
    type Value = &'a str;
    #[inline]
    fn obs_value(&self) -> Plain<&'a str> {
        Plain(self.0.as_str())
    }
}

impl<'a> RecordPrimitive for &&&Arg<'a, str> {
    type Value = &'a str;
    #[inline]
    fn obs_value(&self) -> Plain<&'a str> {
        Plain(self.0)
    }
}

#[doc(hidden)]
pub trait RecordDebug {
    type Value: tracing::Value;
    fn obs_value(&self) -> Plain<Self::Value>;
}

impl<'a, T: Debug + ?Sized> RecordDebug for &&Arg<'a, T> {
    type Value = DebugValue<&'a T>;
    #[inline]
    fn obs_value(&self) -> Plain<DebugValue<&'a T>> {
        Plain(tracing::field::debug(self.0))
    }
}

#[doc(hidden)]
pub trait RecordOpaque {
    fn obs_value(&self) -> Plain<Empty>;
}

impl<T: ?Sized> RecordOpaque for &Arg<'_, T> {
    #[inline]
    fn obs_value(&self) -> Plain<Empty> {
        Plain(Empty)
    }
}

/// `%value`: rule 0, then `Display`.
#[doc(hidden)]
pub trait RecordDisplay {
    type Value: tracing::Value;
    fn obs_display(&self) -> Plain<Self::Value>;
}

impl<'a, T: Display + ?Sized> RecordDisplay for &&&Arg<'a, T> {
    type Value = DisplayValue<&'a T>;
    #[inline]
    fn obs_display(&self) -> Plain<DisplayValue<&'a T>> {
        Plain(tracing::field::display(self.0))
    }
}

/// `?value`: rule 0, then `Debug`.
#[doc(hidden)]
pub trait RecordDebugOnly {
    type Value: tracing::Value;
    fn obs_debug(&self) -> Plain<Self::Value>;
}

impl<'a, T: Debug + ?Sized> RecordDebugOnly for &&&Arg<'a, T> {
    type Value = DebugValue<&'a T>;
    #[inline]
    fn obs_debug(&self) -> Plain<DebugValue<&'a T>> {
        Plain(tracing::field::debug(self.0))
    }
}

/// Rule 0 under the names `%`/`?` fields use.
#[doc(hidden)]
pub trait RecordPiiSigil<'a, T: ?Sized> {
    fn obs_display(&self) -> PiiArg<'a, T>;
    fn obs_debug(&self) -> PiiArg<'a, T>;
}

impl<'a, T: Pii + ?Sized> RecordPiiSigil<'a, T> for &&&&Arg<'a, T> {
    #[inline]
    fn obs_display(&self) -> PiiArg<'a, T> {
        PiiArg(self.0)
    }
    #[inline]
    fn obs_debug(&self) -> PiiArg<'a, T> {
        PiiArg(self.0)
    }
}

/// A value whose *name* looks like personal data: recorded only if its type redacts it.
#[doc(hidden)]
#[inline]
pub fn named_like_pii<T: NamedLikePii + ?Sized>(value: &T) -> DebugValue<&T> {
    tracing::field::debug(value)
}

/// The recording traits, imported without names (`use …::recording::*;`) where the macros
/// above are used.
#[doc(hidden)]
pub mod recording {
    pub use super::{
        RecordDebug as _, RecordDebugOnly as _, RecordDisplay as _, RecordOpaque as _,
        RecordPii as _, RecordPiiSigil as _, RecordPrimitive as _,
    };
    pub use crate::observe::outcome::{ErrorOfAny as _, ErrorOfHttp as _};
}

#[cfg(test)]
mod tests {
    use super::Arg;
    use super::recording::*;
    use std::fmt::Write;
    use tracing::field::{Field, Visit};

    /// Records which `Visit` method a value reaches.
    #[derive(Default)]
    struct Kind(String);
    impl Visit for Kind {
        fn record_i64(&mut self, _: &Field, v: i64) {
            write!(self.0, "i64:{v}").unwrap();
        }
        fn record_u64(&mut self, _: &Field, v: u64) {
            write!(self.0, "u64:{v}").unwrap();
        }
        fn record_f64(&mut self, _: &Field, v: f64) {
            write!(self.0, "f64:{v}").unwrap();
        }
        fn record_bool(&mut self, _: &Field, v: bool) {
            write!(self.0, "bool:{v}").unwrap();
        }
        fn record_str(&mut self, _: &Field, v: &str) {
            write!(self.0, "str:{v}").unwrap();
        }
        fn record_debug(&mut self, _: &Field, v: &dyn std::fmt::Debug) {
            write!(self.0, "debug:{v:?}").unwrap();
        }
    }

    fn kind(value: &dyn tracing::Value) -> String {
        struct Cs;
        impl tracing::callsite::Callsite for Cs {
            fn set_interest(&self, _: tracing::subscriber::Interest) {}
            fn metadata(&self) -> &tracing::Metadata<'_> {
                &META
            }
        }
        static CS: Cs = Cs;
        static META: tracing::Metadata<'static> = tracing::Metadata::new(
            "t",
            "t",
            tracing::Level::INFO,
            None,
            None,
            None,
            tracing::field::FieldSet::new(&["v"], tracing::callsite::Identifier(&CS)),
            tracing::metadata::Kind::SPAN,
        );
        let field = META.fields().field("v").unwrap();
        let mut k = Kind::default();
        value.record(&field, &mut k);
        k.0
    }

    #[derive(Debug)]
    struct Order {
        id: u32,
    }
    struct NoDebug;

    #[test]
    fn primitives_are_typed_other_values_use_debug_and_the_rest_stay_empty() {
        let s = String::from("abc");
        let order = Order { id: 7 };
        assert_eq!(kind(&crate::__obs_value!(5u32)), "i64:5");
        assert_eq!(kind(&crate::__obs_value!(-5i8)), "i64:-5");
        assert_eq!(kind(&crate::__obs_value!(u64::MAX)), format!("u64:{}", u64::MAX));
        assert_eq!(kind(&crate::__obs_value!(3usize)), "u64:3");
        assert_eq!(kind(&crate::__obs_value!(1.5f32)), "f64:1.5");
        assert_eq!(kind(&crate::__obs_value!(true)), "bool:true");
        assert_eq!(kind(&crate::__obs_value!("lit")), "str:lit");
        assert_eq!(kind(&crate::__obs_value!(s)), "str:abc");
        assert_eq!(kind(&crate::__obs_value!(order)), "debug:Order { id: 7 }");
        assert_eq!(kind(&crate::__obs_value!(Some(1))), "debug:Some(1)");
        assert_eq!(kind(&crate::__obs_value!(NoDebug)), "");
        let _ = Arg(&order.id);
    }

    fn generic<T: std::fmt::Debug>(t: T) -> String {
        kind(&crate::__obs_value!(t))
    }

    fn unbounded<T>(t: T) -> String {
        kind(&crate::__obs_value!(t))
    }

    #[test]
    fn generic_parameters_follow_their_bounds() {
        assert_eq!(generic(4u8), "debug:4");
        assert_eq!(unbounded(4u8), "");
    }
}
