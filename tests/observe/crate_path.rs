use crate::support::calls;
use obs::testing::capture;

mod facade {
    pub use obs as telemetry;
}

#[obs::observe(crate = facade::telemetry)]
fn through_a_reexport(n: u8) -> u8 {
    n + 1
}

#[test]
fn the_crate_path_can_be_overridden() {
    let (cap, v) = capture(|| through_a_reexport(1));
    assert_eq!(v, 2);
    cap.span("observe::crate_path::through_a_reexport").assert_attribute("n", 1);
    assert_eq!(calls(&cap, "through_a_reexport"), [1, 0, 0, 0], "{cap}");
}
