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
