//! W3C Trace Context Level 2 and Baggage at the boundary: an axum service with obs's server
//! layer and client on 127.0.0.1, requests with the headers a peer may send, and
//! OpenTelemetry's Python SDK as a foreign client and server. Then properties of the parsers
//! themselves, over generated headers (1,200,000 cases in all, well under a minute).
//!
//! The sampler is parent-based with a ratio of 0: a trace obs starts is not sampled (so the
//! sampled flag shows obs's decision), a sampled parent's trace is.

#[path = "../common/mod.rs"]
mod common;

use axum::Router;
use axum::extract::{Path, Query};
use axum::http::HeaderMap;
use axum::routing::get;
use common::{Lines, free_port, wait_until};
use obs::propagation::baggage::Baggage;
use obs::propagation::traceparent::TraceParent;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

struct Env {
    lines: Lines,
    server: SocketAddr,
    runtime: tokio::runtime::Runtime,
    _telemetry: obs::Telemetry,
}

/// The headers the handler would send downstream, as obs's client sends them.
async fn inspect() -> axum::Json<Value> {
    let mut headers = HeaderMap::new();
    obs::http::inject(&mut headers);
    let header = |name: &str| headers.get(name).map(|v| v.to_str().unwrap().to_owned());
    axum::Json(json!({
        "trace_id": obs::context::trace_id().map(|t| t.to_string()),
        "request_id": obs::context::request_id(),
        "user_id": obs::context::user_id(),
        "traceparent": header("traceparent"),
        "tracestate": header("tracestate"),
        "baggage": header("baggage"),
        "x-request-id": header("x-request-id"),
    }))
}

/// Every value of every header received, in order.
async fn headers(headers: HeaderMap) -> axum::Json<Value> {
    let mut all: HashMap<String, Vec<String>> = HashMap::new();
    for (name, value) in &headers {
        all.entry(name.to_string()).or_default().push(value.to_str().unwrap_or("?").to_owned());
    }
    axum::Json(json!(all))
}

/// Calls `to` with obs's client, after setting the baggage entries given as `set.k=v`.
async fn forward(Query(query): Query<HashMap<String, String>>) -> String {
    for (key, value) in &query {
        if let Some(key) = key.strip_prefix("set.") {
            obs::context::set_baggage(key, value).unwrap();
        }
    }
    if let Some(n) = query.get("many").and_then(|n| n.parse::<usize>().ok()) {
        for i in 0..n {
            obs::context::set_baggage(&format!("k{i}"), "v").unwrap();
        }
    }
    let client = obs::http::client(obs::http::reqwest::Client::new());
    let response = client.get(&query["to"]).send().await.unwrap();
    response.text().await.unwrap()
}

/// Hop `n` of a request: logs, maybe sets the user, and calls hop `n - 1`.
async fn hop(Path(n): Path<u32>, Query(query): Query<HashMap<String, String>>) -> String {
    if let Some(user) = query.get(&format!("user{n}")) {
        obs::context::set_user_id(user.clone()).unwrap();
    }
    tracing::info!(hop = n, "hop");
    if n == 0 {
        return "done".into();
    }
    let port = env().server.port();
    let rest: String = query.iter().map(|(k, v)| format!("{k}={v}&")).collect();
    let client = obs::http::client(obs::http::reqwest::Client::new());
    let url = format!("http://127.0.0.1:{port}/hop/{}?{rest}", n - 1);
    client.get(url).send().await.unwrap().text().await.unwrap()
}

