use obs::observe;
use obs::testing::capture;

#[observe(fields(items = cart.len(), shop.region = %"eu", sample = ?vec![1, 2], label = "static", later))]
fn checkout(cart: Vec<u32>) -> usize {
    tracing::Span::current().record("later", 99);
    cart.len()
}

#[test]
fn fields_are_added_with_their_recording_mode() {
    let (cap, n) = capture(|| checkout(vec![1, 2, 3]));
    assert_eq!(n, 3);
    let span = cap.span("observe::fields::checkout");
    // As exported: integers as `I64`, `%` and `?` values as their text.
    span.assert_attribute("items", 3);
    span.assert_attribute("shop.region", "eu");
    span.assert_attribute("sample", "[1, 2]");
    span.assert_attribute("label", "static");
    span.assert_attribute("later", 99); // an empty field can be recorded later
    span.assert_attribute("cart", "[1, 2, 3]");
}
