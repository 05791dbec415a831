use crate::support::*;
use obs::observe;

#[observe(name = "checkout")]
fn pay() -> u8 {
    1
}

#[test]
fn name_sets_the_span_name_and_keeps_the_function_label() {
    enable_metrics();
    let (cap, _) = capture(pay);
    assert_eq!(cap.spans()[0].name, "checkout");
    let m = metrics("checkout");
    assert_eq!((m.function, m.module), ("pay", "observe::name"));
    assert_eq!(m.total_calls(), 1);
}
