//! The report, computed from the telemetry the run recorded: the services' `/metrics`, the trace
//! file, and the JSON log lines.

use crate::Service;
use crate::exposition::{Sample, matching, quantile, sum};
use crate::load::LoadResult;
use obs::traceview::{Style, TraceView};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

pub struct Options {
    pub duration: Duration,
    pub out: Option<PathBuf>,
    pub metrics_base_port: Option<u16>,
    pub report_json: Option<PathBuf>,
}

/// What the services' endpoints answered after the load.
pub struct Scraped {
    pub services: Vec<(&'static str, Vec<Sample>)>,
    pub logs: Vec<(&'static str, PathBuf)>,
    pub health: Option<(u16, serde_json::Value)>,
}

pub fn scrape(services: &[Service]) -> Scraped {
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("an HTTP client");
    // The services forward their counters to the exporter every second: wait for the last ones.
    std::thread::sleep(Duration::from_millis(1_200));
    let services_metrics = services
        .iter()
        .map(|s| {
            let text = client
                .get(format!("http://{}/metrics", s.metrics))
                .header("accept", "application/openmetrics-text;version=1.0.0")
                .send()
                .and_then(|r| r.text())
                .unwrap_or_default();
            (s.service, crate::exposition::parse(&text))
        })
        .collect();
    let health = services.iter().find(|s| s.role == "api").and_then(|api| {
        let response = client.get(format!("http://{}/health", api.addr)).send().ok()?;
        let status = response.status().as_u16();
        Some((status, response.json().ok()?))
    });
    Scraped {
        services: services_metrics,
        logs: services.iter().map(|s| (s.service, s.log.clone())).collect(),
        health,
    }
}

struct OperationRow {
    service: &'static str,
    operation: String,
    calls: f64,
    errors: f64,
    p50: Option<f64>,
    p95: Option<f64>,
    p99: Option<f64>,
    active: f64,
}

fn operations(scraped: &Scraped) -> Vec<OperationRow> {
    let mut rows = Vec::new();
    for (service, samples) in &scraped.services {
        let mut names: Vec<String> = matching(samples, "obs_operation_duration_seconds_count", &[])
            .filter_map(|s| s.labels.get("operation").cloned())
            .collect();
        names.sort();
        names.dedup();
        for operation in names {
            let filter = [("operation", operation.as_str())];
            let q = |q| quantile(samples, "obs_operation_duration_seconds", &filter, q);
            rows.push(OperationRow {
                service,
                calls: sum(samples, "obs_operation_duration_seconds_count", &filter),
                errors: sum(samples, "obs_operation_errors_total", &filter),
                p50: q(0.5),
                p95: q(0.95),
                p99: q(0.99),
                active: sum(samples, "obs_operation_active", &filter),
                operation,
            });
        }
    }
    rows
}

fn ms(seconds: Option<f64>) -> String {
    seconds.map_or_else(|| "-".into(), |s| format!("{:.1}", s * 1e3))
}

pub fn print(
    options: &Options,
    out: &Path,
    traces: &Path,
    load: &LoadResult,
    scraped: &Scraped,
) -> ExitCode {
    let color = std::io::stdout().is_terminal();
    let style = Style { width: 48, color };
    let elapsed = load.elapsed.as_secs_f64().max(0.001);
    println!(
        "\n== load: {} requests in {:.1} s, {} failed (as the customers saw it)",
        load.requests, elapsed, load.failures
    );

    println!("\n== golden signals, per operation (from each service's /metrics)");
    println!(
        "{:<14} {:<24} {:>7} {:>9} {:>9} {:>9} {:>8} {:>9}",
        "service", "operation", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors", "in flight"
    );
    let rows = operations(scraped);
    for row in &rows {
        let ratio = if row.calls > 0.0 { row.errors / row.calls * 100.0 } else { 0.0 };
        println!(
            "{:<14} {:<24} {:>7.1} {:>9} {:>9} {:>9} {:>7.1}% {:>9}",
            row.service,
            row.operation,
            row.calls / elapsed,
            ms(row.p50),
            ms(row.p95),
            ms(row.p99),
            ratio,
            row.active
        );
    }
    println!("saturation:");
    for (service, samples) in &scraped.services {
        let cpu = sum(samples, "process_cpu_utilization_ratio", &[]);
        let memory = sum(samples, "process_resident_memory_bytes", &[]) / 1_048_576.0;
        let fds = sum(samples, "process_open_fds", &[]);
        println!(
            "  {service:<14} CPU {:>5.1}%  memory {memory:>6.1} MiB  open files {fds}",
            cpu * 100.0
        );
    }

    let mut json = serde_json::json!({
        "load": {"requests": load.requests, "failures": load.failures, "seconds": elapsed},
        "operations": rows.iter().map(|r| serde_json::json!({"service": r.service, "operation": r.operation, "calls": r.calls, "errors": r.errors, "p99_seconds": r.p99})).collect::<Vec<_>>(),
    });

    // From the latency spike to the guilty trace: the exemplar of the slowest operation's p99
    // bucket, a trace that was kept.
    if let Some(row) = rows
        .iter()
        .filter(|r| r.p99.is_some())
        .max_by(|a, b| a.p99.unwrap_or(0.0).total_cmp(&b.p99.unwrap_or(0.0)))
        && let Some((_, samples)) = scraped.services.iter().find(|(s, _)| *s == row.service)
        && let Some((le, trace_id)) = crate::exposition::quantile_exemplar(
            samples,
            "obs_operation_duration_seconds",
            &[("operation", row.operation.as_str())],
            0.99,
        )
    {
        let kept = obs::traceview::read_file(traces)
            .is_ok_and(|t| t.iter().any(|trace| trace.trace_id == trace_id));
        println!(
            "\nthe p99 of {} ({} ms) is in the bucket le={le} s; its exemplar is trace {trace_id}{}",
            row.operation,
            ms(row.p99),
            if kept { " (obs trace opens it)" } else { " (not in the trace file)" }
        );
        json["p99_exemplar"] = serde_json::json!({
            "operation": row.operation, "le": le, "trace_id": trace_id, "in_trace_file": kept,
        });
    }

    match obs::traceview::read_file(traces) {
        Ok(traces) => explain(&traces, scraped, out, &style, &mut json),
        Err(error) => match std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT") {
            Ok(endpoint) => println!(
                "\n== traces went to the collector at {endpoint}: open Jaeger (http://localhost:16686) for the waterfalls"
            ),
            Err(_) => println!("\n== no traces to explain: {error}"),
        },
    }

    let alerts = alerts(&rows, scraped);
    println!(
        "\n== alerts whose conditions hold now (the rules also wait for their `for:` before firing)"
    );
    if alerts.is_empty() {
        println!("  none");
    }
    for (name, severity, why) in &alerts {
        println!("  {severity:<6} {name}: {why}");
    }
    json["alerts"] = alerts
        .iter()
        .map(|(n, s, w)| serde_json::json!({"alert": n, "severity": s, "why": w}))
        .collect();
    println!("\nfiles: {} (traces.jsonl, one JSON log per service)", out.display());
    if let Some(path) = &options.report_json
        && let Err(error) =
            std::fs::write(path, serde_json::to_string_pretty(&json).unwrap_or_default())
    {
        eprintln!("shop: cannot write {}: {error}", path.display());
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// Why is it slow? Why did it fail?
fn explain(
    traces: &[TraceView],
    scraped: &Scraped,
    out: &Path,
    style: &Style,
    json: &mut serde_json::Value,
) {
    if let Some(slowest) = traces.iter().max_by(|a, b| a.duration_ms().total_cmp(&b.duration_ms()))
    {
        println!("\n== why is it slow? the slowest of the {} traces kept", traces.len());
        print!("{}", slowest.render(style));
        let path: Vec<String> =
            slowest.critical_path().iter().map(|s| format!("{} {}", s.service, s.name)).collect();
        println!("critical path: {}", path.join(" → "));
        if let Some(span) = slowest.slowest_span() {
            let own = slowest.self_time_ns(span) as f64 / 1e6;
            println!(
                "most time of its own: {} in {} ({own:.1} ms of {:.1} ms)",
                span.name,
                span.service,
                slowest.duration_ms()
            );
            json["slowest"] = serde_json::json!({
                "trace_id": slowest.trace_id, "duration_ms": slowest.duration_ms(), "slowest_span": span.name,
                "spans": slowest.spans.iter().map(|s| &s.name).collect::<Vec<_>>(),
            });
        }
        // Across every kept trace of that operation, not only the slowest one.
        let operation = slowest.roots().next().map(|r| r.name.clone());
        println!("\n== why is it slow? across the traces (obs why --slow)");
        match obs::why::slow(traces, operation.as_deref(), obs::why::SlowBy::Percentile(90.0)) {
            Ok(report) => {
                print!("{report}");
                json["why_slow"] = serde_json::json!({
                    "operation": report.operation,
                    "findings": report.findings.iter().map(obs::why::Finding::subject).collect::<Vec<_>>(),
                });
            }
            Err(error) => println!("  {error}"),
        }
    }
    // The most recent failed trace that crosses every service, failing at its deepest span.
    let failed = traces
        .iter()
        .filter(|t| t.failed() && t.failing_span().is_some_and(|s| !s.message.is_empty()))
        .max_by_key(|t| {
            (
                t.spans.iter().map(|s| &s.service).collect::<std::collections::BTreeSet<_>>().len(),
                t.start_ns(),
            )
        });
    match failed {
        Some(trace) => {
            println!("\n== why did it fail? a failed trace");
            print!("{}", trace.render(style));
            let failing = trace.failing_span().expect("a failed trace has a failing span");
            println!("failed at: {} in {}: {}", failing.name, failing.service, failing.message);
            println!("its log lines (JSON, as written):");
            let mut lines = Vec::new();
            // One customer request: one request id and one user across the services.
            let mut request_ids = std::collections::BTreeSet::new();
            let mut user_ids = std::collections::BTreeSet::new();
            let mut services = std::collections::BTreeSet::new();
            for (service, path) in &scraped.logs {
                let text = std::fs::read_to_string(path).unwrap_or_default();
                for line in text
                    .lines()
                    .filter(|l| l.contains(&format!("\"trace_id\":\"{}\"", trace.trace_id)))
                {
                    println!("  {service}: {line}");
                    lines.push(line.to_owned());
                    let parsed: serde_json::Value = serde_json::from_str(line).unwrap_or_default();
                    services.insert(*service);
                    if let Some(id) = parsed["request_id"].as_str() {
                        request_ids.insert(id.to_owned());
                    }
                    if let Some(id) = parsed["user_id"].as_str() {
                        user_ids.insert(id.to_owned());
                    }
                }
            }
            println!(
                "one request across {} services: request_id {}, user_id {}",
                services.len(),
                request_ids.iter().cloned().collect::<Vec<_>>().join(" "),
                user_ids.iter().cloned().collect::<Vec<_>>().join(" "),
            );
            json["failed"] = serde_json::json!({
                "trace_id": trace.trace_id, "failing_span": failing.name, "service": failing.service,
                "error": failing.message, "log_lines": lines,
                "services_logging": services, "request_ids": request_ids, "user_ids": user_ids,
            });
        }
        None => println!("\n== why did it fail? no failed trace was recorded"),
    }
    let logs: Vec<String> = scraped
        .logs
        .iter()
        .flat_map(|(_, path)| {
            std::fs::read_to_string(path)
                .unwrap_or_default()
                .lines()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect();
    println!("\n== why did it fail? across the traces (obs why --failed)");
    match obs::why::failed(traces, None, &[]) {
        Ok(report) => {
            print!("{report}");
            json["why_failed"] = report
                .groups
                .iter()
                .map(|g| serde_json::json!({"service": g.span.0, "span": g.span.1, "pattern": g.pattern, "count": g.count}))
                .collect();
        }
        Err(error) => println!("  {error}"),
    }
    let page = obs::report::html(traces, &logs, "shop");
    let html = out.join("report.html");
    match std::fs::write(&html, page) {
        Ok(()) => {
            println!("\n== the same, to look at: {}", html.display());
            json["html_report"] = html.display().to_string().into();
        }
        Err(error) => println!("\n== cannot write {}: {error}", html.display()),
    }
}

/// The conditions of the generated alert rules, evaluated on what the run measured.
fn alerts(rows: &[OperationRow], scraped: &Scraped) -> Vec<(String, &'static str, String)> {
    let defaults = obs::alerts::AlertOptions::default();
    let mut firing = Vec::new();
    for row in rows.iter().filter(|r| r.calls >= f64::from(defaults.min_calls_5m)) {
        let ratio = row.errors / row.calls;
        if ratio > defaults.page_error_ratio {
            firing.push((
                "ObsHighErrorRate".to_owned(),
                "page",
                format!("{} fails {:.1}% of {} calls", row.operation, ratio * 100.0, row.calls),
            ));
        }
        let Some(objective) = obs::golden::operations()
            .iter()
            .find(|o| o.name == row.operation)
            .and_then(|o| o.objective)
        else {
            continue;
        };
        let burn = ratio / objective.error_budget();
        if burn >= 14.4 {
            firing.push((
                format!("ObsErrorBudgetBurn_{}", row.operation.replace('.', "_")),
                "page",
                format!(
                    "{} burns its {}% objective {burn:.0}x too fast",
                    row.operation, objective.success_percent
                ),
            ));
        }
        if let (Some(target), Some(p99)) = (objective.latency_ms, row.p99)
            && objective.percentile >= 99.0
            && p99 * 1e3 > target as f64
        {
            firing.push((
                format!("ObsLatencyObjective_{}", row.operation.replace('.', "_")),
                "ticket",
                format!("{} p99 {:.0} ms > {target} ms", row.operation, p99 * 1e3),
            ));
        }
    }
    if let Some((503, body)) = &scraped.health {
        for check in body["failing"].as_array().into_iter().flatten() {
            firing.push((
                "ObsBusinessCheckFailing".into(),
                "page",
                format!("business check {check} fails"),
            ));
        }
    }
    for (service, samples) in &scraped.services {
        for disk in matching(samples, "system_filesystem_utilization_ratio", &[])
            .filter(|s| s.value > defaults.disk_ticket_ratio)
        {
            let mount = disk.labels.get("mountpoint").cloned().unwrap_or_default();
            firing.push((
                "ObsDiskFilling".into(),
                "ticket",
                format!("{mount} is {:.0}% full ({service})", disk.value * 100.0),
            ));
        }
    }
    firing
}
