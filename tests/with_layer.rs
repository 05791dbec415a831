//! `obs::init` with a `tracing` layer of the user's: observed functions then make ordinary
//! `tracing` spans, which the layer sees, and obs still exports them and correlates their logs.
//! (Without one, they take obs's own span path: see `tests/telemetry`.)

mod common;

use common::{Lines, attribute, otlp_spans};
use serde_json::Value;
use std::sync::{Arc, Mutex};
use tracing::span::{Attributes, Id};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::Context;

/// Remembers the name of every span it sees.
#[derive(Clone, Default)]
struct Names(Arc<Mutex<Vec<String>>>);

impl<S: tracing::Subscriber> Layer<S> for Names {
    fn on_new_span(&self, attrs: &Attributes<'_>, _: &Id, _: Context<'_, S>) {
        self.0.lock().unwrap().push(attrs.metadata().name().to_owned());
    }
}

#[obs::observe(fields(later))]
fn work(n: u32) -> Result<u32, String> {
    tracing::Span::current().record("later", 5u64);
    tracing::info!("working");
    if n > 1 { Err("too much".into()) } else { Ok(n) }
}

#[test]
fn a_user_layer_sees_observed_spans_and_obs_still_traces_them() {
    let dir = tempfile::tempdir().unwrap();
    let traces = dir.path().join("traces.jsonl");
    let (names, lines) = (Names::default(), Lines::default());
    let telemetry = obs::TelemetryBuilder::new("with-layer")
        .ignore_env()
        .traces_file(Some(&traces))
        .prometheus(None)
        .log_writer(lines.clone())
        .with_layer(names.clone())
        .init()
        .expect("init");

    let outer = tracing::info_span!("outer");
    let _ = outer.in_scope(|| work(2));
    drop(outer);
    assert!(telemetry.flush());

    assert!(
        names.0.lock().unwrap().contains(&"with_layer::work".to_owned()),
        "{names:?}",
        names = names.0
    );
    let spans: Vec<Value> = std::fs::read_to_string(&traces)
        .unwrap()
        .lines()
        .flat_map(|line| otlp_spans(&serde_json::from_str(line).unwrap()))
        .collect();
    let outer = spans.iter().find(|s| s["name"] == "outer").expect("the failed trace is kept");
    let work = spans.iter().find(|s| s["name"] == "with_layer::work").unwrap();
    assert_eq!(work["parentSpanId"], outer["spanId"]);
    assert_eq!(work["status"]["code"], 2);
    assert_eq!(attribute(work, "later"), Some(5.into()));
    assert_eq!(attribute(work, "n"), Some(2.into()));
    let line = lines.json().into_iter().find(|l| l["msg"] == "working").unwrap();
    assert_eq!(line["span_id"], work["spanId"]);
    assert_eq!(line["span"], "with_layer::work");
}
