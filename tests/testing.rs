//! `obs::testing` as a user's test suite meets it: captures in parallel threads and tasks of one
//! process see their own calls only, before and after the process installs obs's runtime (whose
//! global subscriber, recorder and own span path are then on), while other threads keep calling
//! the same functions outside any capture. And its failure messages say what was captured.

mod common;

use common::Lines;
use obs::testing::{Captured, capture, capture_async};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

#[derive(Debug)]
struct OutOfStock;

impl std::fmt::Display for OutOfStock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("out of stock")
    }
}

#[obs::observe]
fn check_stock(worker: u64) -> bool {
    tracing::debug!(worker, "checking stock");
    worker.is_multiple_of(2)
}

#[obs::golden_signals(operation = "reserve", kind = "job", err)]
fn reserve(worker: u64, round: u64) -> Result<u64, OutOfStock> {
    tracing::info!(worker, round, "reserving");
    if check_stock(worker) { Ok(round) } else { Err(OutOfStock) }
}

#[obs::observe]
async fn reserve_later(worker: u64, round: u64) -> u64 {
    tokio::task::yield_now().await;
    tracing::info!(worker, round, "reserved later");
    tokio::task::yield_now().await;
    round
}

/// What one worker's capture of one round must hold, and nothing else.
fn assert_own(captured: &Captured, worker: u64, round: u64) {
    let reserve = captured.span("reserve");
    reserve.assert_attribute("worker", worker);
    reserve.assert_attribute("round", round);
    let check = captured.span("check_stock");
    captured.assert_parent(check, reserve);
    assert_eq!(captured.spans().len(), 2, "{captured}");
    let failed = !worker.is_multiple_of(2);
    assert_eq!(reserve.is_error(), failed, "{captured}");
    let lines = captured.logs();
    assert_eq!(lines.len(), 2 + usize::from(failed), "{captured}");
    for line in lines {
        if let Some(field) = line.field("worker") {
            assert_eq!(field.as_u64(), Some(worker), "{captured}");
        }
        let trace_id = line.field("trace_id").and_then(|t| t.as_str());
        assert_eq!(trace_id, Some(reserve.trace_id().as_str()), "{captured}");
    }
    assert_eq!(captured.logs_with_message("reserving").len(), 1, "{captured}");
    assert_eq!(captured.logs_with_message("checking stock").len(), 1, "{captured}");
    let result = if failed { "error" } else { "ok" };
    captured.assert_counter(
        "function_calls_total",
        &[("function", "reserve"), ("result", result)],
        1,
    );
    captured.assert_counter("function_calls_total", &[("function", "reserve")], 1);
    captured.assert_counter(
        "function_calls_total",
        &[("function", "check_stock"), ("result", "ok")],
        1,
    );
    captured.assert_counter(
        "obs_operation_errors_total",
        &[("operation", "reserve"), ("error_type", "testing::OutOfStock")],
        u64::from(failed),
    );
    assert_eq!(
        captured.histogram("obs_operation_duration_seconds", &[("operation", "reserve")]).len(),
        1
    );
}

/// Eight threads capture 150 rounds each while two more call the same functions uncaptured.
fn parallel_captures() {
    let stop = Arc::new(AtomicBool::new(false));
    let noise: Vec<_> = (0..2)
        .map(|_| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let _ = reserve(1_000, 0);
                }
            })
        })
        .collect();
    std::thread::scope(|s| {
        for worker in 0..8 {
            s.spawn(move || {
                for round in 0..150 {
                    let (captured, result) = capture(|| reserve(worker, round));
                    assert_eq!(result.is_ok(), worker.is_multiple_of(2));
                    assert_own(&captured, worker, round);
                }
            });
        }
    });
    stop.store(true, Ordering::Relaxed);
    for thread in noise {
        thread.join().unwrap();
    }
}

