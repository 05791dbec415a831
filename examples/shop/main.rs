//! **shop**: a small system instrumented with obs that answers "why is it slow?" and "why did
//! it fail?" from its own telemetry, with nothing else installed.
//!
//! Three services over real HTTP on 127.0.0.1, each its own process with its own
//! `service.name`: a storefront → an orders API → a database service (SQLite). The run drives
//! load for a few seconds, with a share of slow requests (an order-history query that scans a
//! large series) and of failures (an order write that hits a storage error), then reads back
//! the trace file, the services' `/metrics` and their JSON logs, and prints the golden signals,
//! the slowest trace, a failed trace with its logs, and the alerts that would fire.
//!
//! ```text
//! cargo run --example shop                      # a short run (8 s of load)
//! cargo run --example shop -- --duration 30     # longer
//! cargo run --example shop -- alerts <file|->   # the alert rules of its operations
//! cargo run --example shop -- dashboard <file|-># its Grafana dashboard
//! ```
//!
//! With `OTEL_EXPORTER_OTLP_ENDPOINT` set, the services export to that collector instead (the
//! development stack: `docker compose up`), and the report says where to look.

mod api;
mod db;
mod exposition;
mod frontend;
mod load;
mod report;

use obs::Redact;
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

/// A customer, as the database stores it. Its `Debug` (what logs and spans see) is redacted.
#[derive(Clone, Redact, Serialize, Deserialize)]
pub struct Customer {
    pub id: i64,
    #[redact(partial)]
    pub email: String,
    #[redact(partial)]
    pub card_number: String,
}

/// An order with its customer.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Order {
    pub id: i64,
    pub items: i64,
    pub total_cents: i64,
    pub customer: Customer,
}

/// A new order.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OrderRequest {
    pub order_id: i64,
    pub customer_id: i64,
    pub items: i64,
}

/// The demo's customers: personal data that must never reach telemetry.
pub fn customer_email(id: i64) -> String {
    format!("jane.doe{id}@example.com")
}

/// A card number that passes the Luhn check.
pub fn customer_card(id: i64) -> String {
    let mut digits: Vec<u32> =
        format!("424242424{id:06}").chars().filter_map(|c| c.to_digit(10)).collect();
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| if i % 2 == 0 { if d * 2 > 9 { d * 2 - 9 } else { d * 2 } } else { d })
        .sum();
    digits.push((10 - sum % 10) % 10);
    let text: String = digits.iter().filter_map(|d| char::from_digit(*d, 10)).collect();
    text.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Another service, called through obs's instrumented client.
#[derive(Clone)]
pub struct Upstream {
    base: String,
    client: obs::http::Client,
}

impl Upstream {
    fn new(base: String) -> Self {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("an HTTP client");
        Upstream { base, client: obs::http::client(client) }
    }

    pub async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
    ) -> Result<T, (axum::http::StatusCode, String)> {
        Self::read(self.client.get(format!("{}{path}", self.base)).send().await).await
    }

    pub async fn post_json<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, (axum::http::StatusCode, String)> {
        let body = serde_json::to_vec(body)
            .map_err(|e| (axum::http::StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
        let request = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(body);
        Self::read(request.send().await).await
    }

    async fn read<T: DeserializeOwned>(
        response: Result<reqwest::Response, reqwest_middleware::Error>,
    ) -> Result<T, (axum::http::StatusCode, String)> {
        let bad_gateway = axum::http::StatusCode::BAD_GATEWAY;
        let response = response.map_err(|e| (bad_gateway, format!("unreachable: {e}")))?;
        let status =
            axum::http::StatusCode::from_u16(response.status().as_u16()).unwrap_or(bad_gateway);
        let body = response.bytes().await.map_err(|e| (bad_gateway, e.to_string()))?;
        if !status.is_success() {
            return Err((status, String::from_utf8_lossy(&body).into_owned()));
        }
        serde_json::from_slice(&body).map_err(|e| (bad_gateway, format!("unreadable answer: {e}")))
    }
}

/// The three services.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Role {
    Db,
    Api,
    Frontend,
}

impl Role {
    const ALL: [Role; 3] = [Role::Db, Role::Api, Role::Frontend];

    fn name(self) -> &'static str {
        match self {
            Role::Db => "db",
            Role::Api => "api",
            Role::Frontend => "frontend",
        }
    }

    fn service(self) -> &'static str {
        match self {
            Role::Db => "shop-db",
            Role::Api => "shop-api",
            Role::Frontend => "shop-frontend",
        }
    }

    fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.name() == name)
    }
}

