//! Property over a matrix: personal data that a program hands to obs, through any **entry**
//! (a log message, a log field, a span field, an argument, an error, a return value, a panic,
//! an HTTP path, query or header, baggage, a metric label, a user or request id), reaches no
//! **sink** (stdout, the trace file, an OTLP receiver's traces and logs over HTTP and gRPC, the
//! `/metrics` endpoint, the headers of outgoing requests).
//!
//! The entries and the sinks are listed once, as data ([`ENTRIES`], [`SINKS`]): a new row or
//! column is one line. Each sink configuration runs in a child process (this binary, started
//! again), set up by `obs::init` and the standard environment variables as a service would be,
//! with real peers around it: oteltest's OTLP receivers, an HTTP server and client on
//! 127.0.0.1. The parent then reads every sink where its data lands (the child's stdout, the
//! receiver's file, the trace file, the scraped exposition, the headers a server received) and
//! names the entry, the sink and the value of any leak.
//!
//! Every case also carries a harmless marker: each entry must be seen arriving in each sink it
//! feeds, so that a sink that silently lost its data cannot pass for a clean one.
//!
//! `OBS_PII_MATRIX_SEED` replays a run; `OBS_PII_MATRIX_CASES` sets the cases per entry and
//! configuration (default: enough for 100,000 values in all).

#[path = "../common/mod.rs"]
mod common;

use aho_corasick::AhoCorasick;
use common::{OtlpSink, free_port, http_get};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::net::SocketAddr;
use std::process::{Command, ExitCode, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Where a sink's data comes from: an entry says which of these it feeds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Feeds {
    /// Log lines and OTLP log records.
    Logs,
    /// Exported spans (their attributes, events, status).
    Spans,
    /// The Prometheus exposition.
    Metrics,
    /// Headers sent to other services.
    Outgoing,
}

use Feeds::{Logs, Metrics, Outgoing, Spans};

/// How a child process exports traces and logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Setup {
    /// The embedded default: the trace file (no endpoint set).
    File,
    /// `OTEL_EXPORTER_OTLP_ENDPOINT` with `http/protobuf`.
    OtlpHttp,
    /// `OTEL_EXPORTER_OTLP_ENDPOINT` with `grpc` (the `grpc` feature).
    OtlpGrpc,
}

/// A column of the matrix.
struct Sink {
    name: &'static str,
    feeds: Feeds,
    /// The configurations in which this sink exists.
    setups: &'static [Setup],
}

const ALL: &[Setup] = &[Setup::File, Setup::OtlpHttp, Setup::OtlpGrpc];

/// The columns.
const SINKS: &[Sink] = &[
    Sink { name: "stdout (JSON log lines)", feeds: Logs, setups: ALL },
    Sink { name: "trace file", feeds: Spans, setups: &[Setup::File] },
    Sink { name: "OTLP/HTTP receiver: traces", feeds: Spans, setups: &[Setup::OtlpHttp] },
    Sink { name: "OTLP/HTTP receiver: logs", feeds: Logs, setups: &[Setup::OtlpHttp] },
    Sink { name: "OTLP/gRPC receiver: traces", feeds: Spans, setups: &[Setup::OtlpGrpc] },
    Sink { name: "OTLP/gRPC receiver: logs", feeds: Logs, setups: &[Setup::OtlpGrpc] },
    Sink { name: "/metrics", feeds: Metrics, setups: ALL },
    Sink { name: "outgoing request headers", feeds: Outgoing, setups: ALL },
];

/// A row of the matrix: how a program hands text to obs (`run`, in the child), and which sinks
/// must show its marker.
struct Entry {
    name: &'static str,
    feeds: &'static [Feeds],
    /// The text goes into a URL: values are written as they would appear in one (no spaces).
    in_url: bool,
    run: fn(&Child, &str),
}

