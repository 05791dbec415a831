use crate::support::calls;
use obs::observe;
use obs::testing::capture;
use std::fmt::Debug;

#[observe]
fn largest<T: PartialOrd + Copy + Debug>(items: &[T]) -> Option<T> {
    let mut best = *items.first()?;
    for &item in items {
        if item > best {
            best = item;
        }
    }
    Some(best)
}

#[observe]
fn longest<'a, 'b>(x: &'a str, y: &'b str) -> &'a str
where
    'b: 'a,
{
    if x.len() >= y.len() { x } else { y }
}

#[observe]
fn total<const N: usize>(xs: [u32; N]) -> u32 {
    xs.iter().sum()
}

#[observe]
fn first_word(s: &str) -> &str {
    s.split(' ').next().unwrap_or_default()
}

#[observe]
fn unbounded<T>(value: T) -> Vec<T> {
    vec![value]
}

#[test]
fn generic_functions_keep_their_bounds_and_lifetimes() {
    let (cap, _) = capture(|| {
        assert_eq!(largest(&[1, 5, 3]), Some(5));
        assert_eq!(largest::<f64>(&[]), None);
        assert_eq!(longest("ab", "abc"), "abc");
        assert_eq!(total([1, 2, 3]), 6);
        assert_eq!(first_word("hello world"), "hello");
        assert_eq!(unbounded(NotDebug).len(), 1);
    });
    let largest = cap.spans_named("observe::generics::largest");
    assert_eq!(largest.len(), 2, "{cap}");
    largest[0].assert_attribute("items", "[1, 5, 3]");
    cap.span("observe::generics::longest").assert_attribute("y", "abc");
    assert!(cap.span("observe::generics::unbounded").attribute("value").is_none(), "{cap}");
    // One site per function, shared by every instantiation.
    assert_eq!(calls(&cap, "largest"), [2, 0, 0, 0], "{cap}");
}

struct NotDebug;
