//! Prometheus alert rules generated from the golden-signal series and the objectives declared
//! with `#[golden_signals]`: alerts on symptoms (errors, latency, a business event that stops, a
//! failing business check, a filling disk), never on "is it up".
//!
//! ```
//! let ops = obs_runtime::golden::operations();
//! let rules = obs_runtime::alerts::rules(ops, &obs_runtime::alerts::AlertOptions::default()).unwrap();
//! let yaml = rules.to_yaml();
//! assert!(yaml.contains("alert: ObsHighErrorRate"));
//! ```
//!
//! What is generated:
//! - **page** `ObsHighErrorRate`: an operation's error ratio above 1% (over 1-minute windows)
//!   for 5 minutes, with at least 30 calls in the last 5 minutes (one failure out of three at
//!   night does not page); `ObsHttpServerErrors`, the same for HTTP routes (5xx);
//! - **multi-window, multi-burn-rate** alerts for each objective (the SRE workbook's table:
//!   14.4× over 1 h and 5 min, 6× over 6 h and 30 min page; 3× over 1 d and 2 h, 1× over 3 d and
//!   6 h ticket), on recording rules of the error ratio per window;
//! - **ticket** `ObsLatencyObjective`: the objective's percentile above its latency target for
//!   15 minutes;
//! - **ticket** `ObsDiskFilling`: a filesystem over 80% for 30 minutes;
//! - **page** `ObsBusinessEventStopped`: a business event's rate at zero for 10 minutes while
//!   the operation still has traffic; `ObsBusinessCheckFailing`: a business check failing for
//!   5 minutes.
//!
//! None can flap: every alert waits (`for`) at least a minute before firing, every page alert
//! keeps firing (`keep_firing_for`, Prometheus ≥ 2.42) at least 5 minutes after it stops being
//! true, and no expression uses a range shorter than a minute. [`RuleFile::lint`] refuses a file
//! that breaks these rules, and [`rules`] lints what it generates.

use crate::golden::Operation;
use std::fmt::Write as _;
use std::time::Duration;

/// Knobs of the generated rules.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertOptions {
    /// Base of the `runbook_url` annotation; the alert's name is appended.
    pub runbook_base: String,
    /// Error ratio above which `ObsHighErrorRate` pages (0.01 = 1%).
    pub page_error_ratio: f64,
    /// Fewest calls in 5 minutes for an error ratio to page.
    pub min_calls_5m: u32,
    /// Filesystem utilisation above which `ObsDiskFilling` tickets (0.8 = 80%).
    pub disk_ticket_ratio: f64,
}

impl Default for AlertOptions {
    fn default() -> Self {
        AlertOptions {
            runbook_base: "https://runbooks.example.invalid/obs/".into(),
            page_error_ratio: 0.01,
            min_calls_5m: 30,
            disk_ticket_ratio: 0.8,
        }
    }
}

/// A Prometheus rule file.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct RuleFile {
    /// Its groups.
    pub groups: Vec<Group>,
}

/// A rule group.
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    /// The group's name.
    pub name: String,
    /// Its rules.
    pub rules: Vec<Rule>,
}

/// A recording or alerting rule.
#[derive(Clone, Debug, PartialEq)]
pub enum Rule {
    /// `record: name`.
    Record {
        /// The recorded series.
        record: String,
        /// PromQL.
        expr: String,
    },
    /// `alert: name`.
    Alert {
        /// The alert's name.
        alert: String,
        /// PromQL.
        expr: String,
        /// How long the expression must hold before the alert fires.
        for_: Duration,
        /// How long the alert keeps firing after the expression stops holding.
        keep_firing_for: Option<Duration>,
        /// `severity` and other labels.
        labels: Vec<(String, String)>,
        /// `summary`, `description`, `runbook_url`.
        annotations: Vec<(String, String)>,
    },
}

