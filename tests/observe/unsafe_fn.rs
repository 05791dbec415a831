use crate::support::*;
use obs::observe;

/// # Safety
/// `p` must point to a live `u32`.
#[observe]
unsafe fn read(p: *const u32) -> u32 {
    // SAFETY: the caller guarantees `p` is valid.
    unsafe { *p }
}

#[test]
fn unsafe_functions_are_observed() {
    enable_metrics();
    let x = 41u32;
    // SAFETY: `x` is alive.
    let (cap, v) = capture(|| unsafe { read(&x) });
    assert_eq!(v, 41);
    assert!(matches!(cap.span("observe::unsafe_fn::read").fields["p"], Value::Debug(_)));
    assert_eq!(calls("observe::unsafe_fn::read"), [1, 0, 0, 0]);
}