fn env() -> &'static Env {
    static ENV: OnceLock<Env> = OnceLock::new();
    ENV.get_or_init(|| {
        let lines = Lines::default();
        let telemetry = obs::TelemetryBuilder::new("propagation-test")
            .ignore_env()
            .sampler(obs::config::Sampler::ParentBased(obs::config::RootSampler::TraceIdRatio(0.0)))
            .traces_file(None::<&str>)
            .prometheus(None)
            .log_writer(lines.clone())
            .init()
            .unwrap();
        let (runtime, listener, server) = common::runtime_and_listener();
        let app = Router::new()
            .route("/inspect", get(inspect))
            .route("/headers", get(headers))
            .route("/forward", get(forward))
            .route("/hop/{n}", get(hop))
            .layer(obs::http::ServerLayer::new());
        runtime.spawn(async move { axum::serve(listener, app).await.unwrap() });
        Env { lines, server, runtime, _telemetry: telemetry }
    })
}

/// `GET path` with `headers` (a name may repeat: each pair is its own header line).
fn get_with(path: &str, headers: &[(&str, &str)]) -> String {
    let env = env();
    let url = format!("http://{}{path}", env.server);
    env.runtime.block_on(async {
        let mut request = obs::http::reqwest::Client::new().get(url);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.unwrap();
        assert!(response.status().is_success(), "{}", response.status());
        response.text().await.unwrap()
    })
}

fn inspect_with(headers: &[(&str, &str)]) -> Value {
    serde_json::from_str(&get_with("/inspect", headers)).unwrap()
}

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT: &str = "00f067aa0ba902b7";

fn traceparent(flags: &str) -> String {
    format!("00-{TRACE}-{PARENT}-{flags}")
}

fn sent_parent(seen: &Value) -> TraceParent {
    TraceParent::parse_one(seen["traceparent"].as_str().expect("a traceparent is sent")).unwrap()
}

#[test]
fn a_valid_traceparent_is_continued_with_every_tracestate_combined() {
    let seen = inspect_with(&[
        ("traceparent", &traceparent("01")),
        ("tracestate", "congo=t61rcWkgMzE"),
        ("tracestate", " rojo=00f067aa0ba902b7 , ,"),
    ]);
    assert_eq!(seen["trace_id"], TRACE);
    let sent = sent_parent(&seen);
    assert_eq!(sent.trace_id.to_string(), TRACE, "same trace");
    assert_ne!(sent.parent_id.to_string(), PARENT, "the server's own span is the new parent");
    assert!(sent.flags.is_sampled(), "a sampled parent is kept: {seen}");
    assert_eq!(seen["tracestate"], "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7", "combined, in order");
}

#[test]
fn several_traceparent_headers_start_a_new_trace_and_drop_the_tracestate() {
    let parent = traceparent("01");
    let seen = inspect_with(&[
        ("traceparent", &parent),
        ("traceparent", &parent),
        ("tracestate", "congo=1"),
    ]);
    assert_ne!(seen["trace_id"], TRACE, "{seen}");
    assert_eq!(seen["tracestate"], Value::Null, "no tracestate without a valid traceparent");
}

#[test]
fn a_malformed_traceparent_starts_a_new_trace() {
    for bad in [
        format!("00-{}-{PARENT}-01", TRACE.to_uppercase()),
        format!("00-{TRACE}-{PARENT}-01-extra"),
        format!("ff-{TRACE}-{PARENT}-01"),
        format!("00-{}-{PARENT}-01", "0".repeat(32)),
        format!("00-{TRACE}-{}-01", "0".repeat(16)),
        format!("00-{TRACE}-{PARENT}-1"),
    ] {
        let seen = inspect_with(&[("traceparent", &bad), ("tracestate", "congo=1")]);
        assert_ne!(seen["trace_id"], TRACE, "{bad}");
        assert_eq!(seen["tracestate"], Value::Null, "{bad}");
    }
    // A later version is read by its first four fields.
    let future = format!("cc-{TRACE}-{PARENT}-01-what-comes-next");
    let seen = inspect_with(&[("traceparent", &future)]);
    assert_eq!(seen["trace_id"], TRACE);
    assert!(seen["traceparent"].as_str().unwrap().starts_with("00-"), "obs sends version 00");
}

