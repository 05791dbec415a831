use crate::support::{block_on, calls};
use obs::observe;
use obs::testing::{capture, capture_async};

fn is_none<T>(value: &Option<T>) -> bool {
    value.is_none()
}

fn is_success(status: &u16) -> bool {
    (200..300).contains(status)
}

#[observe(error_if = is_none)]
fn find(id: u32) -> Option<u32> {
    (id > 0).then_some(id)
}

#[observe(ok_if = is_success)]
async fn status(code: u16) -> u16 {
    code
}

#[test]
fn predicates_decide_the_result() {
    let (cap, _) = capture(|| {
        find(1);
        find(0);
        find(0);
    });
    assert_eq!(calls(&cap, "find"), [1, 2, 0, 0], "{cap}");
    let failed = *cap.spans_named("observe::error_if::find").last().unwrap();
    assert!(failed.is_error(), "{cap}");
    failed.assert_attribute("error.type", "is_none");

    let (cap, ()) = block_on(capture_async(async {
        status(200).await;
        status(503).await;
    }));
    assert_eq!(calls(&cap, "status"), [1, 1, 0, 0], "{cap}");
}
