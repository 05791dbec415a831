//! Property (100,000 cases): whatever `traceparent` and `tracestate` a client sends, once or
//! twice, the server answers normally, never panics, and a header that is not a valid W3C trace
//! context, or a second `traceparent`, starts a new trace. The instrumented axum service is called in-process (`tower::ServiceExt::oneshot`),
//! so that the property runs many cases quickly.

use axum::Router;
use axum::body::Body;
use axum::http::{self, Request};
use axum::routing::get;
use proptest::prelude::*;
use std::sync::OnceLock;
use tower::ServiceExt;

fn app() -> &'static Router {
    static APP: OnceLock<Router> = OnceLock::new();
    APP.get_or_init(|| {
        let telemetry = obs::TelemetryBuilder::new("malformed")
            .ignore_env()
            .sampler(obs::config::Sampler::AlwaysOff)
            .traces_file(None::<&str>)
            .prometheus(None)
            .log_writer(std::io::sink)
            .init()
            .unwrap();
        std::mem::forget(telemetry);
        Router::new()
            .route(
                "/",
                get(|| async {
                    obs::context::trace_id().map(|t| t.to_string()).unwrap_or_default()
                }),
            )
            .layer(obs::http::ServerLayer::new())
    })
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| tokio::runtime::Builder::new_current_thread().build().unwrap())
}

/// The W3C rule for version 00: `00-{32 hex}-{16 hex}-{2 hex}`, lowercase, ids not all zero;
/// optional white space around the value (HTTP's OWS) does not count.
fn valid_v00(header: &str) -> bool {
    let parts: Vec<&str> = header.trim_matches([' ', '\t']).split('-').collect();
    let hex = |s: &str, n: usize| {
        s.len() == n && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    parts.len() == 4
        && parts[0] == "00"
        && hex(parts[1], 32)
        && hex(parts[2], 16)
        && hex(parts[3], 2)
        && parts[1].bytes().any(|b| b != b'0')
        && parts[2].bytes().any(|b| b != b'0')
}

const VALID: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/// Headers near a valid one (one character changed, cut, extended, case changed) and arbitrary
/// ones.
fn traceparent() -> impl Strategy<Value = String> {
    prop_oneof![
        (0..VALID.len(), any::<char>()).prop_map(|(i, c)| {
            let mut s: Vec<char> = VALID.chars().collect();
            s[i] = c;
            s.into_iter().collect()
        }),
        (0..VALID.len()).prop_map(|n| VALID[..n].to_owned()),
        "[ -~]{0,80}".prop_map(|tail| format!("{VALID}{tail}")),
        Just(VALID.to_uppercase()),
        Just("00-00000000000000000000000000000000-00f067aa0ba902b7-01".to_owned()),
        Just("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01".to_owned()),
        Just("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_owned()),
        "[ -~]{0,120}",
        "[0-9a-f-]{50,60}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 100_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_trace_context_header_is_handled(parent in traceparent(), state in "[ -~]{0,64}", copies in 1..=2usize) {
        let mut request = Request::get("/");
        if let Ok(value) = http::HeaderValue::from_str(&parent) {
            for _ in 0..copies {
                request = request.header("traceparent", value.clone());
            }
        }
        if let Ok(value) = http::HeaderValue::from_str(&state) {
            request = request.header("tracestate", value);
        }
        let request = request.body(Body::empty()).unwrap();
        let response = runtime().block_on(app().clone().oneshot(request)).unwrap();
        prop_assert_eq!(response.status(), 200);
        prop_assert!(response.headers().contains_key("x-request-id"));
        let body = runtime().block_on(axum::body::to_bytes(response.into_body(), 1024)).unwrap();
        let trace = String::from_utf8(body.to_vec()).unwrap();
        prop_assert_eq!(trace.len(), 32, "every request is traced");
        prop_assert!(trace != "00000000000000000000000000000000");
        let sent = parent.split('-').nth(1).unwrap_or_default();
        if copies == 2 {
            prop_assert_ne!(&trace, sent, "two traceparent headers start a new trace");
        } else if valid_v00(&parent) {
            prop_assert_eq!(&trace, sent, "a valid header is continued");
        } else if !parent.starts_with(|c: char| c.is_ascii_hexdigit()) || parent.starts_with("00") || parent.starts_with("ff") {
            prop_assert_ne!(&trace, sent, "an invalid header starts a new trace");
        }
    }
}