/// Why a rule file is refused.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum LintError {
    /// An alert without a `for` (or a shorter one) fires on a single evaluation.
    #[error(
        "alert {alert} fires after {for_:?}; give it `for:` of at least 1m so that one bad evaluation does not alert"
    )]
    FiresTooSoon {
        /// The alert.
        alert: String,
        /// Its `for`.
        for_: Duration,
    },
    /// A page that may resolve and fire again within seconds.
    #[error(
        "page alert {alert} has keep_firing_for {keep:?}; give it at least 5m so that it does not resolve and page again within minutes"
    )]
    ResolvesTooSoon {
        /// The alert.
        alert: String,
        /// Its `keep_firing_for`.
        keep: Option<Duration>,
    },
    /// A range that covers too few scrapes to be stable.
    #[error("rule {rule} uses the range [{range}]; use at least [1m] (four 15 s scrapes)")]
    RangeTooShort {
        /// The rule.
        rule: String,
        /// The range.
        range: String,
    },
    /// An alert without a `severity` label the routing understands.
    #[error("alert {alert} has no `severity` of `page` or `ticket`; Alertmanager routes on it")]
    NoSeverity {
        /// The alert.
        alert: String,
    },
}

/// Windows of the error-ratio recording rules.
const WINDOWS: [&str; 8] = ["1m", "5m", "30m", "1h", "2h", "6h", "1d", "3d"];