/// The rows.
const ENTRIES: &[Entry] = &[
    Entry { name: "log message", feeds: &[Logs, Spans], in_url: false, run: entries::log_message },
    Entry { name: "log field %", feeds: &[Logs, Spans], in_url: false, run: entries::log_display },
    Entry { name: "log field ?", feeds: &[Logs, Spans], in_url: false, run: entries::log_debug },
    Entry { name: "log field str", feeds: &[Logs, Spans], in_url: false, run: entries::log_str },
    Entry { name: "span field", feeds: &[Spans], in_url: false, run: entries::span_field },
    Entry { name: "argument", feeds: &[Spans], in_url: false, run: entries::argument },
    Entry { name: "error (err)", feeds: &[Logs, Spans], in_url: false, run: entries::error },
    Entry { name: "return value (ret)", feeds: &[Logs, Spans], in_url: false, run: entries::ret },
    Entry { name: "panic message", feeds: &[Logs, Spans], in_url: false, run: entries::panic },
    Entry { name: "Redact struct", feeds: &[Spans], in_url: false, run: entries::redacted },
    Entry { name: "Secret argument", feeds: &[Spans], in_url: false, run: entries::secret },
    Entry { name: "HTTP path", feeds: &[Spans], in_url: true, run: entries::http_path },
    Entry { name: "HTTP query", feeds: &[Spans], in_url: true, run: entries::http_query },
    Entry { name: "HTTP header", feeds: &[Spans], in_url: false, run: entries::http_header },
    Entry { name: "baggage", feeds: &[Outgoing], in_url: false, run: entries::baggage },
    Entry { name: "metric label", feeds: &[Metrics], in_url: false, run: entries::metric_label },
    // Refused: nothing of these may land anywhere.
    Entry { name: "user id", feeds: &[], in_url: false, run: entries::user_id },
    Entry { name: "request id", feeds: &[], in_url: false, run: entries::request_id },
];

/// One generated value, sent through one entry in one configuration.
struct Case {
    entry: usize,
    kind: &'static str,
    value: String,
    /// Strings that must not appear in any sink (the value, and forms of it).
    forms: Vec<String>,
}

impl Case {
    fn marker(id: usize) -> String {
        format!("mk{id:07}x")
    }

