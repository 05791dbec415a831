//! The scenario of the lineage tests, on either span path: a producer puts its context in a
//! message's headers; consumers link to it (`follows_from`), continue it (`parent`), or start a
//! new trace (`parent = None`); a span is given a local parent it is not nested in; and one span
//! links to several. Read where the spans land: oteltest's OTLP receiver.

use crate::common::{OtlpSink, free_port, wait_until};
use opentelemetry::trace::SpanContext;
use serde_json::Value;
use std::time::Duration;

type Headers = Vec<(&'static str, String)>;

#[obs::observe]
fn produce() -> (Headers, SpanContext) {
    (obs::context::inject(), obs::context::current_span_context().unwrap())
}

#[obs::observe(skip_all, follows_from = obs::context::extract_from(headers.as_slice()))]
fn consume_linked(headers: &Headers) {}

#[obs::observe(skip_all, parent = obs::context::extract_from(headers.as_slice()))]
fn consume_child(headers: &Headers) {}

#[obs::observe(parent = None)]
fn detached() -> SpanContext {
    obs::context::current_span_context().unwrap()
}

#[obs::observe]
fn outer() -> (SpanContext, SpanContext) {
    (obs::context::current_span_context().unwrap(), detached())
}

#[obs::observe(skip_all, follows_from = [a, b])]
fn batch(a: &SpanContext, b: &SpanContext) {}

#[obs::observe(skip_all, parent = holder)]
fn under(holder: &tracing::Span) {}

fn named<'a>(spans: &'a [Value], name: &str) -> &'a Value {
    spans.iter().find(|s| s["name"].as_str().is_some_and(|n| n.ends_with(name))).unwrap_or_else(
        || panic!("no span {name} in {:#?}", spans.iter().map(|s| &s["name"]).collect::<Vec<_>>()),
    )
}

fn ids(context: &SpanContext) -> (String, String) {
    (context.trace_id().to_string(), context.span_id().to_string())
}

/// Runs the scenario with `setup` applied to the builder (a `tracing` layer, or nothing).
pub fn run(setup: impl FnOnce(obs::TelemetryBuilder) -> obs::TelemetryBuilder) {
    let dir = tempfile::tempdir().unwrap();
    let sink = OtlpSink::start(free_port(), &dir.path().join("otlp.jsonl"));
    let builder = obs::TelemetryBuilder::new("lineage")
        .ignore_env()
        .otlp_endpoint(sink.endpoint())
        .sampling_ratio(1.0)
        .prometheus(None)
        .log_writer(std::io::sink);
    let telemetry = setup(builder).init().unwrap();

    let (headers, producer) = produce();
    assert!(
        headers
            .iter()
            .any(|(k, v)| *k == "traceparent" && v.contains(&producer.trace_id().to_string()))
    );
    consume_linked(&headers);
    consume_child(&headers);
    let (outer_context, detached_context) = outer();
    let (one, _) = produce();
    let (two, _) = produce();
    let one = obs::context::extract_from(one.as_slice()).unwrap();
    let two = obs::context::extract_from(two.as_slice()).unwrap();
    batch(&one, &two);
    let holder = tracing::info_span!("holder");
    under(&holder);
    let holder_context = obs::context::span_context(&holder).unwrap();
    drop(holder);
    assert!(telemetry.flush());
    assert!(wait_until(Duration::from_secs(10), || sink.spans().len() >= 9), "{:#?}", sink.spans());
    let spans = sink.spans();

    // follows_from: a new trace, linked to the producer's span.
    let linked = named(&spans, "consume_linked");
    let (producer_trace, producer_span) = ids(&producer);
    assert_ne!(linked["traceId"], producer_trace.as_str());
    assert_eq!(linked["links"][0]["traceId"], producer_trace.as_str(), "{linked:#}");
    assert_eq!(linked["links"][0]["spanId"], producer_span.as_str());

    // parent: the producer's trace, under its span.
    let child = named(&spans, "consume_child");
    assert_eq!(child["traceId"], producer_trace.as_str());
    assert_eq!(child["parentSpanId"], producer_span.as_str());

    // parent = None inside another span: a new trace, no parent.
    let detached_span = named(&spans, "detached");
    assert_ne!(detached_context.trace_id(), outer_context.trace_id());
    assert_eq!(detached_span["traceId"], ids(&detached_context).0.as_str());
    assert!(detached_span.get("parentSpanId").is_none_or(|p| p == ""), "{detached_span:#}");

    // Several links.
    let batch_span = named(&spans, "batch");
    let links: Vec<(String, String)> = batch_span["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (l["traceId"].as_str().unwrap().to_owned(), l["spanId"].as_str().unwrap().to_owned())
        })
        .collect();
    assert_eq!(links, vec![ids(&one), ids(&two)]);

    // A local parent the span is not nested in.
    let under_span = named(&spans, "under");
    let (holder_trace, holder_span) = ids(&holder_context);
    assert_eq!(under_span["traceId"], holder_trace.as_str());
    assert_eq!(under_span["parentSpanId"], holder_span.as_str());
    let _ = telemetry.shutdown();
}
