use crate::support::*;
use obs::observe;

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
    assert_eq!(span.fields["items"], Value::U64(3));
    assert_eq!(span.fields["shop.region"], Value::Debug("eu".into()));
    assert_eq!(span.fields["sample"], Value::Debug("[1, 2]".into()));
    assert_eq!(span.fields["label"], Value::Str("static".into()));
    assert_eq!(span.fields["later"], Value::I64(99), "an empty field can be recorded later");
    assert_eq!(span.fields["cart"], Value::Debug("[1, 2, 3]".into()));
}
