//! Helpers shared by the test binaries that run real peers.
#![allow(dead_code)]

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A two-worker Tokio runtime, and a listener on a free port of 127.0.0.1 for a test server.
pub fn runtime_and_listener() -> (tokio::runtime::Runtime, tokio::net::TcpListener, SocketAddr) {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    (runtime, listener, addr)
}

/// The digit that completes `digits` (the payload, without it) to a valid Luhn number.
pub fn luhn_check_digit(digits: &[u32]) -> u32 {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| if i % 2 == 0 { if d * 2 > 9 { d * 2 - 9 } else { d * 2 } } else { d })
        .sum();
    (10 - sum % 10) % 10
}

/// Polls `condition` until it holds or `timeout` passes.
pub fn wait_until(timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if condition() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    condition()
}

/// `GET path` over plain HTTP/1.0; the body.
pub fn http_get(addr: SocketAddr, path: &str) -> String {
    let (status, body) = try_http_get(addr, path).expect("an HTTP response");
    assert_eq!(status, 200, "{body}");
    body
}

/// `GET path` over plain HTTP/1.0: the status and the body, or `None` if nothing answered.
pub fn try_http_get(addr: SocketAddr, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    Some((status, body.to_owned()))
}

/// Runs `promtool check metrics` on an exposition; its complaints on failure.
pub fn promtool_check_metrics(exposition: &str) -> Result<(), String> {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool (Debian package `prometheus`; .ci/run installs it)");
    child.stdin.take().unwrap().write_all(exposition.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// A real OTLP/HTTP receiver (`tests/peers/otlp_sink.py`, oteltest's HttpSink).
pub struct OtlpSink {
    pub port: u16,
    out: PathBuf,
    child: Option<Child>,
}

impl OtlpSink {
    /// Starts an OTLP/HTTP receiver on `port`, recording into `out`.
    pub fn start(port: u16, out: &Path) -> OtlpSink {
        Self::start_with(&[], port, out)
    }

    /// Starts an OTLP/gRPC receiver on `port`, recording into `out`.
    pub fn start_grpc(port: u16, out: &Path) -> OtlpSink {
        Self::start_with(&["--grpc"], port, out)
    }

    fn start_with(flags: &[&str], port: u16, out: &Path) -> OtlpSink {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/otlp_sink.py");
        let mut child = Command::new("python3")
            .arg(script)
            .args(flags)
            .arg(port.to_string())
            .arg(out)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 with oteltest (.ci/run installs it)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        assert_eq!(line.trim(), "ready", "the sink did not start");
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        assert!(
            wait_until(Duration::from_secs(10), || TcpStream::connect(addr).is_ok()),
            "the sink does not listen on {addr}"
        );
        OtlpSink { port, out: out.to_owned(), child: Some(child) }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Stops the receiver (the collector goes down).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Every request received so far, as `(signal, request)`.
    pub fn requests(&self) -> Vec<(String, Value)> {
        let Ok(text) = std::fs::read_to_string(&self.out) else {
            return Vec::new();
        };
        text.lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .map(|v| (v["signal"].as_str().unwrap_or_default().to_owned(), v["request"].clone()))
            .collect()
    }

    /// Every span received, flattened.
    pub fn spans(&self) -> Vec<Value> {
        self.requests()
            .into_iter()
            .filter(|(signal, _)| signal == "traces")
            .flat_map(|(_, r)| otlp_spans(&r))
            .collect()
    }

    /// Every log record received, flattened.
    pub fn logs(&self) -> Vec<Value> {
        self.requests()
            .into_iter()
            .filter(|(signal, _)| signal == "logs")
            .flat_map(|(_, r)| {
                r["resourceLogs"].as_array().cloned().unwrap_or_default().into_iter().flat_map(
                    |rl| {
                        rl["scopeLogs"]
                            .as_array()
                            .cloned()
                            .unwrap_or_default()
                            .into_iter()
                            .flat_map(|sl| sl["logRecords"].as_array().cloned().unwrap_or_default())
                    },
                )
            })
            .collect()
    }
}

impl Drop for OtlpSink {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The spans of one OTLP-JSON trace request, each with its resource's `service.name` added
/// as `"service"`.
pub fn otlp_spans(request: &Value) -> Vec<Value> {
    let mut spans = Vec::new();
    for rs in request["resourceSpans"].as_array().into_iter().flatten() {
        let service = attribute(&rs["resource"], "service.name").unwrap_or(Value::Null);
        for ss in rs["scopeSpans"].as_array().into_iter().flatten() {
            for span in ss["spans"].as_array().into_iter().flatten() {
                let mut span = span.clone();
                span["service"] = service.clone();
                spans.push(span);
            }
        }
    }
    spans
}

/// An attribute of an OTLP-JSON object (span, resource, log record), as its plain value: an
/// `intValue` (which OTLP-JSON may write as a string) becomes a JSON number, so that a
/// number and a `stringValue` holding digits stay distinct.
pub fn attribute(object: &Value, key: &str) -> Option<Value> {
    object["attributes"].as_array()?.iter().find(|kv| kv["key"] == key).map(|kv| {
        let v = &kv["value"];
        if let Some(int) = v.get("intValue") {
            let parsed = int.as_i64().or_else(|| int.as_str()?.parse().ok());
            return parsed.map_or_else(|| int.clone(), Value::from);
        }
        v.get("stringValue")
            .or_else(|| v.get("boolValue"))
            .or_else(|| v.get("doubleValue"))
            .cloned()
            .unwrap_or_else(|| v.clone())
    })
}

/// A `MakeWriter` that keeps every log line in memory.
#[derive(Clone, Default)]
pub struct Lines(pub Arc<Mutex<Vec<u8>>>);

impl Lines {
    /// Every line written so far, parsed as JSON (a line that is not JSON fails the test).
    pub fn json(&self) -> Vec<Value> {
        let bytes = self.0.lock().unwrap().clone();
        String::from_utf8(bytes)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect()
    }
}

impl Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Lines {
    type Writer = Lines;
    fn make_writer(&'a self) -> Lines {
        self.clone()
    }
}

/// A real Prometheus (Debian's), started on 127.0.0.1 for one test and killed when dropped.
pub struct Prometheus {
    child: Child,
    pub addr: SocketAddr,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Prometheus {
    /// Scrapes `targets` every second as job `job`; `config` is added to the configuration's top level
    /// (`rule_files`, …); `flags` go on the command line (`--enable-feature=…`).
    pub fn start(job: &str, targets: &[SocketAddr], config: &str, flags: &[&str]) -> Prometheus {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("prometheus.yml");
        let targets: Vec<String> = targets.iter().map(|t| format!("'{t}'")).collect();
        std::fs::write(
            &file,
            format!(
                "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n{config}scrape_configs:\n  - job_name: {job}\n    static_configs:\n      - targets: [{}]\n",
                targets.join(", ")
            ),
        )
        .unwrap();
        let check = Command::new("promtool").arg("check").arg("config").arg(&file).output();
        let check = check.expect("promtool (Debian package `prometheus`; .ci/run installs it)");
        assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stdout));
        let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let log = dir.path().join("prometheus.log");
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new("prometheus")
            .arg(format!("--config.file={}", file.display()))
            .arg(format!("--storage.tsdb.path={}", dir.path().join("data").display()))
            .arg(format!("--web.listen-address={addr}"))
            .args(flags)
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .expect("prometheus (Debian package `prometheus`; .ci/run installs it)");
        Prometheus { child, addr, log, _dir: dir }
    }

    /// `GET path` of its HTTP API, as JSON, if it answered 200.
    pub fn api(&self, path: &str) -> Option<Value> {
        let (status, body) = try_http_get(self.addr, path)?;
        (status == 200).then(|| serde_json::from_str(&body).ok()).flatten()
    }

    /// The result of an instant query.
    pub fn query(&self, query: &str) -> Vec<Value> {
        let encoded: String = query
            .bytes()
            .map(|b| match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b':' | b'.' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect();
        self.api(&format!("/api/v1/query?query={encoded}"))
            .and_then(|v| v["data"]["result"].as_array().cloned())
            .unwrap_or_default()
    }

    /// What it logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
