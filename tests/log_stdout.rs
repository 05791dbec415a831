//! Log lines on stdout, as a program's operator meets them: they arrive while the program runs,
//! not when it exits; after `Telemetry::flush`, every line logged before it is out; and when
//! nobody reads stdout, lines are dropped and counted in `obs_log_lines_dropped_total` while
//! the program goes on. Each test runs this test binary again as a child (told so by
//! `OBS_LOG_STDOUT_CHILD`) and reads what it writes.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The child's part of `test`, when this process is that test's child.
fn child_of(test: &str) -> bool {
    std::env::var("OBS_LOG_STDOUT_CHILD").is_ok_and(|child| child == test)
}

fn spawn_child(test: &str) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture"])
        .env("OBS_LOG_STDOUT_CHILD", test)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// A child's telemetry: logs to stdout, no trace file, and no `/metrics` port (the tests'
/// children run at once, and would share the default one).
fn child_telemetry(service: &str) -> obs::Telemetry {
    obs::TelemetryBuilder::new(service)
        .ignore_env()
        .traces_file(None::<&str>)
        .prometheus(None)
        .init()
        .unwrap()
}

/// The lines `stream` gives, on a channel, read on a thread of their own.
fn lines_of(stream: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (lines, received) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                return;
            }
        }
    });
    received
}

#[test]
fn a_log_line_is_on_stdout_while_the_program_still_runs() {
    const TEST: &str = "a_log_line_is_on_stdout_while_the_program_still_runs";
    if child_of(TEST) {
        let _telemetry = child_telemetry("log-latency");
        tracing::info!("child ready");
        std::thread::sleep(Duration::from_secs(60));
        return;
    }
    let mut child = spawn_child(TEST);
    let received = lines_of(child.stdout.take().unwrap());
    let found = std::iter::from_fn(|| received.recv_timeout(Duration::from_secs(10)).ok())
        .find(|line| line.contains(r#""msg":"child ready""#));
    let still_running = child.try_wait().unwrap().is_none();
    let _ = child.kill();
    let _ = child.wait();
    let line = found.expect("the log line within 10 s, while the child sleeps");
    assert!(still_running, "the child was still running when its line arrived: {line}");
}

/// Lines the child logs while nobody reads its stdout.
const LINES: usize = 100_000;

#[test]
fn with_stdout_unread_lines_are_dropped_and_counted_and_the_program_goes_on() {
    const TEST: &str = "with_stdout_unread_lines_are_dropped_and_counted_and_the_program_goes_on";
    if child_of(TEST) {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        let limits = obs::config::Limits {
            metrics_interval: Duration::from_millis(100),
            ..Default::default()
        };
        let _telemetry = obs::TelemetryBuilder::new("log-stdout-unread")
            .ignore_env()
            .traces_file(None::<&str>)
            .prometheus(Some(addr))
            .limits(limits)
            .init()
            .unwrap();
        let started = Instant::now();
        let padding = "x".repeat(200);
        for i in 0..LINES {
            tracing::info!(i, padding, "a line nobody reads");
        }
        let logging = started.elapsed();
        std::thread::sleep(Duration::from_millis(500));
        let mut stream = TcpStream::connect(addr).unwrap();
        write!(stream, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut exposition = String::new();
        stream.read_to_string(&mut exposition).unwrap();
        let dropped = exposition
            .lines()
            .find(|line| line.starts_with("obs_log_lines_dropped_total"))
            .and_then(|line| line.rsplit(' ').next())
            .unwrap_or("missing");
        eprintln!("logged {LINES} lines in {} ms; dropped {dropped}", logging.as_millis());
        return;
    }
    // stdout is a pipe the parent never reads: it fills, and so does obs's buffer.
    let mut child = spawn_child(TEST);
    let received = lines_of(child.stderr.take().unwrap());
    let report = std::iter::from_fn(|| received.recv_timeout(Duration::from_secs(60)).ok())
        .find(|line| line.starts_with("logged "));
    let _ = child.kill();
    let _ = child.wait();
    let report = report.expect("the child's report within 60 s: logging blocked on stdout");
    let dropped: u64 = report
        .rsplit(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no dropped count in {report:?}"));
    // 100,000 lines of about 300 bytes: 30 MB, against a 64 KiB pipe and 4 MiB of buffer.
    assert!(dropped > (LINES / 2) as u64, "{report}");
    assert!(dropped < LINES as u64, "every line dropped: {report}");
}

#[test]
fn after_flush_the_lines_logged_so_far_are_on_stdout() {
    const TEST: &str = "after_flush_the_lines_logged_so_far_are_on_stdout";
    if child_of(TEST) {
        let telemetry = child_telemetry("log-flush");
        for i in 0..100 {
            tracing::info!(i, "before the flush");
        }
        assert!(telemetry.flush());
        // Printed straight to stdout, past obs's writer: after the flush, it must come after
        // every line logged before it.
        println!("MARKER");
        std::thread::sleep(Duration::from_secs(60));
        return;
    }
    let mut child = spawn_child(TEST);
    let received = lines_of(child.stdout.take().unwrap());
    let errors = lines_of(child.stderr.take().unwrap());
    let lines: Vec<String> =
        std::iter::from_fn(|| received.recv_timeout(Duration::from_secs(10)).ok())
            .take_while(|line| line != "MARKER")
            .collect();
    let _ = child.kill();
    let _ = child.wait();
    let logged = lines.iter().filter(|line| line.contains(r#""msg":"before the flush""#)).count();
    let errors: Vec<String> = errors.try_iter().collect();
    assert_eq!(logged, 100, "lines before the marker: {lines:?}; the child's stderr: {errors:?}");
}
