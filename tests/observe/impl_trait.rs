use crate::support::calls;
use obs::observe;
use obs::testing::capture;
use std::fmt::Display;

#[observe]
fn show(x: impl Display) -> impl Display {
    format!("<{x}>")
}

#[observe]
fn evens(limit: &str) -> Result<Vec<impl Display>, std::num::ParseIntError> {
    let limit: u32 = limit.parse()?;
    Ok((0..limit).filter(|n| n % 2 == 0).collect::<Vec<_>>())
}

#[observe]
fn counting(n: u32) -> impl Iterator<Item = u32> {
    0..n
}

#[observe]
fn boxed(n: u32) -> Box<dyn Iterator<Item = u32>> {
    Box::new(0..n)
}

#[test]
fn impl_trait_in_arguments_and_nested_in_return_types() {
    let (cap, _) = capture(|| {
        assert_eq!(show(5).to_string(), "<5>");
        let shown: Vec<String> = evens("5").unwrap().iter().map(|e| e.to_string()).collect();
        assert_eq!(shown, ["0", "2", "4"]);
        assert!(evens("x").is_err());
        assert_eq!(counting(3).sum::<u32>(), 3);
        assert_eq!(boxed(3).count(), 3);
    });
    assert!(
        cap.span("observe::impl_trait::show").attribute("x").is_none(),
        "impl Display has no Debug: {cap}"
    );
    assert_eq!(calls(&cap, "evens"), [1, 1, 0, 0], "{cap}");
}
