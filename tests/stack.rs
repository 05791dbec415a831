//! The development stack (`docker-compose.yml`, `examples/stack/`), checked with the tools that
//! run here, since Docker does not: a structural check of the compose file, the collector's
//! configuration and Grafana's provisioning; `promtool` on Prometheus's configuration, its rules
//! and every query of the dashboard; and the generated files up to date with the shop's code.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn run(command: &mut Command) -> String {
    let out = command.output().expect("the tool is installed (.ci/run installs it)");
    let text =
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{command:?} failed:\n{text}");
    text
}

fn shop() -> PathBuf {
    let deps = std::env::current_exe().unwrap().parent().unwrap().to_owned();
    deps.parent().unwrap().join("examples").join(format!("shop{}", std::env::consts::EXE_SUFFIX))
}

#[test]
fn the_compose_file_and_the_stack_configs_fit_together() {
    let checked =
        run(Command::new("python3").arg(root().join("tests/peers/check_stack.py")).arg(root()));
    assert_eq!(checked.trim(), "ok");
}

#[test]
fn prometheus_accepts_its_configuration_and_rules() {
    let checked = run(Command::new("promtool")
        .arg("check")
        .arg("config")
        .arg(root().join("examples/stack/prometheus/prometheus.yml")));
    assert!(checked.contains("SUCCESS: 1 rule files found"), "{checked}");
}

#[test]
fn the_generated_rules_and_dashboard_are_up_to_date() {
    for (command, file) in [
        ("alerts", "examples/stack/prometheus/rules/shop.rules.yml"),
        ("dashboard", "examples/stack/grafana/dashboards/shop.json"),
    ] {
        let generated = run(Command::new(shop()).arg(command).arg("-"));
        let committed = std::fs::read_to_string(root().join(file)).unwrap();
        assert!(
            generated == committed,
            "{file} is stale: regenerate it with `cargo run --example shop -- {command} {file}`"
        );
    }
}

#[test]
fn every_dashboard_query_is_valid_promql() {
    let dashboard: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("examples/stack/grafana/dashboards/shop.json"))
            .unwrap(),
    )
    .unwrap();
    let exprs: Vec<String> = dashboard["panels"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["targets"].as_array().cloned().unwrap_or_default())
        .map(|t| t["expr"].as_str().unwrap().replace("$service", ".*"))
        .collect();
    assert!(exprs.len() > 20, "{} queries", exprs.len());
    let mut rules = String::from("groups:\n  - name: dashboard\n    rules:\n");
    for (i, expr) in exprs.iter().enumerate() {
        rules.push_str(&format!(
            "      - record: dashboard:query{i}\n        expr: {}\n",
            serde_json::to_string(expr).unwrap()
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dashboard.rules.yml");
    std::fs::write(&file, rules).unwrap();
    let checked = run(Command::new("promtool").arg("check").arg("rules").arg(&file));
    assert!(checked.contains(&format!("SUCCESS: {} rules found", exprs.len())), "{checked}");
}
