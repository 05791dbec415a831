//! `obs::testing` against `tracing`'s process-wide callsite cache: a callsite first reached on
//! a thread without a capture, while one capture runs on another thread, is still captured
//! there. (Its own binary: no other capture or subscriber may exist in the process, or the
//! cache is computed another way and the case does not arise.)

use std::sync::mpsc;

fn ship(order: u64) {
    tracing::info!(order, "shipping");
}

#[test]
fn a_callsite_first_reached_outside_a_capture_is_captured_inside_one() {
    let (entered, wait_entered) = mpsc::channel();
    let (reached, wait_reached) = mpsc::channel();
    let capturing = std::thread::spawn(move || {
        obs::testing::capture(|| {
            entered.send(()).unwrap();
            wait_reached.recv().unwrap();
            ship(2);
        })
        .0
    });
    wait_entered.recv().unwrap();
    // First reached here, on a thread with no subscriber, while the capture runs.
    ship(1);
    reached.send(()).unwrap();
    let captured = capturing.join().unwrap();
    let lines = captured.logs_with_message("shipping");
    assert_eq!(lines.len(), 1, "{captured}");
    assert_eq!(lines[0].field("order").and_then(|o| o.as_u64()), Some(2));
}
