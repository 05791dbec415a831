//! A whole service's overhead: one axum service on 127.0.0.1 under load, uninstrumented, with
//! obs in its production configuration (JSON logs, `/metrics`, the trace file, 10% of traces and
//! every failed one), with obs's logs at WARN, and with the common alternative stack
//! (`tracing-subscriber` JSON logs, tower-http's `TraceLayer`, `tracing-opentelemetry` sampling
//! 10%, `metrics-exporter-prometheus`). Two handlers: a trivial one (three INFO log lines and
//! one observed call) and one that does 100 µs of work besides.
//!
//! ```text
//! cargo bench --bench service                  # 3 rounds of 10 s per row
//! cargo bench --bench service -- --seconds 3 --rounds 5
//! ```
//!
//! Each service is a child process (this binary, told what to be by `OBS_SERVICE_BENCH`); the
//! load generator is a bounded client in this process: 16 keep-alive connections, each sending
//! the next request when the last answer arrived, timing every request. It shares the machine's
//! cores with the service, as `oha` would. Prints, per row, requests/s, its share of the
//! uninstrumented row's throughput, p50 and p99, and the service's CPU time per request (from
//! `/proc`).

mod common;

use common::Discard;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const STACKS: [&str; 4] = ["uninstrumented", "obs", "obs, logs at WARN", "common stack"];
const HANDLERS: [&str; 2] = ["trivial", "100 µs of work"];
const CONNECTIONS: usize = 16;

fn main() {
    if let Ok(role) = std::env::var("OBS_SERVICE_BENCH") {
        serve(&role);
        return;
    }
    let args: Vec<String> = std::env::args().collect();
    let option = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1));
    let seconds = option("--seconds").and_then(|s| s.parse().ok()).unwrap_or(10u64);
    // `--only <stack>` and `--handler <handler>` narrow the run (the uninstrumented row stays,
    // as the reference), e.g. to profile one service: its pid is printed on stderr.
    let (only, only_handler) = (option("--only"), option("--handler"));
    // The machine's speed drifts between runs (a shared VM): each round runs every stack once,
    // each row is compared with the uninstrumented run of its own round, and the table gives
    // medians over `--rounds` rounds.
    let rounds = option("--rounds").and_then(|r| r.parse().ok()).unwrap_or(3usize).max(1);
    println!(
        "| handler | stack | requests/s | vs uninstrumented | p50 | p99 | service CPU per request |"
    );
    println!("|---|---|---|---|---|---|---|");
    for handler in HANDLERS.into_iter().filter(|h| only_handler.is_none_or(|o| o == h)) {
        let stacks: Vec<&str> = STACKS
            .into_iter()
            .filter(|&stack| only.is_none_or(|o| o == stack) || stack == "uninstrumented")
            .collect();
        let mut rows: Vec<Vec<Measured>> = vec![Vec::new(); stacks.len()];
        for _ in 0..rounds {
            let mut bare = None;
            for (stack, row) in stacks.iter().zip(&mut rows) {
                let measured = measure(stack, handler, seconds);
                let base = *bare.get_or_insert(measured.rate);
                row.push(Measured { share: measured.rate / base, ..measured });
            }
        }
        for (stack, row) in stacks.iter().zip(&rows) {
            let median = |f: fn(&Measured) -> f64| {
                let mut values: Vec<f64> = row.iter().map(f).collect();
                values.sort_by(f64::total_cmp);
                values[values.len() / 2]
            };
            println!(
                "| {handler} | {stack} | {:.0} | {:.0}% | {:.0} µs | {:.0} µs | {:.1} µs |",
                median(|m| m.rate),
                100.0 * median(|m| m.share),
                median(|m| m.p50),
                median(|m| m.p99),
                median(|m| m.cpu),
            );
        }
    }
}

/// One run of one service.
#[derive(Clone, Copy)]
struct Measured {
    rate: f64,
    /// Of the uninstrumented run's rate in the same round.
    share: f64,
    p50: f64,
    p99: f64,
    /// The service's CPU time per request, in µs (NaN where `/proc` is not there).
    cpu: f64,
}

/// Runs the service `stack` with `handler` under load for `seconds`, after a second's warm-up.
fn measure(stack: &str, handler: &str, seconds: u64) -> Measured {
    let port = free_port();
    let mut child = spawn(stack, handler, port);
    eprintln!("{stack}: pid {}", child.id());
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    wait_ready(addr, &mut child);
    let _ = load(addr, Duration::from_secs(1)); // warm-up
    let cpu_before = cpu_seconds(child.id());
    let run = load(addr, Duration::from_secs(seconds));
    let cpu = cpu_seconds(child.id()).zip(cpu_before).map(|(after, before)| after - before);
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(service_dir(port));
    let micros = |d: Duration| d.as_secs_f64() * 1e6;
    Measured {
        rate: run.requests as f64 / run.elapsed.as_secs_f64(),
        share: 1.0,
        p50: micros(run.quantile(0.5)),
        p99: micros(run.quantile(0.99)),
        cpu: cpu.map_or(f64::NAN, |cpu| cpu * 1e6 / run.requests as f64),
    }
}

/// Where the service on `port` writes its trace file; removed when its run ends.
fn service_dir(port: u16) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("obs-service-bench-{port}"))
}

/// The CPU time a process has used, user and system, from `/proc` (Linux; `None` elsewhere).
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i)?.parse::<f64>().ok();
    // utime and stime, fields 14 and 15 of the line, in clock ticks (100 a second on Linux).
    Some((ticks(11)? + ticks(12)?) / 100.0)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or(0)
}