const USAGE: &str = "usage: shop [--duration <seconds>] [--out <dir>] [--metrics-base-port <port>] [--report-json <file>]
       shop alerts <file|->
       shop dashboard <file|->";

fn main() -> ExitCode {
    match run(pico_args::Arguments::from_env()) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("shop: {message}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn run(mut args: pico_args::Arguments) -> Result<ExitCode, String> {
    let bad = |e: pico_args::Error| e.to_string();
    if args.contains(["-h", "--help"]) {
        println!("{USAGE}");
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(role) = args.opt_value_from_str::<_, String>("--role").map_err(bad)? {
        let role = Role::parse(&role).ok_or_else(|| format!("unknown role {role}"))?;
        let port: u16 = args.value_from_str("--port").map_err(bad)?;
        let metrics_port: u16 = args.value_from_str("--metrics-port").map_err(bad)?;
        let traces: PathBuf = args.value_from_str("--traces").map_err(bad)?;
        let upstream: Option<String> = args.opt_value_from_str("--upstream").map_err(bad)?;
        return Ok(serve(role, port, metrics_port, &traces, upstream));
    }
    match args.subcommand().map_err(bad)?.as_deref() {
        Some("alerts") => {
            let target: String = args.free_from_str().map_err(bad)?;
            let rules = obs::alerts::rules(
                obs::golden::operations(),
                &obs::alerts::AlertOptions::default(),
            )
            .map_err(|e| e.to_string())?;
            return write_out(&target, &rules.to_yaml());
        }
        Some("dashboard") => {
            let target: String = args.free_from_str().map_err(bad)?;
            let dashboard = obs::dashboards::golden_signals("shop", obs::golden::operations());
            return write_out(
                &target,
                &format!("{}\n", serde_json::to_string_pretty(&dashboard).unwrap_or_default()),
            );
        }
        Some(other) => return Err(format!("unknown command {other}")),
        None => {}
    }
    let options = report::Options {
        duration: Duration::from_secs(
            args.opt_value_from_str("--duration").map_err(bad)?.unwrap_or(8),
        ),
        out: args.opt_value_from_str("--out").map_err(bad)?,
        metrics_base_port: args.opt_value_from_str("--metrics-base-port").map_err(bad)?,
        report_json: args.opt_value_from_str("--report-json").map_err(bad)?,
    };
    let rest = args.finish();
    if !rest.is_empty() {
        return Err(format!("unexpected {rest:?}"));
    }
    Ok(demo(options))
}

fn write_out(target: &str, text: &str) -> Result<ExitCode, String> {
    if target == "-" {
        print!("{text}");
    } else {
        std::fs::write(target, text).map_err(|e| format!("cannot write {target}: {e}"))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// One service process: obs's runtime, the role's routes behind obs's server layer.
fn serve(
    role: Role,
    port: u16,
    metrics_port: u16,
    traces: &Path,
    upstream: Option<String>,
) -> ExitCode {
    let service = role.service();
    let telemetry = obs::TelemetryBuilder::new(service)
        .version(env!("CARGO_PKG_VERSION"))
        .environment("demo")
        .traces_file(Some(traces))
        .prometheus(Some(SocketAddr::from(([127, 0, 0, 1], metrics_port))))
        .keep_traces_slower_than(Duration::from_millis(250))
        .init();
    let telemetry = match telemetry {
        Ok(telemetry) => telemetry,
        Err(error) => {
            eprintln!("{service}: {error}");
            return ExitCode::FAILURE;
        }
    };
    let upstream = upstream.map(Upstream::new);
    let routes = match (role, upstream) {
        // The database holds the customers' personal data: not beside the telemetry files.
        (Role::Db, _) => {
            db::router(std::env::temp_dir().join(format!("obs-shop-{}.sqlite", std::process::id())))
        }
        (Role::Api, Some(db)) => api::router(db),
        (Role::Frontend, Some(api)) => frontend::router(api),
        (_, None) => {
            eprintln!("{service}: --upstream is required");
            return ExitCode::FAILURE;
        }
    };
    let runtime =
        match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
            Ok(runtime) => runtime,
            Err(error) => {
                eprintln!("{service}: cannot start a runtime: {error}");
                return ExitCode::FAILURE;
            }
        };
    let served = runtime.block_on(async move {
        let listener =
            tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let stop = std::sync::Arc::new(std::sync::Mutex::new(Some(stop)));
        let app = routes.layer(obs::http::ServerLayer::new()).route(
            "/shutdown",
            axum::routing::post(move || {
                if let Some(stop) = stop.lock().ok().and_then(|mut s| s.take()) {
                    let _ = stop.send(());
                }
                async { "bye" }
            }),
        );
        tracing::info!(%service, port, "serving");
        axum::serve(listener, app)
            .with_graceful_shutdown(async move { stopped.await.unwrap_or(()) })
            .await
    });
    if let Err(error) = served {
        tracing::error!(%error, "server stopped");
    }
    if let Err(error) = telemetry.shutdown() {
        eprintln!("{service}: {error}");
    }
    ExitCode::SUCCESS
}

/// A started service process.
pub struct Service {
    pub role: &'static str,
    pub service: &'static str,
    pub addr: SocketAddr,
    pub metrics: SocketAddr,
    pub log: PathBuf,
    child: Child,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or(0)
}

fn start_services(
    out: &Path,
    traces: &Path,
    metrics_base_port: Option<u16>,
) -> Result<Vec<Service>, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut services: Vec<Service> = Vec::new();
    for (i, role) in Role::ALL.into_iter().enumerate() {
        let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let metrics_port = metrics_base_port.map_or_else(free_port, |base| base + i as u16);
        let metrics = SocketAddr::from(([127, 0, 0, 1], metrics_port));
        let log = out.join(format!("{}.log", role.service()));
        let stdout = std::fs::File::create(&log).map_err(|e| e.to_string())?;
        let stderr = std::fs::File::create(out.join(format!("{}.stderr", role.service())))
            .map_err(|e| e.to_string())?;
        let mut command = Command::new(&exe);
        command
            .args([
                "--role",
                role.name(),
                "--port",
                &addr.port().to_string(),
                "--metrics-port",
                &metrics_port.to_string(),
            ])
            .arg("--traces")
            .arg(traces)
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr);
        if let Some(upstream) = services.last() {
            command.args(["--upstream", &format!("http://{}", upstream.addr)]);
        }
        let child = command.spawn().map_err(|e| format!("cannot start {}: {e}", role.service()))?;
        services.push(Service {
            role: role.name(),
            service: role.service(),
            addr,
            metrics,
            log,
            child,
        });
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    for i in 0..services.len() {
        while TcpStream::connect(services[i].addr).is_err() {
            let exited = services[i].child.try_wait().ok().flatten().is_some();
            if exited || Instant::now() > deadline {
                let errors =
                    std::fs::read_to_string(out.join(format!("{}.stderr", services[i].service)))
                        .unwrap_or_default();
                let message = format!("{} did not start: {}", services[i].service, errors.trim());
                stop_services(services);
                return Err(message);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    Ok(services)
}

/// Asks every service to stop (they flush their telemetry), and waits for them.
fn stop_services(services: Vec<Service>) {
    let client = reqwest::blocking::Client::new();
    for service in &services {
        let _ = client
            .post(format!("http://{}/shutdown", service.addr))
            .timeout(Duration::from_secs(5))
            .send();
    }
    for mut service in services {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            match service.child.try_wait() {
                Ok(Some(_)) | Err(_) => break,
                Ok(None) if Instant::now() > deadline => {
                    eprintln!("shop: {} did not stop in time; killing it", service.service);
                    let _ = service.child.kill();
                    let _ = service.child.wait();
                    break;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }
}

fn demo(options: report::Options) -> ExitCode {
    let out = options
        .out
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join(format!("obs-shop-{}", std::process::id())));
    if let Err(error) = std::fs::create_dir_all(&out) {
        eprintln!("shop: cannot create {}: {error}", out.display());
        return ExitCode::FAILURE;
    }
    let traces = out.join("traces.jsonl");
    let _ = std::fs::remove_file(&traces);
    let services = match start_services(&out, &traces, options.metrics_base_port) {
        Ok(services) => services,
        Err(error) => {
            eprintln!("shop: {error}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "shop: storefront on http://{}, orders API on http://{}, database on http://{}",
        services[2].addr, services[1].addr, services[0].addr
    );
    println!("shop: telemetry in {}\n", out.display());
    let load = load::run(services[2].addr, options.duration);
    let scraped = report::scrape(&services);
    stop_services(services);
    let code = report::print(&options, &out, &traces, &load, &scraped);
    println!(
        "\nsee any trace again: cargo run --features tools --bin obs -- trace --file {} --slowest\nand why: cargo run --features tools --bin obs -- why --slow --file {0}",
        traces.display()
    );
    code
}