    /// What the entry hands to obs: the marker and the value.
    fn text(id: usize, value: &str) -> String {
        format!("{} {value}", Self::marker(id))
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("child") {
        return child::main(&args[2..]);
    }
    // `cargo test` passes harness flags (`--nocapture`, filters): a filter that does not name
    // this test skips it, as libtest would.
    if let Some(filter) = args.iter().skip(1).find(|a| !a.starts_with('-'))
        && !"no_personal_data_reaches_any_sink".contains(filter.as_str())
    {
        return ExitCode::SUCCESS;
    }
    no_personal_data_reaches_any_sink();
    println!("test no_personal_data_reaches_any_sink ... ok");
    ExitCode::SUCCESS
}

fn setups() -> Vec<Setup> {
    let mut setups = vec![Setup::File, Setup::OtlpHttp];
    if cfg!(feature = "grpc") {
        setups.push(Setup::OtlpGrpc);
    }
    setups
}

fn no_personal_data_reaches_any_sink() {
    let seed = std::env::var("OBS_PII_MATRIX_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| fastrand::u64(..));
    let setups = setups();
    let per_entry = std::env::var("OBS_PII_MATRIX_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000usize.div_ceil(ENTRIES.len() * setups.len()));
    println!(
        "pii matrix: seed {seed} (OBS_PII_MATRIX_SEED), {per_entry} cases per entry and setup"
    );
    let mut rng = fastrand::Rng::with_seed(seed);
    let started = Instant::now();
    let runs: Vec<(Setup, Vec<Case>)> = setups
        .into_iter()
        .map(|setup| {
            let cases = (0..ENTRIES.len() * per_entry)
                .map(|i| {
                    let entry = i % ENTRIES.len();
                    let (kind, value, forms) = values::generate(&mut rng, ENTRIES[entry].in_url);
                    Case { entry, kind, value, forms }
                })
                .collect();
            (setup, cases)
        })
        .collect();
    let total: usize = runs.iter().map(|(_, cases)| cases.len()).sum();
    // The configurations run side by side: each child waits on its peers part of the time.
    let failures: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = runs
            .iter()
            .map(|(setup, cases)| scope.spawn(move || run_setup(*setup, cases)))
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    println!("pii matrix: {total} values in {:.1?}", started.elapsed());
    assert!(total >= 100_000 || std::env::var("OBS_PII_MATRIX_CASES").is_ok(), "{total} values");
    assert!(failures.is_empty(), "seed {seed}:\n{}", failures.join("\n"));
}

/// Runs one child with `setup` over `cases`; the leaks and missing markers it finds.
fn run_setup(setup: Setup, cases: &[Case]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("cases.tsv");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&input).unwrap());
    for (id, case) in cases.iter().enumerate() {
        writeln!(file, "{id}\t{}\t{}", case.entry, case.value).unwrap();
    }
    drop(file);

    let receiver_out = dir.path().join("receiver.jsonl");
    let receiver = match setup {
        Setup::File => None,
        Setup::OtlpHttp => Some(OtlpSink::start(free_port(), &receiver_out)),
        Setup::OtlpGrpc => Some(OtlpSink::start_grpc(free_port(), &receiver_out)),
    };
    let traces = dir.path().join("traces.jsonl");
    let metrics = dir.path().join("metrics.txt");
    let outgoing = dir.path().join("outgoing.txt");
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .arg("child")
        .arg(&input)
        .arg(&metrics)
        .arg(&outgoing)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("OTEL_TRACES_SAMPLER", "always_on")
        .env("OBS_METRICS_ADDR", format!("127.0.0.1:{}", free_port()))
        .env("OBS_TRACES_FILE", &traces)
        .env("RUST_LOG", "info")
        .stdin(Stdio::null());
    if let Some(receiver) = &receiver {
        command.env("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint());
        let protocol = if setup == Setup::OtlpGrpc { "grpc" } else { "http/protobuf" };
        command.env("OTEL_EXPORTER_OTLP_PROTOCOL", protocol);
    }
    let started = Instant::now();
    let output = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "the {setup:?} child failed: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
            .lines()
            .rev()
            .take(30)
            .collect::<Vec<_>>()
            .join("\n")
    );
    println!("pii matrix: {setup:?}: {} cases in {:.1?}", cases.len(), started.elapsed());

    let mut texts: BTreeMap<&'static str, String> = BTreeMap::new();
    texts.insert("stdout (JSON log lines)", stdout);
    texts.insert("/metrics", std::fs::read_to_string(&metrics).unwrap_or_default());
    texts
        .insert("outgoing request headers", std::fs::read_to_string(&outgoing).unwrap_or_default());
    match &receiver {
        None => {
            texts.insert("trace file", std::fs::read_to_string(&traces).unwrap_or_default());
        }
        Some(receiver) => {
            let (traces, logs) = if setup == Setup::OtlpGrpc {
                ("OTLP/gRPC receiver: traces", "OTLP/gRPC receiver: logs")
            } else {
                ("OTLP/HTTP receiver: traces", "OTLP/HTTP receiver: logs")
            };
            let mut signals: BTreeMap<String, String> = BTreeMap::new();
            for (signal, request) in receiver.requests() {
                let text = signals.entry(signal).or_default();
                text.push_str(&request.to_string());
                text.push('\n');
            }
            texts.insert(traces, signals.remove("traces").unwrap_or_default());
            texts.insert(logs, signals.remove("logs").unwrap_or_default());
        }
    }
    let checking = Instant::now();
    let failures = check(setup, cases, &texts);
    println!("pii matrix: {setup:?}: checked in {:.1?}", checking.elapsed());
    failures
}

/// Every leak (a form of a value found in a sink) and every marker missing from a sink its
/// entry feeds.
fn check(setup: Setup, cases: &[Case], texts: &BTreeMap<&'static str, String>) -> Vec<String> {
    let mut patterns = Vec::new();
    let mut owner = Vec::new();
    for (id, case) in cases.iter().enumerate() {
        for form in &case.forms {
            patterns.push(form.as_str());
            owner.push(id);
        }
    }
    let secrets = AhoCorasick::new(&patterns).unwrap();
    let markers = AhoCorasick::new((0..cases.len()).map(Case::marker)).unwrap();
    let mut failures = Vec::new();
    for sink in SINKS.iter().filter(|s| s.setups.contains(&setup)) {
        let text = &texts[sink.name];
        let mut leaked = BTreeSet::new();
        for found in secrets.find_overlapping_iter(text.as_str()) {
            let id = owner[found.pattern().as_usize()];
            if leaked.insert(id) {
                let case = &cases[id];
                let context = around(text, found.start(), found.end());
                failures.push(format!(
                    "LEAK: {} ({}) {:?} through \"{}\" reached \"{}\" ({setup:?}): …{context}…",
                    case.kind,
                    patterns[found.pattern().as_usize()],
                    case.value,
                    ENTRIES[case.entry].name,
                    sink.name
                ));
            }
        }
        let seen: BTreeSet<usize> =
            markers.find_iter(text.as_str()).map(|m| m.pattern().as_usize()).collect();
        for (e, entry) in ENTRIES.iter().enumerate() {
            let expected = entry.feeds.contains(&sink.feeds);
            let ids: Vec<usize> = (0..cases.len()).filter(|&i| cases[i].entry == e).collect();
            let arrived = ids.iter().filter(|i| seen.contains(i)).count();
            if expected && arrived < ids.len() {
                failures.push(format!(
                    "MISSING: {} of {} cases of \"{}\" did not reach \"{}\" ({setup:?}), e.g. {}",
                    ids.len() - arrived,
                    ids.len(),
                    entry.name,
                    sink.name,
                    Case::marker(*ids.iter().find(|i| !seen.contains(i)).unwrap())
                ));
            }
            if !expected && arrived > 0 {
                failures.push(format!(
                    "UNEXPECTED: {arrived} cases of \"{}\" reached \"{}\" ({setup:?}): the matrix says it does not feed it",
                    entry.name, sink.name
                ));
            }
        }
    }
    failures
}

/// The text around `start..end`, for a failure message.
fn around(text: &str, start: usize, end: usize) -> &str {
    let mut from = start.saturating_sub(80);
    while !text.is_char_boundary(from) {
        from -= 1;
    }
    let mut to = (end + 40).min(text.len());
    while !text.is_char_boundary(to) {
        to += 1;
    }
    &text[from..to]
}

/// Generated personal data, and the forms of it that must not appear.
mod values {
    /// `(kind, value, forms)`. In a URL, separators are dashes (a space would be
    /// percent-encoded, which the scrubber does not decode), and bearer tokens, which are
    /// recognised by their `Bearer ` prefix only, are not generated.
    pub fn generate(rng: &mut fastrand::Rng, in_url: bool) -> (&'static str, String, Vec<String>) {
        let kinds: &[&str] = if in_url {
            &["email", "card", "ssn", "jwt", "password", "iban", "phone"]
        } else {
            &["email", "card", "ssn", "jwt", "password", "iban", "phone", "bearer"]
        };
        let kind = kinds[rng.usize(..kinds.len())];
        let sep = if in_url { "-" } else { " " };
        let (value, mut forms) = match kind {
            "email" => {
                let local = format!("{}.{}", word(rng, 6..11), word(rng, 2..7));
                let email = format!(
                    "{local}@{}.{}",
                    word(rng, 3..10),
                    ["com", "org", "io"][rng.usize(..3)]
                );
                (email.clone(), vec![email, local])
            }
            "card" => {
                let digits = card(rng);
                let value = if rng.bool() && digits.len() == 16 {
                    digits
                        .as_bytes()
                        .chunks(4)
                        .map(|c| String::from_utf8_lossy(c).into_owned())
                        .collect::<Vec<_>>()
                        .join(sep)
                } else {
                    digits.clone()
                };
                (value.clone(), vec![value, digits])
            }
            "ssn" => {
                let area = loop {
                    let a = rng.u32(1..900);
                    if a != 666 {
                        break a;
                    }
                };
                let v = format!("{area:03}-{:02}-{:04}", rng.u32(1..100), rng.u32(1..10_000));
                (v.clone(), vec![v])
            }
            "jwt" => {
                let v = format!(
                    "eyJ{}.eyJ{}.{}",
                    alnum(rng, 10..21),
                    alnum(rng, 10..31),
                    alnum(rng, 10..31)
                );
                (v.clone(), vec![v])
            }
            "password" => {
                let secret = format!("Pw{}", alnum(rng, 8..15));
                (format!("password={secret}"), vec![secret])
            }
            "iban" => {
                let v = iban(rng);
                (v.clone(), vec![v])
            }
            "phone" => {
                let v = format!(
                    "+{}{sep}{}{sep}{}{sep}{}",
                    rng.u32(1..99),
                    rng.u32(100..999),
                    rng.u32(100..999),
                    rng.u32(1000..9999)
                );
                (v.clone(), vec![v])
            }
            "bearer" => {
                let token = format!("Tk{}", alnum(rng, 18..29));
                (format!("Bearer {token}"), vec![token])
            }
            _ => unreachable!(),
        };
        forms.dedup();
        (kind, value, forms)
    }