/// The rules for `operations` (normally `obs::golden::operations()`).
pub fn rules(operations: &[Operation], options: &AlertOptions) -> Result<RuleFile, LintError> {
    let by = "service, operation";
    let mut recording = Vec::new();
    for w in WINDOWS {
        recording.push(Rule::Record {
            record: format!("obs:operation_calls:rate{w}"),
            expr: format!("sum by ({by}) (rate(obs_operation_duration_seconds_count[{w}]))"),
        });
        recording.push(Rule::Record {
            record: format!("obs:operation_errors:rate{w}"),
            expr: format!("sum by ({by}) (rate(obs_operation_errors_total[{w}]))"),
        });
        // An operation without any error yet has no error series: count it as 0.
        recording.push(Rule::Record {
            record: format!("obs:operation_error_ratio:rate{w}"),
            expr: format!(
                "(obs:operation_errors:rate{w} or 0 * obs:operation_calls:rate{w}) / obs:operation_calls:rate{w}"
            ),
        });
    }

    let traffic = format!("obs:operation_calls:rate5m * 300 >= {}", options.min_calls_5m);
    let page = |alert: &str, expr: String, for_: u64, summary: &str, description: &str| {
        alert_rule(alert, expr, for_, Some(10), "page", summary, description, options)
    };
    let ticket = |alert: &str, expr: String, for_: u64, summary: &str, description: &str| {
        alert_rule(alert, expr, for_, None, "ticket", summary, description, options)
    };

    let mut symptoms = vec![
        page(
            "ObsHighErrorRate",
            format!(
                "obs:operation_error_ratio:rate1m > {} and {traffic}",
                options.page_error_ratio
            ),
            5,
            "{{ $labels.operation }} fails more than {{PERCENT}}% of its calls",
            "More than {{PERCENT}}% of the calls of {{ $labels.operation }} ({{ $labels.service }}) have failed for 5 minutes. Look at its failed traces (obs trace --failed) and ERROR logs.",
        ),
        page(
            "ObsHttpServerErrors",
            format!(
                "(sum by (service, http_route) (rate(http_server_request_duration_seconds_count{{error_type!=\"\"}}[1m])) / sum by (service, http_route) (rate(http_server_request_duration_seconds_count[1m]))) > {} and sum by (service, http_route) (rate(http_server_request_duration_seconds_count[5m])) * 300 >= {}",
                options.page_error_ratio, options.min_calls_5m
            ),
            5,
            "{{ $labels.http_route }} answers more than {{PERCENT}}% server errors",
            "More than {{PERCENT}}% of the requests to {{ $labels.http_route }} ({{ $labels.service }}) have answered 5xx for 5 minutes.",
        ),
        ticket(
            "ObsDiskFilling",
            format!(
                "max by (service, instance, mountpoint) (system_filesystem_utilization_ratio) > {}",
                options.disk_ticket_ratio
            ),
            30,
            "{{ $labels.mountpoint }} is more than {{DISK}}% full",
            "The filesystem {{ $labels.mountpoint }} on {{ $labels.instance }} has been more than {{DISK}}% full for 30 minutes.",
        ),
        page(
            "ObsBusinessCheckFailing",
            "min by (service, check) (obs_business_check_up) == 0".into(),
            5,
            "business check {{ $labels.check }} fails",
            "The business check {{ $labels.check }} ({{ $labels.service }}) has failed for 5 minutes: the service is up but cannot do its job.",
        ),
    ];

    let mut objectives = Vec::new();
    // The link order of the operations varies between builds: sort, so that the file is stable.
    let mut operations: Vec<&Operation> = operations.iter().collect();
    operations.sort_by_key(|op| (op.name, op.module, op.function));
    for op in operations {
        let name = &op.name;
        if let Some(event) = op.business_event {
            symptoms.push(page(
                &format!("ObsBusinessEventStopped_{}", sanitize(name)),
                format!(
                    "sum by (service, operation, event) (rate(obs_business_events_total{{operation=\"{name}\",event=\"{event}\"}}[15m])) == 0 and on (service, operation) sum by (service, operation) (rate(obs_operation_duration_seconds_count{{operation=\"{name}\"}}[15m])) * 900 >= {}",
                    options.min_calls_5m
                ),
                10,
                &format!("no {event} for 15 minutes while {name} has traffic"),
                &format!("{{{{ $labels.service }}}} has recorded no {event} in 15 minutes although {name} is still called: the service is up but the business has stopped."),
            ));
        }
        let Some(objective) = op.objective else { continue };
        let budget = objective.error_budget();
        let ratio = |w: &str| format!("obs:operation_error_ratio:rate{w}{{operation=\"{name}\"}}");
        let burn = |long: &str, short: &str, factor: f64| {
            format!(
                "({} > {} and {} > {})",
                ratio(long),
                fmt(factor * budget),
                ratio(short),
                fmt(factor * budget)
            )
        };
        let alert = sanitize(name);
        objectives.push(page(
            &format!("ObsErrorBudgetBurn_{alert}"),
            format!(
                "({} or {}) and on (service, operation) {}",
                burn("1h", "5m", 14.4),
                burn("6h", "30m", 6.0),
                traffic.replace("obs:operation_calls:rate5m", &format!("obs:operation_calls:rate5m{{operation=\"{name}\"}}"))
            ),
            2,
            &format!("{name} burns its error budget fast ({}% objective)", objective.success_percent),
            &format!("{name} is failing fast enough to spend its monthly error budget in days (14.4x over 1h and 5m, or 6x over 6h and 30m)."),
        ));
        objectives.push(ticket(
            &format!("ObsErrorBudgetSlowBurn_{alert}"),
            format!("{} or {}", burn("1d", "2h", 3.0), burn("3d", "6h", 1.0)),
            15,
            &format!("{name} is spending its error budget ({}% objective)", objective.success_percent),
            &format!("{name} fails often enough to miss its {}% objective over {} days (3x over 1d and 2h, or 1x over 3d and 6h).", objective.success_percent, objective.window_days),
        ));
        if let Some(latency_ms) = objective.latency_ms {
            let q = objective.percentile / 100.0;
            objectives.push(ticket(
                &format!("ObsLatencyObjective_{alert}"),
                format!(
                    "histogram_quantile({}, sum by (service, operation, le) (rate(obs_operation_duration_seconds_bucket{{operation=\"{name}\"}}[5m]))) > {} and on (service, operation) obs:operation_calls:rate5m{{operation=\"{name}\"}} * 300 >= {}",
                    fmt(q),
                    fmt(latency_ms as f64 / 1000.0),
                    options.min_calls_5m
                ),
                15,
                &format!("{name} p{} latency above {latency_ms} ms", objective.percentile),
                &format!("The p{} latency of {name} has been above its {latency_ms} ms objective for 15 minutes. Look at its slowest traces (obs trace --slowest).", objective.percentile),
            ));
        }
    }

    let percent = fmt(options.page_error_ratio * 100.0);
    let disk = fmt(options.disk_ticket_ratio * 100.0);
    for rule in symptoms.iter_mut() {
        if let Rule::Alert { annotations, .. } = rule {
            for (_, text) in annotations.iter_mut() {
                *text = text.replace("{{PERCENT}}", &percent).replace("{{DISK}}", &disk);
            }
        }
    }
    let file = RuleFile {
        groups: vec![
            Group { name: "obs-recording".into(), rules: recording },
            Group { name: "obs-symptoms".into(), rules: symptoms },
            Group { name: "obs-objectives".into(), rules: objectives },
        ],
    };
    file.lint()?;
    Ok(file)
}

