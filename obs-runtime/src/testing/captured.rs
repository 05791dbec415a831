//! What a capture holds when it ends, and the assertions a test makes on it. Every assertion
//! that fails prints what was captured.

use opentelemetry::trace::{SpanId, SpanKind, Status};
use opentelemetry::{KeyValue, Value};
use opentelemetry_sdk::trace::SpanData;
use std::collections::BTreeMap;
use std::fmt;

/// The spans, log lines and metric changes of a capture.
#[derive(Clone, Debug)]
pub struct Captured {
    spans: Vec<CapturedSpan>,
    logs: Vec<LogLine>,
    metrics: Vec<Metric>,
}

/// A span as it would be exported (after the scrubber).
#[derive(Clone, Debug)]
pub struct CapturedSpan {
    data: SpanData,
    events: Vec<CapturedEvent>,
}

/// An event of a span (an `err`'s error, a log line inside the span).
#[derive(Clone, Debug)]
pub struct CapturedEvent {
    /// Its name (the event's message).
    pub name: String,
    /// Its attributes.
    pub attributes: Vec<KeyValue>,
}

/// A JSON log line, as obs writes it to stdout.
#[derive(Clone, Debug)]
pub struct LogLine {
    text: String,
    json: serde_json::Value,
}

/// How much a metric series changed during the capture.
#[derive(Clone, Debug, PartialEq)]
pub struct Metric {
    /// The metric's name (`function_calls_total`).
    pub name: String,
    /// Its labels, as exported (scrubbed).
    pub labels: BTreeMap<String, String>,
    /// What was recorded.
    pub value: MetricValue,
}

/// What a capture recorded into one series.
#[derive(Clone, Debug, PartialEq)]
pub enum MetricValue {
    /// The counter's increase.
    Counter(u64),
    /// The gauge's last value.
    Gauge(f64),
    /// Every value recorded (seconds, for durations).
    Histogram(Vec<f64>),
}

impl Captured {
    pub(super) fn new(spans: Vec<SpanData>, logs: &[u8], metrics: Vec<Metric>) -> Captured {
        let spans = spans
            .into_iter()
            .map(|data| {
                let events = data
                    .events
                    .events
                    .iter()
                    .map(|event| CapturedEvent {
                        name: event.name.to_string(),
                        attributes: event.attributes.clone(),
                    })
                    .collect();
                CapturedSpan { data, events }
            })
            .collect::<Vec<_>>();
        let mut spans = spans;
        // In the order they started (they are exported as they end).
        spans.sort_by_key(|span| span.data.start_time);
        let logs = String::from_utf8_lossy(logs)
            .lines()
            .map(|line| LogLine {
                text: line.to_owned(),
                json: serde_json::from_str(line).unwrap_or(serde_json::Value::Null),
            })
            .collect();
        Captured { spans, logs, metrics }
    }

    /// Every span, in the order they started.
    pub fn spans(&self) -> &[CapturedSpan] {
        &self.spans
    }

    /// The spans called `name`: named so, or whose path ends in `::name` (an observed
    /// function's span is named by its path, `shop::cart::add`: `"add"` and `"cart::add"` find
    /// it too).
    pub fn spans_named(&self, name: &str) -> Vec<&CapturedSpan> {
        self.spans.iter().filter(|span| span.is_named(name)).collect()
    }

    /// The one span called `name` (as [`Captured::spans_named`] matches it); panics, printing
    /// what was captured, unless there is exactly one.
    #[track_caller]
    pub fn span(&self, name: &str) -> &CapturedSpan {
        match self.spans_named(name).as_slice() {
            [span] => span,
            [] => panic!("no span named `{name}` was captured\n{self}"),
            more => {
                panic!("{} spans named `{name}` were captured, expected one\n{self}", more.len())
            }
        }
    }

    /// The first span for which `matches` is true.
    pub fn find_span(&self, matches: impl Fn(&CapturedSpan) -> bool) -> Option<&CapturedSpan> {
        self.spans.iter().find(|span| matches(span))
    }