#[test]
fn a_tracestate_that_breaks_the_grammar_is_dropped_whole_and_none_is_sent_empty() {
    let parent = traceparent("01");
    for bad in ["congo=1,Rojo=2", "congo=1,congo=2", "congo=", "novalue"] {
        let seen = inspect_with(&[("traceparent", &parent), ("tracestate", bad)]);
        assert_eq!(seen["trace_id"], TRACE, "{bad}: the traceparent still counts");
        assert_eq!(seen["tracestate"], Value::Null, "{bad}: dropped, and no empty header sent");
    }
    let seen = inspect_with(&[("traceparent", &parent)]);
    assert_eq!(seen["tracestate"], Value::Null, "no tracestate came: none is sent");
}

#[test]
fn the_random_flag_is_propagated_and_set_on_new_traces_and_sampled_follows_the_decision() {
    // incoming flags → outgoing flags (the sampler keeps sampled parents only).
    for (incoming, outgoing) in
        [("00", 0x00), ("01", 0x01), ("02", 0x02), ("03", 0x03), ("ff", 0x03)]
    {
        let seen = inspect_with(&[("traceparent", &traceparent(incoming))]);
        assert_eq!(sent_parent(&seen).flags.to_u8(), outgoing, "flags {incoming}: {seen}");
    }
    // A trace obs starts: its id is random, and the ratio (0) did not sample it.
    let seen = inspect_with(&[]);
    assert_eq!(sent_parent(&seen).flags.to_u8(), 0x02, "{seen}");
}

#[test]
fn the_client_middleware_sends_the_context_baggage_and_request_id_downstream() {
    let port = env().server.port();
    let body = get_with(
        &format!("/forward?to=http://127.0.0.1:{port}/headers&set.region=eu%20west"),
        &[
            ("traceparent", &traceparent("03")),
            ("tracestate", "congo=1"),
            ("tracestate", "rojo=2"),
            ("baggage", "tenant=acme;ttl=60"),
            ("baggage", "plan = gold"),
            ("x-request-id", "req-1842"),
        ],
    );
    let downstream: HashMap<String, Vec<String>> = serde_json::from_str(&body).unwrap();
    let one = |name: &str| {
        let values = downstream.get(name).unwrap_or_else(|| panic!("no {name}: {body}"));
        assert_eq!(values.len(), 1, "{name} sent once: {values:?}");
        values[0].clone()
    };
    let sent = TraceParent::parse_one(&one("traceparent")).unwrap();
    assert_eq!((sent.trace_id.to_string(), sent.flags.to_u8()), (TRACE.to_owned(), 0x03));
    assert_eq!(one("tracestate"), "congo=1,rojo=2");
    let baggage = Baggage::parse(&[&one("baggage")]);
    assert_eq!(baggage.get("tenant"), Some("acme"));
    assert_eq!(baggage.get("plan"), Some("gold"));
    assert_eq!(baggage.get("region"), Some("eu west"), "set by the program, percent-encoded");
    assert_eq!(baggage.iter().next().unwrap().properties, "ttl=60", "properties forwarded");
    assert_eq!(one("x-request-id"), "req-1842", "the request id travels");
}

#[test]
fn baggage_beyond_the_limits_is_left_out_whole() {
    let port = env().server.port();
    let body = get_with(&format!("/forward?to=http://127.0.0.1:{port}/headers&many=70"), &[]);
    let downstream: HashMap<String, Vec<String>> = serde_json::from_str(&body).unwrap();
    let baggage = Baggage::parse(&[downstream["baggage"][0].as_str()]);
    assert_eq!(baggage.iter().count(), 64);
    assert_eq!(baggage.get("k63"), Some("v"));
    assert_eq!(baggage.get("k64"), None);
}