    fn word(rng: &mut fastrand::Rng, len: std::ops::Range<usize>) -> String {
        (0..rng.usize(len)).map(|_| rng.lowercase()).collect()
    }

    fn alnum(rng: &mut fastrand::Rng, len: std::ops::Range<usize>) -> String {
        (0..rng.usize(len)).map(|_| rng.alphanumeric()).collect()
    }

    /// A card number with an issuer's prefix and a valid Luhn digit.
    fn card(rng: &mut fastrand::Rng) -> String {
        let prefix = ["4", "51", "55", "37", "6011"][rng.usize(..5)];
        let len = if prefix == "37" { 15 } else { 16 };
        let mut digits: Vec<u32> = prefix.chars().filter_map(|c| c.to_digit(10)).collect();
        while digits.len() < len - 1 {
            digits.push(rng.u32(0..10));
        }
        digits.push(super::common::luhn_check_digit(&digits));
        digits.iter().filter_map(|d| char::from_digit(*d, 10)).collect()
    }

    /// A German IBAN with valid check digits.
    fn iban(rng: &mut fastrand::Rng) -> String {
        let bban: String = (0..18).map(|_| char::from(b'0' + rng.u8(0..10))).collect();
        let digits = format!("{bban}131400");
        let remainder = digits.bytes().fold(0u64, |r, b| (r * 10 + u64::from(b - b'0')) % 97);
        format!("DE{:02}{bban}", 98 - remainder)
    }
}

/// What the child has to work with.
struct Child {
    runtime: tokio::runtime::Runtime,
    client: obs::http::Client,
    base: String,
}

/// The child: a service set up by `obs::init` from the environment, with an HTTP server of its
/// own, that runs every case through its entry.
mod child {
    use super::*;