fn spawn(stack: &str, handler: &str, port: u16) -> Child {
    Command::new(std::env::current_exe().expect("the bench binary"))
        .env("OBS_SERVICE_BENCH", format!("{stack}|{handler}|{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the service")
}

fn wait_ready(addr: SocketAddr, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(Instant::now() < deadline, "the service did not start");
        assert!(child.try_wait().ok().flatten().is_none(), "the service exited");
        std::thread::sleep(Duration::from_millis(20));
    }
}

struct Run {
    requests: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Run {
    fn quantile(&self, q: f64) -> Duration {
        let i = ((self.latencies.len() as f64 - 1.0) * q).round() as usize;
        self.latencies.get(i).copied().unwrap_or_default()
    }
}

/// `CONNECTIONS` keep-alive connections, one thread each, sending `GET /` back to back for
/// `duration`.
fn load(addr: SocketAddr, duration: Duration) -> Run {
    let started = Instant::now();
    let deadline = started + duration;
    let threads: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            std::thread::spawn(move || {
                let mut stream = std::net::TcpStream::connect(addr).unwrap();
                stream.set_nodelay(true).unwrap();
                let mut latencies = Vec::new();
                let mut buffer = vec![0u8; 4096];
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    stream.write_all(b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n").unwrap();
                    read_response(&mut stream, &mut buffer);
                    latencies.push(sent.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for thread in threads {
        latencies.extend(thread.join().unwrap());
    }
    let elapsed = started.elapsed();
    latencies.sort();
    Run { requests: latencies.len(), elapsed, latencies }
}

/// Reads one HTTP/1.1 response with a `content-length` body.
fn read_response(stream: &mut std::net::TcpStream, buffer: &mut [u8]) {
    let mut filled = 0;
    loop {
        let n = stream.read(&mut buffer[filled..]).unwrap();
        assert!(n > 0, "the service closed the connection");
        filled += n;
        let text = &buffer[..filled];
        if let Some(head_end) = text.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = std::str::from_utf8(&text[..head_end]).unwrap().to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if filled >= head_end + 4 + length {
                return;
            }
        }
    }
}

// The service.

#[obs::observe]
fn price(items: u64) -> u64 {
    items * 1299
}

fn work(handler: &str) {
    if handler != "trivial" {
        let until = Instant::now() + Duration::from_micros(100);
        while Instant::now() < until {
            std::hint::spin_loop();
        }
    }
}

fn serve(role: &str) {
    let mut parts = role.split('|');
    let (stack, handler, port) = (
        parts.next().unwrap_or_default().to_owned(),
        parts.next().unwrap_or_default().to_owned(),
        parts.next().and_then(|p| p.parse::<u16>().ok()).unwrap_or(0),
    );
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async move {
        let dir = service_dir(port);
        let _ = std::fs::create_dir_all(&dir);
        let metrics = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let handler: &'static str = Box::leak(handler.into_boxed_str());
        let common = stack == "common stack";
        let route = axum::routing::get(move || async move {
            let started = Instant::now();
            tracing::info!(path = "/", "request received");
            let total = price(3);
            work(handler);
            tracing::info!(total, "priced");
            tracing::info!("answered");
            if common {
                // What the common stack records per request, by hand.
                metrics::histogram!("http_server_request_duration_seconds", "http_route" => "/")
                    .record(started.elapsed().as_secs_f64());
            }
            "ok"
        });
        let app = axum::Router::new().route("/", route);
        let _telemetry;
        let app = match stack.as_str() {
            "uninstrumented" => app,
            "obs" | "obs, logs at WARN" => {
                let builder = obs::TelemetryBuilder::new("bench")
                    .ignore_env()
                    .traces_file(Some(dir.join("traces.jsonl")))
                    .prometheus(Some(metrics));
                let builder = if stack == "obs" { builder } else { builder.log_filter("warn") };
                _telemetry = builder.init().unwrap();
                app.layer(obs::http::ServerLayer::new())
            }
            _ => {
                let handle = common_stack();
                app.route("/metrics", axum::routing::get(move || async move { handle.render() }))
                    .layer(tower_http::trace::TraceLayer::new_for_http())
            }
        };
        let listener =
            tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await.unwrap();
        axum::serve(listener, app).await.unwrap();
    });
}

/// What a service without obs commonly installs: JSON logs, a span per request with 10% of
/// traces exported, and a Prometheus recorder.
fn common_stack() -> metrics_exporter_prometheus::PrometheusHandle {
    use opentelemetry::trace::TracerProvider as _;
    use tracing_subscriber::layer::SubscriberExt;
    let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
        .with_sampler(opentelemetry_sdk::trace::Sampler::ParentBased(Box::new(
            opentelemetry_sdk::trace::Sampler::TraceIdRatioBased(0.1),
        )))
        .with_span_processor(opentelemetry_sdk::trace::BatchSpanProcessor::builder(Discard).build())
        .build();
    let tracer = provider.tracer("bench");
    std::mem::forget(provider);
    let subscriber = tracing_subscriber::registry()
        .with(tracing_subscriber::EnvFilter::new("info"))
        .with(tracing_subscriber::fmt::layer().json())
        .with(tracing_opentelemetry::layer().with_tracer(tracer));
    tracing::subscriber::set_global_default(subscriber).unwrap();
    metrics_exporter_prometheus::PrometheusBuilder::new().install_recorder().unwrap()
}
