use crate::support::calls;
use obs::observe;
use obs::testing::capture;

/// # Safety
/// `p` must point to a live `u32`.
#[observe]
unsafe fn read(p: *const u32) -> u32 {
    // SAFETY: the caller guarantees `p` is valid.
    unsafe { *p }
}

#[test]
fn unsafe_functions_are_observed() {
    let x = 41u32;
    // SAFETY: `x` is alive.
    let (cap, v) = capture(|| unsafe { read(&x) });
    assert_eq!(v, 41);
    // A raw pointer is recorded by `Debug`: its address.
    let address = format!("{:?}", &raw const x);
    cap.span("observe::unsafe_fn::read").assert_attribute("p", address);
    assert_eq!(calls(&cap, "read"), [1, 0, 0, 0], "{cap}");
}
