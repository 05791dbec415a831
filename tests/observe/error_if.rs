use crate::support::*;
use obs::observe;

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
    enable_metrics();
    let (cap, _) = capture(|| {
        find(1);
        find(0);
        find(0);
    });
    assert_eq!(calls("observe::error_if::find"), [1, 2, 0, 0]);
    let failed = cap.spans().into_iter().rfind(|s| s.name == "observe::error_if::find").unwrap();
    assert_eq!(failed.fields["error.type"], Value::Str("is_none".into()));

    block_on(async {
        status(200).await;
        status(503).await;
    });
    assert_eq!(calls("observe::error_if::status"), [1, 1, 0, 0]);
}