/// 64 tasks on a multi-threaded runtime, each capturing its own future, which moves between
/// the runtime's threads at each `yield_now`.
fn parallel_async_captures() {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_all().build().unwrap();
    runtime.block_on(async {
        let tasks: Vec<_> = (0..64u64)
            .map(|worker| {
                tokio::spawn(async move {
                    let (captured, round) = capture_async(reserve_later(worker, worker * 10)).await;
                    assert_eq!(round, worker * 10);
                    captured.span("reserve_later").assert_attribute("worker", worker);
                    assert_eq!(captured.spans().len(), 1, "{captured}");
                    assert_eq!(captured.logs().len(), 1, "{captured}");
                    assert_eq!(
                        captured.logs()[0].field("worker").and_then(|w| w.as_u64()),
                        Some(worker)
                    );
                    captured.assert_counter(
                        "function_calls_total",
                        &[("function", "reserve_later")],
                        1,
                    );
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
    });
}

#[test]
fn captures_are_isolated_per_thread_and_task_before_and_after_init() {
    parallel_captures();
    parallel_async_captures();

    // The process now installs obs's runtime: a global subscriber (logs into `global`), the
    // global recorder, and obs's own span path for observed functions.
    let global = Lines::default();
    let dir = tempfile::tempdir().unwrap();
    let telemetry = obs::TelemetryBuilder::new("testing")
        .ignore_env()
        .sampling_ratio(1.0)
        .traces_file(Some(dir.path().join("traces.jsonl")))
        .prometheus(None)
        .log_writer(global.clone())
        .init()
        .unwrap();
    parallel_captures();
    parallel_async_captures();

    // Outside a capture, the runtime sees the calls; a capture's calls stay in the capture.
    // (The export queue may be full of the noise threads' spans: empty it first.)
    telemetry.flush();
    let _ = reserve(4242, 1);
    let (captured, _) = capture(|| reserve(4343, 1));
    assert_own(&captured, 4343, 1);
    telemetry.shutdown().unwrap();
    let global = String::from_utf8(global.0.lock().unwrap().clone()).unwrap();
    assert!(global.contains("\"worker\":4242"), "{global}");
    assert!(!global.contains("\"worker\":4343"), "a captured line reached the global sink");
    let traces = std::fs::read_to_string(dir.path().join("traces.jsonl")).unwrap();
    // Integer attributes are quoted strings in OTLP JSON; no id is four digits long.
    assert!(traces.contains("\"4242\""), "the uncaptured call is in the trace file");
    assert!(!traces.contains("\"4343\""), "a captured span reached the trace file");
}

#[test]
fn failure_messages_print_what_was_captured() {
    let (captured, _) = capture(|| reserve(3, 9));
    let message = |f: &dyn Fn()| {
        let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_err();
        panic.downcast_ref::<String>().cloned().unwrap_or_default()
    };

    let missing = message(&|| {
        captured.span("refund");
    });
    assert!(missing.contains("no span named `refund`"), "{missing}");
    assert!(missing.contains("testing::reserve [ERROR: out of stock]"), "{missing}");
    assert!(
        missing.contains("    testing::check_stock"),
        "the child is shown under its parent: {missing}"
    );
    assert!(
        missing.contains(
            r#"function_calls_total{function="reserve",module="testing",result="error"} +1"#
        ),
        "{missing}"
    );
    assert!(missing.contains(r#""msg":"reserving""#), "{missing}");

    let attribute = message(&|| captured.span("reserve").assert_attribute("worker", 4));
    assert!(attribute.contains("`worker` is I64(3), expected I64(4)"), "{attribute}");

    let counter =
        message(&|| captured.assert_counter("function_calls_total", &[("result", "ok")], 2));
    assert!(counter.contains("grew by 1, expected 2"), "{counter}");

    // `assert_nowhere` looks in log lines, spans and labels.
    let in_log = message(&|| captured.assert_nowhere("reserving"));
    assert!(in_log.contains("`reserving` is in a log line"), "{in_log}");
    let in_span = message(&|| captured.assert_nowhere("OutOfStock"));
    assert!(in_span.contains("`OutOfStock` is in span `testing::reserve`"), "{in_span}");
}

#[obs::observe(skip_all)]
fn register(email: &str) -> usize {
    tracing::info!("registering {email}");
    email.len()
}

#[test]
fn captured_text_went_through_the_scrubber() {
    let (captured, _) = capture(|| register("jane.doe@example.com"));
    captured.assert_nowhere("jane.doe@example.com");
    let line = &captured.logs()[0];
    assert!(
        line.message().is_some_and(|m| m.starts_with("registering ") && !m.contains("jane")),
        "{captured}"
    );
    // A label a program fills from input is scrubbed as on `/metrics`.
    let (captured, ()) = capture(|| {
        metrics::counter!("signups_total", "source" => "jane.doe@example.com").increment(1);
    });
    captured.assert_nowhere("jane.doe@example.com");
    assert_eq!(captured.counter("signups_total", &[]), 1);
}

#[test]
fn what_another_thread_does_is_captured_only_when_carried() {
    let (captured, ()) = capture(|| {
        std::thread::scope(|s| {
            s.spawn(|| check_stock(1));
            let scope = obs::testing::Scope::current().unwrap();
            s.spawn(move || scope.run(|| check_stock(2)));
        });
    });
    let spans = captured.spans_named("check_stock");
    assert_eq!(spans.len(), 1, "{captured}");
    spans[0].assert_attribute("worker", 2);
    assert!(obs::testing::Scope::current().is_none());
}
