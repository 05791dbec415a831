//! The generated alert rules, proven with Prometheus's own tools: `promtool check rules`,
//! `promtool test rules` (the scenarios are in `rules.test.yml`), a real Prometheus server that
//! scrapes an instrumented service and loads the rules, and Alertmanager's routing and
//! inhibition (`amtool`, and a real Alertmanager).

#[path = "../common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

#[obs::golden_signals(
    operation = "checkout",
    objective(success = 99.9, latency_ms = 250),
    business_event = "order_placed"
)]
fn checkout(n: u64) -> Result<u64, String> {
    if n == 0 { Err("empty".into()) } else { Ok(n) }
}

fn generate(dir: &Path) -> PathBuf {
    let rules =
        obs::alerts::rules(obs::golden::operations(), &obs::alerts::AlertOptions::default())
            .unwrap();
    let path = dir.join("obs.rules.yml");
    std::fs::write(&path, rules.to_yaml()).unwrap();
    path
}

fn run(command: &mut Command) -> String {
    let out = command.output().expect("the tool is installed (.ci/run installs it)");
    let text =
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{command:?} failed:\n{text}");
    text
}

#[test]
fn the_generated_rules_pass_promtool_check_and_its_unit_tests() {
    let dir = tempfile::tempdir().unwrap();
    let rules = generate(dir.path());
    let checked = run(Command::new("promtool").arg("check").arg("rules").arg(&rules));
    assert!(checked.contains("SUCCESS"), "{checked}");
    let tests = dir.path().join("rules.test.yml");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/alerts/rules.test.yml"),
        &tests,
    )
    .unwrap();
    let tested = run(Command::new("promtool").arg("test").arg("rules").arg(&tests));
    assert!(tested.contains("SUCCESS"), "{tested}");
}

#[test]
fn a_real_prometheus_scrapes_the_service_and_loads_the_rules_healthy() {
    use std::time::Duration;
    let dir = tempfile::tempdir().unwrap();
    let metrics = std::net::SocketAddr::from(([127, 0, 0, 1], common::free_port()));
    let telemetry = obs::TelemetryBuilder::new("shop")
        .ignore_env()
        .traces_file(None::<&str>)
        .prometheus(Some(metrics))
        .log_writer(std::io::sink)
        .limits(obs::config::Limits {
            metrics_interval: Duration::from_millis(200),
            ..Default::default()
        })
        .init()
        .unwrap();
    for n in 0..20 {
        let _ = checkout(n % 5);
    }
    telemetry.flush();

    let rules = generate(dir.path());
    let prometheus = common::Prometheus::start(
        "shop",
        &[metrics],
        &format!("rule_files:\n  - {}\n", rules.display()),
        &[],
    );

    // The golden-signal series, scraped, with the service's and the scrape's labels.
    let query = "/api/v1/query?query=obs_operation_duration_seconds_count";
    let found = common::wait_until(Duration::from_secs(60), || {
        prometheus
            .api(query)
            .is_some_and(|v| v["data"]["result"].as_array().is_some_and(|r| !r.is_empty()))
    });
    let log = || prometheus.log();
    assert!(found, "no golden-signal series in Prometheus:\n{}", log());
    let series = &prometheus.api(query).unwrap()["data"]["result"][0]["metric"];
    assert_eq!(
        (&series["operation"], &series["service"], &series["job"]),
        (&"checkout".into(), &"shop".into(), &"shop".into())
    );
    let errors = prometheus.api("/api/v1/query?query=obs_operation_errors_total").unwrap();
    assert_eq!(errors["data"]["result"][0]["metric"]["error_type"], "alloc::string::String");

    // Every rule loaded, and healthy once evaluated.
    let healthy = common::wait_until(Duration::from_secs(30), || {
        prometheus.api("/api/v1/rules").is_some_and(|v| {
            let rules: Vec<&serde_json::Value> = v["data"]["groups"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|g| g["rules"].as_array().into_iter().flatten())
                .collect();
            rules.len() > 30 && rules.iter().all(|r| r["health"] == "ok")
        })
    });
    assert!(
        healthy,
        "rules not all healthy: {}\n{}",
        prometheus.api("/api/v1/rules").unwrap_or_default(),
        log()
    );
    let groups = prometheus.api("/api/v1/rules").unwrap();
    let mut names: Vec<&str> = groups["data"]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["obs-objectives", "obs-recording", "obs-symptoms"]);
    // A recording rule produces data from the scraped series.
    let recorded = common::wait_until(Duration::from_secs(30), || {
        prometheus
            .api("/api/v1/query?query=obs:operation_calls:rate1m")
            .is_some_and(|v| v["data"]["result"].as_array().is_some_and(|r| !r.is_empty()))
    });
    assert!(recorded, "the recording rules produced nothing:\n{}", log());
    drop(telemetry);
}

