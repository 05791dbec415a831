//! How an argument, a `fields(...)` value or a return value becomes a span field.
//!
//! The generated code calls `(&&&Arg(&value)).obs_value()` (through the [`value!`] macro). Method
//! resolution tries three receivers in turn, so the most specific rule wins at compile time:
//!
//! 1. `&&&Arg<T>`: [`RecordPrimitive`]: integers, floats, `bool` and strings are recorded as
//!    typed values (an OTLP `intValue`, not a string);
//! 2. `&&Arg<T>`: [`RecordDebug`]: any other `Debug` type is recorded with its `Debug` output;
//! 3. `&Arg<T>`: [`RecordOpaque`]: a type without `Debug` is declared but left empty, instead of
//!    failing to compile as `#[tracing::instrument]` does.
//!
//! The PII rules hook in here: a type that declares itself PII gets a rule of its own.

use std::fmt::Debug;
use tracing::field::{DebugValue, Empty};

/// A borrowed value to record.
#[doc(hidden)]
pub struct Arg<'a, T: ?Sized>(pub &'a T);

#[doc(hidden)]
pub trait RecordPrimitive {
    type Value: tracing::Value;
    fn obs_value(&self) -> Self::Value;
}

macro_rules! record_as {
    ($as:ty: $($t:ty),*) => {$(
        impl RecordPrimitive for &&Arg<'_, $t> {
            type Value = $as;
            #[inline]
            fn obs_value(&self) -> $as {
                <$as>::from(*self.0)
            }
        }
    )*};
}

record_as!(i64: i8, i16, i32, i64, u8, u16, u32);
record_as!(u64: u64);
record_as!(f64: f32, f64);
record_as!(bool: bool);

impl RecordPrimitive for &&Arg<'_, usize> {
    type Value = u64;
    #[inline]
    fn obs_value(&self) -> u64 {
        *self.0 as u64
    }
}

impl RecordPrimitive for &&Arg<'_, isize> {
    type Value = i64;
    #[inline]
    fn obs_value(&self) -> i64 {
        *self.0 as i64
    }
}

impl<'a> RecordPrimitive for &&Arg<'a, &str> {
    type Value = &'a str;
    #[inline]
    fn obs_value(&self) -> &'a str {
        self.0
    }
}

impl<'a> RecordPrimitive for &&Arg<'a, String> {
    type Value = &'a str;
    #[inline]
    fn obs_value(&self) -> &'a str {
        self.0.as_str()
    }
}

impl<'a> RecordPrimitive for &&Arg<'a, str> {
    type Value = &'a str;
    #[inline]
    fn obs_value(&self) -> &'a str {
        self.0
    }
}

#[doc(hidden)]
pub trait RecordDebug {
    type Value: tracing::Value;
    fn obs_value(&self) -> Self::Value;
}

impl<'a, T: Debug + ?Sized> RecordDebug for &Arg<'a, T> {
    type Value = DebugValue<&'a T>;
    #[inline]
    fn obs_value(&self) -> DebugValue<&'a T> {
        tracing::field::debug(self.0)
    }
}

#[doc(hidden)]
pub trait RecordOpaque {
    fn obs_value(&self) -> Empty;
}

impl<T: ?Sized> RecordOpaque for Arg<'_, T> {
    #[inline]
    fn obs_value(&self) -> Empty {
        Empty
    }
}

/// The span field value of an expression, chosen at compile time (see the module docs).
#[doc(hidden)]
#[macro_export]
macro_rules! __obs_value {
    ($value:expr) => {{
        #[allow(unused_imports)]
        use $crate::__private::{RecordDebug as _, RecordOpaque as _, RecordPrimitive as _};
        (&&&$crate::__private::Arg(&$value)).obs_value()
    }};
}

#[cfg(test)]
mod tests {
    use super::Arg;
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
        assert_eq!(
            kind(&crate::__obs_value!(u64::MAX)),
            format!("u64:{}", u64::MAX)
        );
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
