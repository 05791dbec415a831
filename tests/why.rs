//! `obs why` on trace files with planted causes: the planted cause is the first finding, the
//! noise is not reported; traces whose spans are spread over one file per service are whole
//! again, and traces with spans missing are left out and counted. Snapshots of the terminal
//! output in `tests/snapshots/`.
#![cfg(feature = "tools")]

#[path = "common/traces.rs"]
mod traces;

use obs::traceview::parse;
use obs::why::{Finding, SlowBy, failed, slow};
use std::process::Command;

#[test]
fn the_slow_query_under_one_shard_is_the_first_finding_and_the_noise_is_not_reported() {
    let traces = parse(&traces::lines(&traces::slow_history(400, 7))).unwrap();
    let report = slow(&traces, Some("GET /orders/{id}/history"), SlowBy::Percentile(90.0)).unwrap();
    assert_eq!((report.slow + report.baseline, report.incomplete), (400, 0));
    let Finding::CriticalPath {
        span,
        slow_share,
        baseline_share,
        explains,
        self_share,
        waits_for,
        examples,
        ..
    } = &report.findings[0]
    else {
        panic!("the first finding is a span on the critical path: {report}");
    };
    assert_eq!((span.0.as_str(), span.1.as_str()), ("db", "db::history_query"));
    assert!(*slow_share > 0.9 && *baseline_share < 0.8, "{report}");
    assert!(*explains > 0.9, "it explains the difference: {report}");
    assert!(*self_share > 0.9 && waits_for.is_none(), "slow itself, not waiting: {report}");
    // Its examples are slow traces: every one of them is on shard 7.
    for id in examples {
        let trace = traces.iter().find(|t| &t.trace_id == id).unwrap();
        assert!(
            trace
                .spans
                .iter()
                .any(|s| s.attributes.get("db.shard").map(String::as_str) == Some("7"))
        );
    }
    let subjects: Vec<String> = report.findings.iter().map(Finding::subject).collect();
    assert!(subjects.contains(&"db.shard=7".to_owned()), "{subjects:?}");
    for noise in ["region=", "cache=", "order.id=", "api::render"] {
        assert!(!subjects.iter().any(|s| s.starts_with(noise)), "{noise} is noise: {subjects:?}");
    }
}

#[test]
fn a_span_that_waits_for_its_child_reads_differently_from_one_that_is_slow_itself() {
    let traces = parse(&traces::lines(&traces::slow_history(400, 7))).unwrap();
    let report = slow(&traces, None, SlowBy::Threshold(100.0)).unwrap();
    assert_eq!(report.operation, "GET /orders/{id}/history");
    let handler = report.findings.iter().find_map(|f| match f {
        Finding::CriticalPath { span, waits_for, self_share, .. }
            if span.1 == "GET /orders/{id}/history" =>
        {
            Some((waits_for.clone(), *self_share))
        }
        _ => None,
    });
    // The handler is not a cause: it is not reported, or reported as waiting for the query.
    if let Some((waits_for, self_share)) = handler {
        assert_eq!(waits_for.map(|w| w.1), Some("db::history_query".to_owned()));
        assert!(self_share < 0.5);
    }
}

#[test]
fn failures_are_grouped_where_they_happened_with_numbers_masked_and_their_common_attribute() {
    let traces = parse(&traces::lines(&traces::failed_checkout(600, 11))).unwrap();
    let logs: Vec<String> = Vec::new();
    let report = failed(&traces, Some("POST /checkout"), &logs).unwrap();
    let first = &report.groups[0];
    assert_eq!((first.span.0.as_str(), first.span.1.as_str()), ("payments", "payments::charge"));
    assert_eq!(first.pattern, "declined: code <n> for order <n>");
    assert_eq!(first.error_type.as_deref(), Some("PaymentDeclined"));
    let declined =
        traces.iter().filter(|t| t.spans.iter().any(|s| s.message.starts_with("declined"))).count();
    assert_eq!(first.count, declined, "one group for every declined payment");
    let attributes: Vec<String> = first.attributes.iter().map(Finding::subject).collect();
    assert!(attributes.contains(&"card.network=amex".to_owned()), "{attributes:?}");
    assert!(!attributes.iter().any(|a| a.starts_with("region=")), "noise: {attributes:?}");
    assert!(first.first_ns < first.last_ns);
    // The stray failures are a group of their own, smaller.
    assert!(
        report
            .groups
            .iter()
            .skip(1)
            .any(|g| g.span.1 == "shop::inventory" && g.pattern == "timeout after <n> ms")
    );
}