    pub fn main(args: &[String]) -> ExitCode {
        let [input, metrics_out, outgoing_out] = args else {
            eprintln!("usage: pii_matrix child CASES METRICS_OUT OUTGOING_OUT");
            return ExitCode::from(2);
        };
        let telemetry = obs::init("pii-matrix").expect("obs::init from the environment");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let received = Arc::new(Mutex::new(String::new()));
        let base = runtime.block_on(serve(received.clone()));
        let child =
            Child { runtime, client: obs::http::client(obs::http::reqwest::Client::new()), base };
        let cases = std::fs::read_to_string(input).unwrap();
        for (n, line) in cases.lines().enumerate() {
            let mut fields = line.splitn(3, '\t');
            let id: usize = fields.next().unwrap().parse().unwrap();
            let entry: usize = fields.next().unwrap().parse().unwrap();
            let value = fields.next().unwrap();
            (ENTRIES[entry].run)(&child, &Case::text(id, value));
            // The queues are bounded (they drop rather than block): flush before they fill.
            if n % 128 == 127 {
                assert!(telemetry.flush(), "flushed");
            }
        }
        assert!(telemetry.flush(), "flushed");
        let metrics: SocketAddr = std::env::var("OBS_METRICS_ADDR").unwrap().parse().unwrap();
        std::fs::write(metrics_out, http_get(metrics, "/metrics")).unwrap();
        std::fs::write(outgoing_out, received.lock().unwrap().as_bytes()).unwrap();
        let stats = telemetry.stats();
        telemetry.shutdown().expect("shutdown");
        assert_eq!(
            stats.spans_queue_full + stats.spans_export_failed,
            0,
            "no span lost: {stats:?}"
        );
        ExitCode::SUCCESS
    }

    /// `/echo/…` and `/echo` answer; `/peer` records the headers it received (raw, and
    /// percent-decoded as a receiver of baggage would read them).
    async fn serve(received: Arc<Mutex<String>>) -> String {
        use axum::routing::get;
        let peer = move |headers: axum::http::HeaderMap| {
            let received = received.clone();
            async move {
                let mut text = received.lock().unwrap();
                for (name, value) in &headers {
                    let value = String::from_utf8_lossy(value.as_bytes());
                    text.push_str(&format!("{name}: {value} | {}\n", percent_decode(&value)));
                }
                "ok"
            }
        };
        let app = axum::Router::new()
            .route("/echo", get(|| async { "ok" }))
            .route("/echo/{*rest}", get(|| async { "ok" }))
            .route("/peer", get(peer))
            .layer(obs::http::ServerLayer::new());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}")
    }

    fn percent_decode(text: &str) -> String {
        let bytes = text.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            match (
                bytes[i],
                bytes.get(i + 1).and_then(|&b| hex(b)),
                bytes.get(i + 2).and_then(|&b| hex(b)),
            ) {
                (b'%', Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                }
                (b, _, _) => {
                    out.push(b);
                    i += 1;
                }
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }
}

/// How each entry hands its text to obs, as a program would.
mod entries {
    use super::Child;
    use obs::{Redact, Secret};

    #[obs::observe(skip_all)]
    pub fn log_message(_: &Child, text: &str) {
        tracing::info!("note {text}");
    }

    #[obs::observe(skip_all)]
    pub fn log_display(_: &Child, text: &str) {
        tracing::info!(note = %text, "a field by Display");
    }