    /// The captured parent of `span` (none for a root, or a parent outside the capture).
    pub fn parent_of(&self, span: &CapturedSpan) -> Option<&CapturedSpan> {
        let parent = span.data.parent_span_id;
        (parent != SpanId::INVALID)
            .then(|| {
                self.spans.iter().find(|candidate| {
                    candidate.data.span_context.span_id() == parent
                        && candidate.data.span_context.trace_id()
                            == span.data.span_context.trace_id()
                })
            })
            .flatten()
    }

    /// The captured children of `span`.
    pub fn children_of(&self, span: &CapturedSpan) -> Vec<&CapturedSpan> {
        let id = span.data.span_context.span_id();
        let trace = span.data.span_context.trace_id();
        self.spans
            .iter()
            .filter(|child| {
                child.data.parent_span_id == id && child.data.span_context.trace_id() == trace
            })
            .collect()
    }

    /// Panics, printing what was captured, unless `child` is a child of `parent`.
    #[track_caller]
    pub fn assert_parent(&self, child: &CapturedSpan, parent: &CapturedSpan) {
        let is_child = child.data.parent_span_id == parent.data.span_context.span_id()
            && child.data.span_context.trace_id() == parent.data.span_context.trace_id();
        assert!(is_child, "span `{}` is not a child of `{}`\n{self}", child.name(), parent.name());
    }

    /// Every JSON log line, in order.
    pub fn logs(&self) -> &[LogLine] {
        &self.logs
    }

    /// The log lines whose message is `message`.
    pub fn logs_with_message(&self, message: &str) -> Vec<&LogLine> {
        self.logs.iter().filter(|line| line.message() == Some(message)).collect()
    }

    /// Every series the capture changed, sorted by name and labels.
    pub fn metrics(&self) -> &[Metric] {
        &self.metrics
    }

    /// How much the counter `name` grew, summed over its series that have every label in
    /// `labels` (so `&[]` sums them all).
    ///
    /// ```
    /// #[obs::observe]
    /// fn tick() {}
    /// let (captured, ()) = obs::testing::capture(|| { tick(); tick(); });
    /// assert_eq!(captured.counter("function_calls_total", &[("function", "tick")]), 2);
    /// assert_eq!(captured.counter("function_calls_total", &[("result", "error")]), 0);
    /// ```
    pub fn counter(&self, name: &str, labels: &[(&str, &str)]) -> u64 {
        self.series(name, labels)
            .filter_map(|metric| match metric.value {
                MetricValue::Counter(count) => Some(count),
                _ => None,
            })
            .sum()
    }

    /// The values recorded into the histogram `name`, over its series that have every label in
    /// `labels`.
    pub fn histogram(&self, name: &str, labels: &[(&str, &str)]) -> Vec<f64> {
        self.series(name, labels)
            .filter_map(|metric| match &metric.value {
                MetricValue::Histogram(samples) => Some(samples.iter().copied()),
                _ => None,
            })
            .flatten()
            .collect()
    }

    /// The last value of the gauge `name` whose series has every label in `labels`.
    pub fn gauge(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        self.series(name, labels)
            .filter_map(|metric| match metric.value {
                MetricValue::Gauge(value) => Some(value),
                _ => None,
            })
            .last()
    }

    /// Panics, printing what was captured, unless the counter grew by `expected`.
    #[track_caller]
    pub fn assert_counter(&self, name: &str, labels: &[(&str, &str)], expected: u64) {
        let got = self.counter(name, labels);
        assert!(
            got == expected,
            "counter `{name}` {labels:?} grew by {got}, expected {expected}\n{self}"
        );
    }

    fn series<'a>(
        &'a self,
        name: &'a str,
        labels: &'a [(&str, &str)],
    ) -> impl Iterator<Item = &'a Metric> + 'a {
        self.metrics.iter().filter(move |metric| {
            metric.name == name
                && labels
                    .iter()
                    .all(|(key, value)| metric.labels.get(*key).is_some_and(|got| got == value))
        })
    }

    /// Panics, printing where, if `text` is in any log line, span (name, attribute, status,
    /// event) or metric label: for "this never leaves the process".
    ///
    /// ```
    /// #[obs::observe(skip_all)]
    /// fn register(email: &str) { tracing::info!(user = "someone", "registered"); }
    /// let (captured, ()) = obs::testing::capture(|| register("jane@example.com"));
    /// captured.assert_nowhere("jane@example.com");
    /// ```
    #[track_caller]
    pub fn assert_nowhere(&self, text: &str) {
        for line in &self.logs {
            assert!(!line.text.contains(text), "`{text}` is in a log line: {}\n{self}", line.text);
        }
        for span in &self.spans {
            let shown = span.to_string();
            assert!(!shown.contains(text), "`{text}` is in span `{}`\n{self}", span.name());
        }
        for metric in &self.metrics {
            let in_labels = metric.labels.values().any(|value| value.contains(text));
            assert!(!in_labels, "`{text}` is in a label of `{}`\n{self}", metric.name);
        }
    }
}

