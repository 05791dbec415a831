use obs::observe;
use obs::testing::capture;

#[observe(name = "checkout")]
fn pay() -> u8 {
    1
}

#[test]
fn name_sets_the_span_name_and_keeps_the_function_label() {
    let (cap, _) = capture(pay);
    assert_eq!(cap.spans().len(), 1, "{cap}");
    assert_eq!(cap.spans()[0].name(), "checkout");
    cap.assert_counter("function_calls_total", &[], 1);
    cap.assert_counter(
        "function_calls_total",
        &[("function", "pay"), ("module", "observe::name")],
        1,
    );
}
