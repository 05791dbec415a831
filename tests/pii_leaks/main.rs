//! Property: personal data given to instrumented code never reaches a sink. Generated emails,
//! card numbers, SSNs, JWTs, passwords and IBANs go through arguments, `fields(...)`, log
//! messages, log fields and returned errors; then the JSON log lines, the exported spans (the
//! trace file) and the Prometheus exposition are searched for them.

#[path = "../common/mod.rs"]
mod common;

use common::{Lines, free_port, http_get};
use obs::config::{Limits, Sampler};
use obs::{Redact, Secret};
use proptest::prelude::*;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

struct Env {
    telemetry: obs::Telemetry,
    lines: Lines,
    traces: PathBuf,
    metrics: SocketAddr,
    _dir: tempfile::TempDir,
}

fn env() -> &'static Env {
    static ENV: OnceLock<Env> = OnceLock::new();
    ENV.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let traces = dir.path().join("traces.jsonl");
        let metrics = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let lines = Lines::default();
        let telemetry = obs::TelemetryBuilder::new("pii-leaks")
            .ignore_env()
            .sampler(Sampler::AlwaysOn)
            .traces_file(Some(&traces))
            .prometheus(Some(metrics))
            .log_writer(lines.clone())
            .limits(Limits { export_delay: Duration::from_millis(20), ..Limits::default() })
            .init()
            .unwrap();
        Env { telemetry, lines, traces, metrics, _dir: dir }
    })
}

#[derive(Redact)]
struct Customer {
    id: u64,
    #[redact(partial)]
    email: String,
    #[redact]
    card_number: String,
}

#[obs::observe(err, fields(remark = %comment))]
fn checkout(
    order: u64,
    comment: &str,
    customer: &Customer,
    card: Secret<String>,
) -> Result<u64, String> {
    tracing::info!("checkout for {comment}");
    tracing::warn!(detail = comment, "retrying");
    let _ = card;
    if order.is_multiple_of(2) { Err(format!("declined: {comment}")) } else { Ok(customer.id) }
}

/// A card number that passes the Luhn check, with an issuer's prefix.
fn card() -> impl Strategy<Value = String> {
    (prop::sample::select(vec!["4", "51", "55", "37", "6011"]), any::<u64>(), any::<bool>())
        .prop_map(|(prefix, seed, spaced)| {
            let len = if prefix == "37" { 15 } else { 16 };
            let mut digits: Vec<u32> = prefix.chars().map(|c| c.to_digit(10).unwrap()).collect();
            let mut x = seed;
            while digits.len() < len - 1 {
                digits.push((x % 10) as u32);
                x = x / 10 + 7_919;
            }
            digits.push(common::luhn_check_digit(&digits));
            let text: String = digits.iter().map(|d| char::from_digit(*d, 10).unwrap()).collect();
            if spaced && len == 16 {
                text.as_bytes()
                    .chunks(4)
                    .map(|c| std::str::from_utf8(c).unwrap())
                    .collect::<Vec<_>>()
                    .join(" ")
            } else {
                text
            }
        })
}

fn ssn() -> impl Strategy<Value = String> {
    (1u32..=899, 1u32..=99, 1u32..=9999)
        .prop_filter("a valid area", |(area, _, _)| *area != 666)
        .prop_map(|(a, g, s)| format!("{a:03}-{g:02}-{s:04}"))
}

fn iban() -> impl Strategy<Value = String> {
    proptest::collection::vec(0u8..10, 18).prop_map(|bban| {
        let bban: String = bban.iter().map(|d| char::from(b'0' + d)).collect();
        // Check digits: 98 - (BBAN + "DE00" as digits) mod 97.
        let digits = format!("{bban}131400");
        let remainder = digits.bytes().fold(0u64, |r, b| (r * 10 + u64::from(b - b'0')) % 97);
        format!("DE{:02}{bban}", 98 - remainder)
    })
}

fn pii() -> impl Strategy<Value = (String, String)> {
    prop_oneof![
        "[a-z]{3,10}(\\.[a-z]{2,6})?@[a-z]{3,10}\\.(com|org|io)"
            .prop_map(|v| ("email".to_owned(), v)),
        card().prop_map(|v| ("card".to_owned(), v)),
        ssn().prop_map(|v| ("ssn".to_owned(), v)),
        "eyJ[A-Za-z0-9_]{10,20}\\.eyJ[A-Za-z0-9_]{10,30}\\.[A-Za-z0-9_-]{10,30}"
            .prop_map(|v| ("jwt".to_owned(), v)),
        "[A-Za-z0-9]{8,16}".prop_map(|v| ("password".to_owned(), v)),
        iban().prop_map(|v| ("iban".to_owned(), v)),
    ]
}

/// The forms of a value that must not appear (a card number also without its spaces).
fn forms(kind: &str, value: &str) -> Vec<String> {
    let mut forms = vec![value.to_owned()];
    if kind == "card" {
        forms.push(value.replace(' ', ""));
    }
    forms
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn no_generated_personal_data_reaches_any_sink((kind, value) in pii(), order in 0u64..4) {
        let env = env();
        // A password travels as `password=…`, the way it would leak in free text.
        let comment = if kind == "password" { format!("password={value} for order {order}") } else { format!("customer {value} order {order}") };
        let customer = Customer { id: order, email: format!("{value}@mail.test"), card_number: value.clone() };
        let _ = checkout(order, &comment, &customer, Secret::new(value.clone()));
        prop_assert!(env.telemetry.flush());

        let logs = String::from_utf8(env.lines.0.lock().unwrap().clone()).unwrap();
        let traces = std::fs::read_to_string(&env.traces).unwrap_or_default();
        let metrics = http_get(env.metrics, "/metrics");
        prop_assert!(logs.contains("checkout for"), "the logs were written");
        prop_assert!(traces.contains("checkout"), "the spans were exported");
        for form in forms(&kind, &value) {
            prop_assert!(!logs.contains(&form), "{kind} {form} leaked into the logs");
            prop_assert!(!traces.contains(&form), "{kind} {form} leaked into the traces");
            prop_assert!(!metrics.contains(&form), "{kind} {form} leaked into the metrics");
        }
    }
}