#[allow(clippy::too_many_arguments)]
fn alert_rule(
    alert: &str,
    expr: String,
    for_minutes: u64,
    keep_minutes: Option<u64>,
    severity: &str,
    summary: &str,
    description: &str,
    options: &AlertOptions,
) -> Rule {
    Rule::Alert {
        alert: alert.to_owned(),
        expr,
        for_: Duration::from_secs(for_minutes * 60),
        keep_firing_for: keep_minutes.map(|m| Duration::from_secs(m * 60)),
        labels: vec![("severity".into(), severity.into())],
        annotations: vec![
            ("summary".into(), summary.to_owned()),
            ("description".into(), description.to_owned()),
            ("runbook_url".into(), format!("{}{alert}", options.runbook_base)),
        ],
    }
}

/// An alert-name-safe form of an operation name.
fn sanitize(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect()
}

/// A number as PromQL writes it, without float noise (`0.0144`, not `0.014400000000000001`).
fn fmt(x: f64) -> String {
    let s = format!("{:.10}", x);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() { "0".into() } else { s.to_owned() }
}

fn duration(d: Duration) -> String {
    let s = d.as_secs();
    if s.is_multiple_of(3600) && s > 0 {
        format!("{}h", s / 3600)
    } else if s.is_multiple_of(60) && s > 0 {
        format!("{}m", s / 60)
    } else {
        format!("{s}s")
    }
}

/// A YAML double-quoted scalar (JSON's escaping is valid YAML).
fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}"))
}

impl RuleFile {
    /// Refuses alerts that could fire or resolve within seconds, and short ranges.
    pub fn lint(&self) -> Result<(), LintError> {
        for rule in self.groups.iter().flat_map(|g| &g.rules) {
            let (name, expr) = match rule {
                Rule::Record { record, expr } => (record, expr),
                Rule::Alert { alert, expr, .. } => (alert, expr),
            };
            for range in ranges(expr) {
                if range_seconds(&range).is_some_and(|s| s < 60) {
                    return Err(LintError::RangeTooShort { rule: name.clone(), range });
                }
            }
            if let Rule::Alert { alert, for_, keep_firing_for, labels, .. } = rule {
                if *for_ < Duration::from_secs(60) {
                    return Err(LintError::FiresTooSoon { alert: alert.clone(), for_: *for_ });
                }
                let severity =
                    labels.iter().find(|(k, _)| k == "severity").map(|(_, v)| v.as_str());
                match severity {
                    Some("page")
                        if keep_firing_for.is_none_or(|k| k < Duration::from_secs(300)) =>
                    {
                        return Err(LintError::ResolvesTooSoon {
                            alert: alert.clone(),
                            keep: *keep_firing_for,
                        });
                    }
                    Some("page" | "ticket") => {}
                    _ => return Err(LintError::NoSeverity { alert: alert.clone() }),
                }
            }
        }
        Ok(())
    }