impl CapturedSpan {
    /// The span's name.
    pub fn name(&self) -> &str {
        &self.data.name
    }

    /// Whether the span is named `name`, or its path ends in `::name`.
    pub fn is_named(&self, name: &str) -> bool {
        let full = self.name();
        full == name || full.strip_suffix(name).is_some_and(|head| head.ends_with("::"))
    }

    /// The value of the attribute `key`.
    pub fn attribute(&self, key: &str) -> Option<&Value> {
        self.data.attributes.iter().find(|kv| kv.key.as_str() == key).map(|kv| &kv.value)
    }

    /// Every attribute, in the order they were recorded.
    pub fn attributes(&self) -> &[KeyValue] {
        &self.data.attributes
    }

    /// Panics, printing the span, unless the attribute `key` is `expected`.
    ///
    /// ```
    /// #[obs::observe]
    /// fn ship(order: u64, express: bool) {}
    /// let (captured, ()) = obs::testing::capture(|| ship(7, true));
    /// let span = captured.span("ship");
    /// span.assert_attribute("order", 7);
    /// span.assert_attribute("express", true);
    /// ```
    #[track_caller]
    pub fn assert_attribute(&self, key: &str, expected: impl Expected) {
        let expected = expected.into_value();
        match self.attribute(key) {
            Some(got) if *got == expected => {}
            Some(got) => {
                panic!("span `{}`: `{key}` is {got:?}, expected {expected:?}\n{self}", self.name())
            }
            None => panic!("span `{}` has no attribute `{key}`\n{self}", self.name()),
        }
    }

    /// The span's status: unset, ok, or an error with its description.
    pub fn status(&self) -> &Status {
        &self.data.status
    }

    /// Whether the span's status is an error.
    pub fn is_error(&self) -> bool {
        matches!(self.data.status, Status::Error { .. })
    }

    /// The description of an error status (the error's text, with `err`); `None` for an error
    /// without one (a panic, `error_if`, an error returned without `err`).
    pub fn status_description(&self) -> Option<&str> {
        match &self.data.status {
            Status::Error { description } if !description.is_empty() => Some(description),
            _ => None,
        }
    }

    /// The span's kind (`Server` for an HTTP request served, `Client` for one sent).
    pub fn kind(&self) -> &SpanKind {
        &self.data.span_kind
    }

    /// The span's events, in order.
    pub fn events(&self) -> &[CapturedEvent] {
        &self.events
    }

    /// The trace id, in hex.
    pub fn trace_id(&self) -> String {
        self.data.span_context.trace_id().to_string()
    }

    /// The span id, in hex.
    pub fn span_id(&self) -> String {
        self.data.span_context.span_id().to_string()
    }

    /// The parent span's id in hex, for a span that has one (in this process or remote).
    pub fn parent_span_id(&self) -> Option<String> {
        (self.data.parent_span_id != SpanId::INVALID).then(|| self.data.parent_span_id.to_string())
    }

    /// The spans it links to (`follows_from`), as (trace id, span id) in hex.
    pub fn links(&self) -> Vec<(String, String)> {
        self.data
            .links
            .links
            .iter()
            .map(|link| {
                (link.span_context.trace_id().to_string(), link.span_context.span_id().to_string())
            })
            .collect()
    }

    /// The exported span, OpenTelemetry's type.
    pub fn data(&self) -> &SpanData {
        &self.data
    }
}

