//! Log lines reach stdout while the program runs, not when it exits: the writer thread writes
//! through a buffer and flushes it each time its queue drains. A child process (this test
//! binary, told so by `OBS_LOG_LATENCY_CHILD`) logs one line and then sleeps; the parent reads
//! the line from the child's stdout while the child is still alive.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

#[test]
fn a_log_line_is_on_stdout_while_the_program_still_runs() {
    if std::env::var_os("OBS_LOG_LATENCY_CHILD").is_some() {
        let _telemetry =
            obs::TelemetryBuilder::new("log-latency").ignore_env().traces_file(None::<&str>).init();
        tracing::info!("child ready");
        std::thread::sleep(Duration::from_secs(60));
        return;
    }
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "a_log_line_is_on_stdout_while_the_program_still_runs", "--nocapture"])
        .env("OBS_LOG_LATENCY_CHILD", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (lines, received) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                return;
            }
        }
    });
    let found = std::iter::from_fn(|| received.recv_timeout(Duration::from_secs(10)).ok())
        .find(|line| line.contains(r#""msg":"child ready""#));
    let still_running = child.try_wait().unwrap().is_none();
    let _ = child.kill();
    let _ = child.wait();
    let line = found.expect("the log line within 10 s, while the child sleeps");
    assert!(still_running, "the child was still running when its line arrived: {line}");
}