    #[obs::observe(skip_all)]
    pub fn log_debug(_: &Child, text: &str) {
        tracing::info!(note = ?text, "a field by Debug");
    }

    #[obs::observe(skip_all)]
    pub fn log_str(_: &Child, text: &str) {
        tracing::info!(note = text, "a string field");
    }

    #[obs::observe(skip_all, fields(note = %text))]
    pub fn span_field(_: &Child, text: &str) {}

    pub fn argument(_: &Child, text: &str) {
        with_argument(text);
    }

    #[obs::observe]
    fn with_argument(note: &str) -> usize {
        note.len()
    }

    #[derive(Debug)]
    pub struct Failure(String);

    impl std::fmt::Display for Failure {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "could not charge: {}", self.0)
        }
    }

    pub fn error(_: &Child, text: &str) {
        let _ = fails(text);
    }

    #[obs::observe(skip_all, err)]
    fn fails(text: &str) -> Result<(), Failure> {
        Err(Failure(text.to_owned()))
    }

    pub fn ret(_: &Child, text: &str) {
        let _ = returns(text);
    }

    #[obs::observe(skip_all, ret)]
    fn returns(text: &str) -> String {
        text.to_owned()
    }

    pub fn panic(_: &Child, text: &str) {
        let _ = std::panic::catch_unwind(|| panics(text));
    }

    #[obs::observe(skip_all)]
    fn panics(text: &str) {
        panic!("{text}");
    }

    #[derive(Redact)]
    pub struct Customer {
        note: String,
        #[redact(partial)]
        email: String,
        #[redact]
        card_number: String,
    }

    pub fn redacted(_: &Child, text: &str) {
        let (marker, value) = text.split_once(' ').unwrap_or((text, ""));
        let customer = Customer {
            note: marker.to_owned(),
            email: value.to_owned(),
            card_number: value.to_owned(),
        };
        with_customer(&customer);
    }

    #[obs::observe]
    fn with_customer(customer: &Customer) {
        let _ = (&customer.note, &customer.email, &customer.card_number);
    }

    pub fn secret(_: &Child, text: &str) {
        let (marker, value) = text.split_once(' ').unwrap_or((text, ""));
        with_secret(marker, Secret::new(value.to_owned()));
    }

    #[obs::observe]
    fn with_secret(note: &str, key: Secret<String>) {
        let _ = (note, key.expose());
    }

    fn get(child: &Child, url: String, header: Option<(&str, &str)>) {
        child.runtime.block_on(async {
            let mut request = child.client.get(url);
            if let Some((name, value)) = header {
                request = request.header(name, value);
            }
            let response = request.send().await.expect("the server answers");
            assert!(response.status().is_success(), "{}", response.status());
        });
    }

    /// The marker and the value as two path segments.
    pub fn http_path(child: &Child, text: &str) {
        get(child, format!("{}/echo/{}", child.base, text.replacen(' ', "/", 1)), None);
    }

    /// The marker and the value as two query parameters.
    pub fn http_query(child: &Child, text: &str) {
        let (marker, value) = text.split_once(' ').unwrap_or((text, ""));
        get(child, format!("{}/echo?case={marker}&note={value}", child.base), None);
    }

    pub fn http_header(child: &Child, text: &str) {
        get(child, format!("{}/echo", child.base), Some(("user-agent", text)));
    }

    pub fn baggage(child: &Child, text: &str) {
        call_peer(child, || obs::context::set_baggage("note", text).expect("a token key"));
    }

    /// Calls `/peer` from inside an observed function, after `before`.
    fn call_peer(child: &Child, before: impl FnOnce()) {
        #[obs::observe(skip_all)]
        fn request(child: &Child, before: impl FnOnce()) {
            before();
            super::entries::get(child, format!("{}/peer", child.base), None);
        }
        request(child, before);
    }

    pub fn metric_label(_: &Child, text: &str) {
        metrics::counter!("pii_matrix_notes_total", "note" => text.to_owned()).increment(1);
    }

    pub fn user_id(child: &Child, text: &str) {
        call_peer(child, || {
            assert!(obs::context::set_user_id(text).is_err(), "refused: {text}");
            tracing::info!("after the user id");
        });
    }

    pub fn request_id(child: &Child, text: &str) {
        call_peer(child, || {
            assert!(obs::context::set_request_id(text).is_err(), "refused: {text}");
            tracing::info!("after the request id");
        });
    }
}