#[test]
fn the_log_lines_of_an_example_failed_trace_are_shown() {
    let traces = parse(&traces::lines(&traces::failed_checkout(200, 3))).unwrap();
    let first_failed = traces.iter().filter(|t| t.failed()).max_by_key(|t| t.start_ns()).unwrap();
    let logs = vec![
        format!(
            r#"{{"level":"ERROR","msg":"payment declined","trace_id":"{}"}}"#,
            first_failed.trace_id
        ),
        r#"{"level":"INFO","msg":"unrelated","trace_id":"00000000000000000000000000000001"}"#
            .to_owned(),
    ];
    let report = failed(&traces, None, &logs).unwrap();
    if report.groups[0].examples[0] == first_failed.trace_id {
        assert_eq!(report.example_logs, logs[..1].to_vec());
    }
    let example = &report.groups[0].examples[0];
    assert!(report.example_logs.iter().all(|l| l.contains(example.as_str())));
}

/// Spans split into one file per service, as each service writes its own.
fn split_by_service(spans: &[traces::Span], dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = std::collections::BTreeMap::<&str, String>::new();
    for span in spans {
        files.entry(span.service).or_default().push_str(&(span.line() + "\n"));
    }
    files
        .into_iter()
        .map(|(service, text)| {
            let path = dir.join(format!("{service}.jsonl"));
            std::fs::write(&path, text).unwrap();
            path
        })
        .collect()
}

fn obs(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_obs")).args(args).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn traces_spread_over_one_file_per_service_are_read_whole() {
    let dir = tempfile::tempdir().unwrap();
    let files = split_by_service(&traces::slow_history(300, 5), dir.path());
    assert_eq!(files.len(), 2);
    let mut args = vec!["why", "--slow", "--percentile", "90"];
    for file in &files {
        args.extend(["--file", file.to_str().unwrap()]);
    }
    let (ok, stdout, stderr) = obs(&args);
    assert!(ok, "{stderr}");
    let first = stdout.lines().nth(1).unwrap_or_default();
    assert!(first.starts_with("1. db::history_query (db) is "), "{stdout}");
    // The database's file alone: every span of it names a parent that is in the other file.
    let (ok, _, stderr) = obs(&["why", "--slow", "--file", files[1].to_str().unwrap()]);
    assert!(!ok && stderr.contains("no complete trace"), "{stderr}");
}

#[test]
fn incomplete_traces_are_counted_not_misread() {
    let spans: Vec<traces::Span> = traces::slow_history(200, 9)
        .into_iter()
        .filter(|s| !(s.trace % 10 == 0 && s.service == "api" && s.parent.is_none()))
        .collect();
    let traces = parse(&traces::lines(&spans)).unwrap();
    let report = slow(&traces, Some("GET /orders/{id}/history"), SlowBy::Percentile(90.0)).unwrap();
    assert_eq!(report.incomplete, 20, "{report}");
    assert_eq!(report.slow + report.baseline, 180);
    assert!(report.to_string().contains("(20 incomplete traces, with spans missing, left out)"));
}

#[test]
fn bad_arguments_are_clear_errors() {
    let (ok, _, stderr) = obs(&["why", "--slow", "--threshold", "10", "--percentile", "95"]);
    assert!(!ok && stderr.contains("choose --threshold or --percentile"), "{stderr}");
    let (ok, _, stderr) = obs(&["why"]);
    assert!(!ok && stderr.contains("choose one of --slow and --failed"), "{stderr}");
    let (ok, _, stderr) = obs(&["why", "--slow", "--file", "/nonexistent/traces.jsonl"]);
    assert!(!ok && stderr.contains("cannot read the trace file"), "{stderr}");
}

#[test]
fn slow_report_snapshot() {
    let traces = parse(&traces::lines(&traces::slow_history(200, 42))).unwrap();
    let report = slow(&traces, None, SlowBy::Percentile(95.0)).unwrap();
    insta::assert_snapshot!(report.to_string());
}

#[test]
fn failed_report_snapshot() {
    let traces = parse(&traces::lines(&traces::failed_checkout(300, 42))).unwrap();
    let report = failed(&traces, Some("POST /checkout"), &[]).unwrap();
    insta::assert_snapshot!(report.to_string());
}
