//! The example service, run in a short mode as a newcomer runs it: its report must answer
//! "why is it slow?" with the injected slow query and "why did it fail?" with the injected
//! storage error and that trace's log lines, and no personal data may appear in anything it
//! prints or writes.

use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

/// `cargo test` builds the examples next to the test binaries.
fn shop() -> PathBuf {
    let deps = std::env::current_exe().unwrap().parent().unwrap().to_owned();
    let exe = deps
        .parent()
        .unwrap()
        .join("examples")
        .join(format!("shop{}", std::env::consts::EXE_SUFFIX));
    assert!(exe.exists(), "{} is built by `cargo test`", exe.display());
    exe
}

#[test]
fn the_report_explains_the_injected_slowness_and_failure_without_leaking_pii() {
    let out = tempfile::tempdir().unwrap();
    let report = out.path().join("report.json");
    let run = Command::new(shop())
        .args(["--duration", "5", "--out"])
        .arg(out.path())
        .arg("--report-json")
        .arg(&report)
        .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
    assert!(run.status.success(), "the example exits 0 once it has reported\n{stdout}\n{stderr}");
    for section in ["== golden signals", "== why is it slow?", "== why did it fail?", "== alerts"] {
        assert!(stdout.contains(section), "missing {section}:\n{stdout}");
    }
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();

    // Why is it slow: the slowest trace is one with the injected slow query, and that query
    // is where its time went.
    let slowest = &report["slowest"];
    assert_eq!(slowest["slowest_span"], "shop::db::slow_history_query", "{slowest:#}");
    assert!(slowest["spans"].as_array().unwrap().iter().any(|s| s == "GET /orders/{id}/history"));

    // Why did it fail: the injected storage error, where it happened, and its trace's logs.
    let failed = &report["failed"];
    assert_eq!(failed["error"], "disk I/O error", "{failed:#}");
    assert_eq!(
        (&failed["service"], &failed["failing_span"]),
        (&"shop-db".into(), &"shop::db::insert_order".into())
    );
    let trace_id = failed["trace_id"].as_str().unwrap();
    let lines = failed["log_lines"].as_array().unwrap();
    assert!(lines.len() >= 2, "the failed trace's log lines are shown: {lines:?}");
    for line in lines {
        let line: Value = serde_json::from_str(line.as_str().unwrap()).unwrap();
        assert_eq!(line["trace_id"], trace_id);
    }
    assert!(stdout.contains(trace_id));
    // One customer request, one request id and one user, in every service that logged it.
    assert!(
        failed["services_logging"].as_array().unwrap().len() >= 2,
        "the failed request is logged by several services: {failed:#}"
    );
    assert_eq!(failed["request_ids"].as_array().unwrap().len(), 1, "{failed:#}");
    let users = failed["user_ids"].as_array().unwrap();
    assert!(
        users.len() == 1 && users[0].as_str().unwrap().starts_with("c-"),
        "the user set at the storefront is in every service's lines: {failed:#}"
    );
    for line in lines {
        let line: Value = serde_json::from_str(line.as_str().unwrap()).unwrap();
        assert_eq!(line["request_id"], failed["request_ids"][0], "{line}");
    }

    // Across all traces (`obs why`): the injected slow query and the injected failure are
    // found without being told where they are.
    let why_slow = &report["why_slow"];
    assert_eq!(why_slow["findings"][0], "shop::db::slow_history_query (shop-db)", "{why_slow:#}");
    let why_failed = &report["why_failed"][0];
    assert_eq!(
        (&why_failed["service"], &why_failed["span"], &why_failed["pattern"]),
        (&"shop-db".into(), &"shop::db::insert_order".into(), &"disk I/O error".into()),
        "{why_failed:#}"
    );
    // The same in the HTML report beside the terminal one.
    let html = std::fs::read_to_string(report["html_report"].as_str().unwrap()).unwrap();
    assert!(html.contains("shop::db::slow_history_query") && html.contains("disk I/O error"));

    // From the slowest operation's p99 to a trace: its bucket's exemplar is a kept trace.
    let exemplar = &report["p99_exemplar"];
    assert_eq!(exemplar["in_trace_file"], true, "{exemplar:#}");
    assert_eq!(exemplar["operation"], "storefront.history_page", "{exemplar:#}");

    // The golden signals come from the services' own metrics.
    let operations = report["operations"].as_array().unwrap();
    let place = operations.iter().find(|o| o["operation"] == "orders.place").unwrap();
    assert!(
        place["calls"].as_f64().unwrap() > 10.0 && place["errors"].as_f64().unwrap() >= 1.0,
        "{place:#}"
    );

    // No personal data: not in what it printed, not in any file it wrote.
    let mut everything = format!("{stdout}{stderr}");
    for entry in std::fs::read_dir(out.path()).unwrap() {
        everything.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default());
    }
    assert!(everything.contains("checkout"), "the files were read");
    for customer in 1..=50 {
        let email = format!("jane.doe{customer}@example.com");
        assert!(!everything.contains(&email), "{email} leaked");
    }
    let card = format!("424242424{:06}", 7);
    assert!(!everything.contains(&card), "a card number leaked");
    assert!(!everything.contains("4242 4242 4000 0"), "a spaced card number leaked");
}

#[test]
fn it_prints_the_alert_rules_and_the_dashboard_of_its_operations() {
    let rules = Command::new(shop()).args(["alerts", "-"]).output().unwrap();
    assert!(rules.status.success());
    let rules = String::from_utf8(rules.stdout).unwrap();
    assert!(
        rules.contains("alert: ObsBusinessEventStopped_orders_place")
            && rules.contains("ObsErrorBudgetBurn_orders_get")
    );
    let dashboard = Command::new(shop()).args(["dashboard", "-"]).output().unwrap();
    let dashboard: Value = serde_json::from_slice(&dashboard.stdout).unwrap();
    assert_eq!(dashboard["uid"], "obs-golden-signals-shop");
}

#[test]
fn bad_arguments_are_clear_errors() {
    let run = Command::new(shop()).args(["--duration", "soon"]).output().unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("usage: shop"));
    let run = Command::new(shop())
        .env("OTEL_TRACES_SAMPLER_ARG", "most")
        .args(["--duration", "1"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success(), "a bad OTEL_* value stops the services");
    assert!(stderr.contains("OTEL_TRACES_SAMPLER_ARG"), "and names the variable: {stderr}");
}