#[test]
fn one_request_id_and_one_user_across_three_hops_and_a_hop_may_override_the_user() {
    let log_lines = |request_id: &str| -> Vec<Value> {
        env()
            .lines
            .json()
            .into_iter()
            .filter(|l| l["msg"] == "hop" && l["request_id"] == request_id)
            .collect()
    };
    // The edge (hop 2) sets the user; hops 1 and 0 are other requests over HTTP.
    get_with("/hop/2?user2=u-7", &[("x-request-id", "req-three-hops")]);
    let lines = log_lines("req-three-hops");
    let hops: Vec<i64> = lines.iter().map(|l| l["hop"].as_i64().unwrap()).collect();
    assert_eq!(hops, [2, 1, 0], "every hop logged with the one request id: {lines:?}");
    for line in &lines {
        assert_eq!(line["user_id"], "u-7", "{line}");
    }
    // Hop 1 sets a user of its own: hop 0, downstream of it, sees that one.
    get_with("/hop/2?user2=u-7&user1=u-9", &[("x-request-id", "req-override")]);
    let users: Vec<(i64, String)> = log_lines("req-override")
        .iter()
        .map(|l| (l["hop"].as_i64().unwrap(), l["user_id"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(users, [(2, "u-7".into()), (1, "u-9".into()), (0, "u-9".into())]);
}

#[test]
fn a_request_id_or_user_id_that_looks_like_personal_data_is_refused() {
    let seen =
        inspect_with(&[("x-request-id", "123-45-6789"), ("baggage", "user.id=jane%40example.com")]);
    assert_ne!(seen["request_id"], "123-45-6789", "an SSN is not a request id: {seen}");
    assert_eq!(seen["user_id"], Value::Null, "an email is not a user id: {seen}");
    // A good one from upstream is taken.
    let seen = inspect_with(&[("baggage", "user.id=u-1842")]);
    assert_eq!(seen["user_id"], "u-1842");
}

/// OpenTelemetry's Python SDK as a server: it reads what obs's client sent.
struct PythonServer {
    child: Child,
    port: u16,
}

impl PythonServer {
    fn start() -> PythonServer {
        let port = free_port();
        let script =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/otel_peer.py");
        let mut child = Command::new("python3")
            .arg(script)
            .args(["server", &port.to_string()])
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 with the OpenTelemetry SDK (.ci/run installs it)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        assert_eq!(line.trim(), "ready");
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        assert!(wait_until(Duration::from_secs(10), || std::net::TcpStream::connect(addr).is_ok()));
        PythonServer { child, port }
    }
}

impl Drop for PythonServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_foreign_opentelemetry_server_continues_the_trace_with_its_state_and_baggage() {
    let python = PythonServer::start();
    let body = get_with(
        &format!("/forward?to=http://127.0.0.1:{}/&set.note=caf%C3%A9%20au%20lait", python.port),
        &[
            ("traceparent", &traceparent("01")),
            ("tracestate", "congo=t61rcWkgMzE"),
            ("baggage", "user.id=u-42,tenant=acme"),
        ],
    );
    let seen: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(seen["valid"], true, "{seen}");
    assert_eq!(seen["trace_id"], TRACE);
    assert_ne!(seen["parent_id"], PARENT, "the parent is obs's CLIENT span");
    assert_eq!(seen["sampled"], true);
    assert_eq!(seen["tracestate"], "congo=t61rcWkgMzE");
    assert_eq!(seen["baggage"]["user.id"], "u-42");
    assert_eq!(seen["baggage"]["tenant"], "acme");
    assert_eq!(
        seen["baggage"]["note"], "café au lait",
        "percent-encoded as UTF-8 and decoded by Python"
    );
    assert_eq!(seen["headers"]["traceparent"].as_array().unwrap().len(), 1);
}

#[test]
fn a_foreign_opentelemetry_client_sends_baggage_that_obs_forwards() {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/otel_peer.py");
    let url = format!("http://{}/inspect", env().server);
    let out = Command::new("python3")
        .arg(script)
        .args(["client", &url, r#"{"tenant": "acme eu", "plan": "gold/€", "user.id": "u-77"}"#])
        .output()
        .expect("python3 with the OpenTelemetry SDK");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let result: Value = serde_json::from_slice(&out.stdout).unwrap();
    let seen: Value = serde_json::from_str(result["body"].as_str().unwrap()).unwrap();
    assert_eq!(seen["trace_id"], result["trace_id"], "the Python trace is continued");
    assert_eq!(seen["user_id"], "u-77", "the user came in the baggage");
    let forwarded = Baggage::parse(&[seen["baggage"].as_str().unwrap()]);
    assert_eq!(forwarded.get("user.id"), Some("u-77"));
    assert_eq!(forwarded.get("plan"), Some("gold/€"), "percent-encoded UTF-8, decoded");
    // OpenTelemetry's Python SDK encodes a space as `+` (form encoding); in W3C Baggage's
    // percent-encoding (RFC 3986) `+` is a `+`, and obs reads it so. It forwards what came.
    let sent = result["sent"]["baggage"].as_str().unwrap();
    assert!(sent.contains("tenant=acme+eu"), "{sent}");
    assert_eq!(forwarded.get("tenant"), Some("acme+eu"));
}

// Properties of the parsers, over generated headers. Each is checked against a model written
// from the grammar independently of obs's code (split on dashes, or built from parts whose
// validity is known), with a fixed seed per run printed on failure.

fn seed() -> u64 {
    std::env::var("OBS_PROPERTY_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| fastrand::u64(..))
}

/// The model: `version-trace-parent-flags[-more]`, lower-case hex, version not `ff`, ids not
/// zero, nothing after the flags in version 00, only `-…` after them in later versions.
fn model_traceparent(values: &[&str]) -> Option<(String, String, u8)> {
    let [value] = values else { return None };
    let value = value.trim_matches(|c| c == ' ' || c == '\t');
    let parts: Vec<&str> = value.splitn(5, '-').collect();
    let hex =
        |s: &str, n: usize| s.len() == n && s.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f'));
    if parts.len() < 4
        || !hex(parts[0], 2)
        || !hex(parts[1], 32)
        || !hex(parts[2], 16)
        || !hex(parts[3], 2)
    {
        return None;
    }
    if parts[0] == "ff" || parts[1].chars().all(|c| c == '0') || parts[2].chars().all(|c| c == '0')
    {
        return None;
    }
    if parts.len() == 5 && parts[0] == "00" {
        return None;
    }
    let flags = u8::from_str_radix(parts[3], 16).ok()? & 0x03;
    Some((parts[1].to_owned(), parts[2].to_owned(), flags))
}

fn mutate(rng: &mut fastrand::Rng, valid: &str) -> String {
    let mut s: Vec<char> = valid.chars().collect();
    let alphabet = b"0123456789abcdefABCDEF- \tx\xff";
    for _ in 0..rng.usize(0..4) {
        match rng.u8(0..7) {
            0 if !s.is_empty() => {
                let i = rng.usize(..s.len());
                s[i] = char::from(alphabet[rng.usize(..alphabet.len())]);
            }
            1 if !s.is_empty() => {
                s.remove(rng.usize(..s.len()));
            }
            2 => s.insert(rng.usize(..=s.len()), char::from(alphabet[rng.usize(..alphabet.len())])),
            3 => s.truncate(rng.usize(..=s.len())),
            4 => s.extend(format!("-{}", rng.u32(..)).chars()),
            5 => {
                let version = ["00", "01", "cc", "fe", "ff", "0A"][rng.usize(..6)];
                s.splice(0..2.min(s.len()), version.chars());
            }
            _ => s = s.iter().map(|c| c.to_ascii_uppercase()).collect(),
        }
    }
    s.into_iter().collect()
}

#[test]
fn traceparent_matches_the_grammar_on_a_million_generated_headers() {
    let seed = seed();
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut continued = 0;
    for case in 0..1_000_000u32 {
        let valid = format!(
            "{:02x}-{:032x}-{:016x}-{:02x}",
            rng.u8(0..3),
            rng.u128(..),
            rng.u64(..),
            rng.u8(..)
        );
        let header = if case % 10 == 0 { valid.clone() } else { mutate(&mut rng, &valid) };
        let copies = if case % 7 == 0 { 2 } else { 1 };
        let values = vec![header.as_str(); copies];
        let parsed = TraceParent::parse(&values)
            .ok()
            .map(|p| (p.trace_id.to_string(), p.parent_id.to_string(), p.flags.to_u8()));
        assert_eq!(parsed, model_traceparent(&values), "seed {seed}, case {case}: {values:?}");
        continued += usize::from(parsed.is_some());
    }
    assert!(continued > 100_000, "the generator reaches valid headers too: {continued}");
}

#[test]
fn tracestate_keeps_exactly_a_valid_list_on_generated_headers() {
    let seed = seed();
    let mut rng = fastrand::Rng::with_seed(seed);
    let lower =
        |rng: &mut fastrand::Rng, n: usize| -> String { (0..n).map(|_| rng.lowercase()).collect() };
    for case in 0..100_000u32 {
        // Members whose validity is known by construction.
        let n = rng.usize(0..36);
        let mut members = Vec::new();
        let mut valid = n <= 32;
        for i in 0..n {
            let key = match rng.u8(0..12) {
                0 => format!("t{i}@{}", lower(&mut rng, 2)),
                1 => {
                    valid = false;
                    format!("K{i}")
                }
                2 => {
                    valid = false;
                    String::new()
                }
                _ => {
                    let len = rng.usize(0..4);
                    format!("k{i}{}", lower(&mut rng, len))
                }
            };
            let value = match rng.u8(0..12) {
                0 => {
                    valid = false;
                    String::new()
                }
                1 => {
                    valid = false;
                    "a,b".into()
                }
                2 => "with inner space".into(),
                _ => format!("v{}", rng.u32(..)),
            };
            members.push((key, value));
        }
        if rng.u8(0..20) == 0 && !members.is_empty() {
            members.push(members[0].clone());
            valid = false;
        }
        // Rendered with OWS, empty members, and split across headers at member boundaries.
        let mut headers = vec![String::new()];
        for (key, value) in &members {
            if rng.u8(0..4) == 0 {
                headers.push(String::new());
            }
            let ows = [" ", "\t", "", ""][rng.usize(..4)];
            let last = headers.last_mut().unwrap();
            last.push_str(&format!("{ows}{key}={value}{ows},"));
            if rng.u8(0..5) == 0 {
                last.push_str(" ,");
            }
        }
        let values: Vec<&str> = headers.iter().map(String::as_str).collect();
        let state = obs::propagation::tracestate::parse(&values);
        let expected = if valid {
            members.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")
        } else {
            String::new()
        };
        assert_eq!(state.header(), expected, "seed {seed}, case {case}: {values:?}");
    }
}

#[test]
fn baggage_round_trips_any_text_and_skips_only_invalid_members() {
    let seed = seed();
    let mut rng = fastrand::Rng::with_seed(seed);
    let chars: Vec<char> = " azAZ09%,;=\"\\/é€😀\t\u{7f}+-._~!".chars().collect();
    for case in 0..100_000u32 {
        let mut sent = Baggage::default();
        let n = rng.usize(0..6);
        for i in 0..n {
            let value: String =
                (0..rng.usize(0..12)).map(|_| chars[rng.usize(..chars.len())]).collect();
            sent.set(&format!("key{i}"), &value).unwrap();
        }
        let Some(header) = sent.header() else {
            assert_eq!(n, 0, "seed {seed}, case {case}");
            continue;
        };
        assert!(header.bytes().all(|b| (0x21..=0x7e).contains(&b)), "visible ASCII: {header}");
        // An invalid member slipped in between, and OWS around the separators.
        let spliced = header.replacen(',', " , bad key=1 ,\t", 1);
        let received = Baggage::parse(&[&spliced]);
        // What arrives is what was sent, scrubbed (the generated texts hold no personal data).
        assert_eq!(received, sent, "seed {seed}, case {case}: {spliced}");
    }
}