fn alertmanager_config() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/stack/alertmanager/alertmanager.yml")
}

#[test]
fn alertmanager_routes_pages_and_tickets() {
    let config = alertmanager_config();
    let checked = run(Command::new("amtool").arg("check-config").arg(&config));
    assert!(checked.contains("SUCCESS") && checked.contains("1 inhibit rules"), "{checked}");
    let route = |labels: &[&str]| {
        run(Command::new("amtool")
            .args(["config", "routes", "test"])
            .arg(format!("--config.file={}", config.display()))
            .args(labels))
        .lines()
        .find(|l| !l.starts_with("Warning"))
        .unwrap_or_default()
        .trim()
        .to_owned()
    };
    assert_eq!(route(&["severity=page", "service=shop", "alertname=ObsHighErrorRate"]), "pager");
    assert_eq!(route(&["severity=ticket", "service=shop", "alertname=ObsDiskFilling"]), "tickets");
}

#[test]
fn a_real_alertmanager_holds_tickets_back_while_the_same_service_pages() {
    use std::time::Duration;
    let dir = tempfile::tempdir().unwrap();
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], common::free_port()));
    let log = std::fs::File::create(dir.path().join("alertmanager.log")).unwrap();
    let mut child = Command::new("prometheus-alertmanager")
        .arg(format!("--config.file={}", alertmanager_config().display()))
        .arg(format!("--storage.path={}", dir.path().display()))
        .arg(format!("--web.listen-address={addr}"))
        .arg("--cluster.listen-address=")
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("prometheus-alertmanager (Debian package `prometheus-alertmanager`)");
    let ready = common::wait_until(Duration::from_secs(30), || {
        common::try_http_get(addr, "/-/ready").is_some_and(|(s, _)| s == 200)
    });
    let log = || std::fs::read_to_string(dir.path().join("alertmanager.log")).unwrap_or_default();
    assert!(ready, "alertmanager did not start:\n{}", log());

    let alert = |name: &str, severity: &str, service: &str| serde_json::json!({"labels": {"alertname": name, "severity": severity, "service": service}});
    let alerts = serde_json::json!([
        alert("ObsHighErrorRate", "page", "shop"),
        alert("ObsDiskFilling", "ticket", "shop"),
        alert("ObsDiskFilling", "ticket", "billing"),
    ]);
    let client = reqwest::blocking::Client::new();
    let posted = client.post(format!("http://{addr}/api/v2/alerts")).json(&alerts).send().unwrap();
    assert!(posted.status().is_success(), "{}", posted.text().unwrap_or_default());

    let state = |service: &str, name: &str| -> Option<String> {
        let (_, body) = common::try_http_get(addr, "/api/v2/alerts")?;
        let alerts: serde_json::Value = serde_json::from_str(&body).ok()?;
        alerts
            .as_array()?
            .iter()
            .find(|a| a["labels"]["service"] == service && a["labels"]["alertname"] == name)
            .and_then(|a| a["status"]["state"].as_str().map(str::to_owned))
    };
    let settled = common::wait_until(Duration::from_secs(20), || {
        state("shop", "ObsDiskFilling").as_deref() == Some("suppressed")
    });
    assert!(
        settled,
        "the ticket of a paging service is not held back: {:?}\n{}",
        state("shop", "ObsDiskFilling"),
        log()
    );
    assert_eq!(state("shop", "ObsHighErrorRate").as_deref(), Some("active"));
    assert_eq!(
        state("billing", "ObsDiskFilling").as_deref(),
        Some("active"),
        "another service's ticket goes through"
    );
    let _ = child.kill();
    let _ = child.wait();
}