    /// The file in Prometheus's YAML format.
    pub fn to_yaml(&self) -> String {
        let mut out = String::from(
            "# Generated by obs from the golden-signal series and the objectives declared with\n# #[golden_signals]. Regenerate rather than edit.\ngroups:\n",
        );
        for group in &self.groups {
            let _ = writeln!(out, "  - name: {}\n    rules:", quote(&group.name));
            for rule in &group.rules {
                match rule {
                    Rule::Record { record, expr } => {
                        let _ = writeln!(
                            out,
                            "      - record: {record}\n        expr: {}",
                            quote(expr)
                        );
                    }
                    Rule::Alert { alert, expr, for_, keep_firing_for, labels, annotations } => {
                        let _ = writeln!(
                            out,
                            "      - alert: {alert}\n        expr: {}\n        for: {}",
                            quote(expr),
                            duration(*for_)
                        );
                        if let Some(keep) = keep_firing_for {
                            let _ = writeln!(out, "        keep_firing_for: {}", duration(*keep));
                        }
                        out.push_str("        labels:\n");
                        for (k, v) in labels {
                            let _ = writeln!(out, "          {k}: {}", quote(v));
                        }
                        out.push_str("        annotations:\n");
                        for (k, v) in annotations {
                            let _ = writeln!(out, "          {k}: {}", quote(v));
                        }
                    }
                }
            }
        }
        out
    }
}

/// The range selectors (`[5m]`) of a PromQL expression.
fn ranges(expr: &str) -> Vec<String> {
    expr.split('[').skip(1).filter_map(|rest| rest.split(']').next()).map(str::to_owned).collect()
}

fn range_seconds(range: &str) -> Option<u64> {
    let (number, unit) = range.split_at(range.find(|c: char| !c.is_ascii_digit())?);
    let n: u64 = number.parse().ok()?;
    Some(match unit {
        "ms" => 0,
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86400,
        "w" => n * 604_800,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(for_secs: u64, keep: Option<u64>, severity: &str, expr: &str) -> RuleFile {
        RuleFile {
            groups: vec![Group {
                name: "g".into(),
                rules: vec![Rule::Alert {
                    alert: "A".into(),
                    expr: expr.into(),
                    for_: Duration::from_secs(for_secs),
                    keep_firing_for: keep.map(Duration::from_secs),
                    labels: vec![("severity".into(), severity.into())],
                    annotations: vec![],
                }],
            }],
        }
    }

    #[test]
    fn the_lint_refuses_rules_that_could_flap() {
        assert_eq!(alert(600, Some(600), "page", "x > 1").lint(), Ok(()));
        assert!(matches!(
            alert(0, Some(600), "page", "x > 1").lint(),
            Err(LintError::FiresTooSoon { .. })
        ));
        assert!(matches!(
            alert(30, Some(600), "ticket", "x > 1").lint(),
            Err(LintError::FiresTooSoon { .. })
        ));
        assert!(matches!(
            alert(600, None, "page", "x > 1").lint(),
            Err(LintError::ResolvesTooSoon { .. })
        ));
        assert!(matches!(
            alert(600, Some(60), "page", "x > 1").lint(),
            Err(LintError::ResolvesTooSoon { .. })
        ));
        assert_eq!(
            alert(600, None, "ticket", "x > 1").lint(),
            Ok(()),
            "tickets need not keep firing"
        );
        assert!(matches!(
            alert(600, Some(600), "page", "rate(x[30s]) > 1").lint(),
            Err(LintError::RangeTooShort { .. })
        ));
        assert!(matches!(
            alert(600, Some(600), "info", "x").lint(),
            Err(LintError::NoSeverity { .. })
        ));
    }

    #[test]
    fn numbers_are_written_without_float_noise() {
        assert_eq!(fmt(14.4 * 0.001), "0.0144");
        assert_eq!(fmt(0.99), "0.99");
        assert_eq!(fmt(30.0), "30");
        assert_eq!(duration(Duration::from_secs(300)), "5m");
        assert_eq!(duration(Duration::from_secs(7200)), "2h");
    }
}