impl CapturedEvent {
    /// The value of the attribute `key`.
    pub fn attribute(&self, key: &str) -> Option<&Value> {
        self.attributes.iter().find(|kv| kv.key.as_str() == key).map(|kv| &kv.value)
    }
}

impl LogLine {
    /// The line as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The line as JSON.
    pub fn json(&self) -> &serde_json::Value {
        &self.json
    }

    /// The message (`msg`).
    pub fn message(&self) -> Option<&str> {
        self.json.get("msg")?.as_str()
    }

    /// The level: `ERROR`, `WARN`, `INFO`, `DEBUG` or `TRACE`.
    pub fn level(&self) -> Option<&str> {
        self.json.get("level")?.as_str()
    }

    /// A field of the line (an event's field, or `trace_id`, `span_id`, `request_id`, `user_id`,
    /// `span`, `target`).
    pub fn field(&self, key: &str) -> Option<&serde_json::Value> {
        self.json.get(key)
    }
}

/// A value [`CapturedSpan::assert_attribute`] compares an attribute with: text, a boolean, a
/// number (integers as obs records them, `i64`), or an OpenTelemetry `Value`.
pub trait Expected {
    /// The attribute value it stands for.
    fn into_value(self) -> Value;
}

impl Expected for Value {
    fn into_value(self) -> Value {
        self
    }
}

impl Expected for &str {
    fn into_value(self) -> Value {
        Value::from(self.to_owned())
    }
}

impl Expected for String {
    fn into_value(self) -> Value {
        Value::from(self)
    }
}

impl Expected for bool {
    fn into_value(self) -> Value {
        Value::Bool(self)
    }
}

impl Expected for f64 {
    fn into_value(self) -> Value {
        Value::F64(self)
    }
}

macro_rules! expected_integers {
    ($($int:ty),*) => {$(
        impl Expected for $int {
            fn into_value(self) -> Value {
                Value::I64(i64::try_from(self).unwrap_or(i64::MAX))
            }
        }
    )*};
}
expected_integers!(i8, i16, i32, i64, u8, u16, u32, u64, usize, isize);

impl fmt::Display for CapturedSpan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.name())?;
        match &self.data.status {
            Status::Error { description } if description.is_empty() => write!(f, " [ERROR]")?,
            Status::Error { description } => write!(f, " [ERROR: {description}]")?,
            Status::Ok => write!(f, " [OK]")?,
            Status::Unset => {}
        }
        for kv in &self.data.attributes {
            write!(f, " {}={}", kv.key, kv.value)?;
        }
        for event in &self.events {
            write!(f, "\n      event {:?}", event.name)?;
            for kv in &event.attributes {
                write!(f, " {}={}", kv.key, kv.value)?;
            }
        }
        for (trace, span) in self.links() {
            write!(f, "\n      link {trace}/{span}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Captured {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "captured {} spans:", self.spans.len())?;
        // As a tree: roots (spans without a captured parent) first, children under them.
        let roots = self.spans.iter().filter(|span| self.parent_of(span).is_none());
        for root in roots {
            self.write_tree(f, root, 1)?;
        }
        writeln!(f, "captured {} log lines:", self.logs.len())?;
        for line in &self.logs {
            writeln!(f, "  {}", line.text)?;
        }
        writeln!(f, "captured {} metric series:", self.metrics.len())?;
        for metric in &self.metrics {
            let labels: Vec<String> =
                metric.labels.iter().map(|(key, value)| format!("{key}=\"{value}\"")).collect();
            let value = match &metric.value {
                MetricValue::Counter(count) => format!("+{count}"),
                MetricValue::Gauge(value) => format!("= {value}"),
                MetricValue::Histogram(samples) => format!("{samples:?}"),
            };
            writeln!(f, "  {}{{{}}} {value}", metric.name, labels.join(","))?;
        }
        Ok(())
    }
}

impl Captured {
    fn write_tree(
        &self,
        f: &mut fmt::Formatter<'_>,
        span: &CapturedSpan,
        depth: usize,
    ) -> fmt::Result {
        writeln!(f, "{:width$}{span}", "", width = depth * 2)?;
        for child in self.children_of(span) {
            self.write_tree(f, child, depth + 1)?;
        }
        Ok(())
    }
}
