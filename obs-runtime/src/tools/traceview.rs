//! Reading the embedded trace file and drawing a trace as a waterfall in the terminal: the tool
//! behind `obs trace --slowest`, `obs trace --failed` and `obs trace <trace id>`.
//!
//! ```
//! let line = concat!(
//!     r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"shop"}}]},"#,
//!     r#""scopeSpans":[{"spans":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","#,
//!     r#""name":"GET /orders","startTimeUnixNano":"1000000","endTimeUnixNano":"5000000","status":{}}]}]}]}"#,
//! );
//! let traces = obs_runtime::traceview::parse(line).unwrap();
//! assert_eq!(traces[0].duration_ms(), 4.0);
//! print!("{}", traces[0].render(&obs_runtime::traceview::Style::default()));
//! ```

use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// Why a trace file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file could not be opened or read.
    #[error(
        "cannot read the trace file {path}: {source}; traces are written there by obs::init when no OTLP endpoint is set (OBS_TRACES_FILE)"
    )]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// No line of the file was an OTLP-JSON trace request.
    #[error("no OTLP-JSON trace request in the input ({bad_lines} unreadable lines)")]
    Empty {
        /// Lines that were not OTLP-JSON.
        bad_lines: usize,
    },
}

/// One span, as the file holds it.
#[derive(Clone, Debug, PartialEq)]
pub struct SpanView {
    /// Trace id (hex).
    pub trace_id: String,
    /// Span id (hex).
    pub span_id: String,
    /// Parent span id, when the parent is in this trace.
    pub parent_span_id: Option<String>,
    /// The span names a parent that is not in the trace: the trace is incomplete (a service's
    /// spans were not exported, or are in another file).
    pub parent_missing: bool,
    /// `service.name` of the span's resource.
    pub service: String,
    /// Span name.
    pub name: String,
    /// Start, Unix nanoseconds.
    pub start_ns: u64,
    /// End, Unix nanoseconds.
    pub end_ns: u64,
    /// Whether the span's status is an error.
    pub failed: bool,
    /// The status message.
    pub message: String,
    /// Attributes, as text.
    pub attributes: BTreeMap<String, String>,
}

impl SpanView {
    /// Duration in milliseconds.
    pub fn duration_ms(&self) -> f64 {
        self.end_ns.saturating_sub(self.start_ns) as f64 / 1e6
    }

    /// The share of the span's duration it was busy (being polled or entered), when recorded
    /// (`busy_ns`, as obs and `tracing-opentelemetry` record it).
    pub fn busy_share(&self) -> Option<f64> {
        let busy: u64 = self.attributes.get("busy_ns")?.parse().ok()?;
        let duration = self.end_ns.saturating_sub(self.start_ns);
        (duration > 0).then(|| busy.min(duration) as f64 / duration as f64)
    }
}

/// The spans of one trace, in start order.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceView {
    /// Trace id (hex).
    pub trace_id: String,
    /// Spans, by start time.
    pub spans: Vec<SpanView>,
}

/// Reads a trace file of OTLP-JSON lines (obs's embedded file, or a collector's file exporter).
pub fn read_file(path: &Path) -> Result<Vec<TraceView>, ReadError> {
    let text = std::fs::read_to_string(path)
        .map_err(|source| ReadError::Io { path: path.display().to_string(), source })?;
    parse(&text)
}

/// Parses OTLP-JSON lines into traces, most recent first. Lines that are not OTLP-JSON are
/// skipped (a file being written can end in half a line).
pub fn parse(text: &str) -> Result<Vec<TraceView>, ReadError> {
    let mut spans: Vec<SpanView> = Vec::new();
    let mut bad_lines = 0;
    let mut good_lines = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        match serde_json::from_str::<Value>(line) {
            Ok(request) if request.get("resourceSpans").is_some() => {
                good_lines += 1;
                collect(&request, &mut spans);
            }
            _ => bad_lines += 1,
        }
    }
    if good_lines == 0 {
        return Err(ReadError::Empty { bad_lines });
    }
    let mut by_trace: BTreeMap<String, Vec<SpanView>> = BTreeMap::new();
    for span in spans {
        by_trace.entry(span.trace_id.clone()).or_default().push(span);
    }
    let mut traces: Vec<TraceView> = by_trace
        .into_iter()
        .map(|(trace_id, mut spans)| {
            spans.sort_by_key(|s| (s.start_ns, std::cmp::Reverse(s.end_ns)));
            let ids: Vec<String> = spans.iter().map(|s| s.span_id.clone()).collect();
            for span in &mut spans {
                let parent = span.parent_span_id.take();
                span.parent_missing = parent.as_ref().is_some_and(|p| !ids.contains(p));
                span.parent_span_id = parent.filter(|p| ids.contains(p));
            }
            TraceView { trace_id, spans }
        })
        .collect();
    traces.sort_by_key(|t| std::cmp::Reverse(t.start_ns()));
    Ok(traces)
}

fn collect(request: &Value, out: &mut Vec<SpanView>) {
    for rs in request["resourceSpans"].as_array().into_iter().flatten() {
        let service =
            text_attribute(&rs["resource"], "service.name").unwrap_or_else(|| "unknown".into());
        for ss in rs["scopeSpans"].as_array().into_iter().flatten() {
            for span in ss["spans"].as_array().into_iter().flatten() {
                let status = &span["status"];
                let failed = status["code"] == 2 || status["code"] == "STATUS_CODE_ERROR";
                let attributes = span["attributes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|kv| {
                        Some((kv["key"].as_str()?.to_owned(), any_value(&kv["value"])))
                    })
                    .collect();
                out.push(SpanView {
                    trace_id: span["traceId"].as_str().unwrap_or_default().to_owned(),
                    span_id: span["spanId"].as_str().unwrap_or_default().to_owned(),
                    parent_span_id: span["parentSpanId"]
                        .as_str()
                        .filter(|p| !p.is_empty())
                        .map(str::to_owned),
                    parent_missing: false,
                    service: service.clone(),
                    name: span["name"].as_str().unwrap_or_default().to_owned(),
                    start_ns: nanos(&span["startTimeUnixNano"]),
                    end_ns: nanos(&span["endTimeUnixNano"]),
                    failed,
                    message: status["message"].as_str().unwrap_or_default().to_owned(),
                    attributes,
                });
            }
        }
    }
}

/// A 64-bit integer that OTLP-JSON may write as a number or a string.
fn nanos(v: &Value) -> u64 {
    v.as_u64().or_else(|| v.as_str()?.parse().ok()).unwrap_or_default()
}

fn any_value(v: &Value) -> String {
    for key in ["stringValue", "intValue", "doubleValue", "boolValue"] {
        if let Some(x) = v.get(key) {
            return x.as_str().map_or_else(|| x.to_string(), str::to_owned);
        }
    }
    v.to_string()
}

fn text_attribute(object: &Value, key: &str) -> Option<String> {
    object["attributes"]
        .as_array()?
        .iter()
        .find(|kv| kv["key"] == key)
        .map(|kv| any_value(&kv["value"]))
}

impl TraceView {
    /// Start of the earliest span, Unix nanoseconds.
    pub fn start_ns(&self) -> u64 {
        self.spans.iter().map(|s| s.start_ns).min().unwrap_or_default()
    }

    /// End of the latest span, Unix nanoseconds.
    pub fn end_ns(&self) -> u64 {
        self.spans.iter().map(|s| s.end_ns).max().unwrap_or_default()
    }

    /// From the first start to the last end, in milliseconds.
    pub fn duration_ms(&self) -> f64 {
        self.end_ns().saturating_sub(self.start_ns()) as f64 / 1e6
    }

    /// The spans without a parent in the trace.
    pub fn roots(&self) -> impl Iterator<Item = &SpanView> {
        self.spans.iter().filter(|s| s.parent_span_id.is_none())
    }

    /// Whether a span failed.
    pub fn failed(&self) -> bool {
        self.spans.iter().any(|s| s.failed)
    }

    /// The failed span deepest in the trace: where the failure started.
    pub fn failing_span(&self) -> Option<&SpanView> {
        self.spans.iter().filter(|s| s.failed).max_by_key(|s| self.depth(s))
    }

    /// The spans whose parent is `parent`.
    pub fn children<'a>(&'a self, parent: &'a SpanView) -> impl Iterator<Item = &'a SpanView> {
        self.spans
            .iter()
            .filter(move |s| s.parent_span_id.as_deref() == Some(parent.span_id.as_str()))
    }

    /// Every span with its depth, parents before their children (the waterfall's rows).
    pub(crate) fn depth_first(&self) -> Vec<(usize, &SpanView)> {
        fn walk<'a>(
            t: &'a TraceView,
            span: &'a SpanView,
            depth: usize,
            out: &mut Vec<(usize, &'a SpanView)>,
        ) {
            out.push((depth, span));
            for child in t.children(span) {
                walk(t, child, depth + 1, out);
            }
        }
        let mut rows = Vec::new();
        for root in self.roots() {
            walk(self, root, 0, &mut rows);
        }
        rows
    }

    fn depth(&self, span: &SpanView) -> usize {
        let mut depth = 0;
        let mut current = span;
        while let Some(parent) = current
            .parent_span_id
            .as_ref()
            .and_then(|p| self.spans.iter().find(|s| &s.span_id == p))
        {
            depth += 1;
            current = parent;
        }
        depth
    }

    /// Time in `span` not covered by its children: where the time went.
    pub fn self_time_ns(&self, span: &SpanView) -> u64 {
        let mut intervals: Vec<(u64, u64)> = self
            .children(span)
            .map(|c| (c.start_ns.max(span.start_ns), c.end_ns.min(span.end_ns)))
            .filter(|(s, e)| e > s)
            .collect();
        intervals.sort_unstable();
        let mut covered = 0;
        let mut cursor = span.start_ns;
        for (start, end) in intervals {
            let start = start.max(cursor);
            if end > start {
                covered += end - start;
                cursor = end;
            }
        }
        span.end_ns.saturating_sub(span.start_ns).saturating_sub(covered)
    }

    /// The span with the most time of its own.
    pub fn slowest_span(&self) -> Option<&SpanView> {
        self.spans.iter().max_by_key(|s| self.self_time_ns(s))
    }

    /// Whether a span of the trace names a parent that is not in it.
    pub fn is_incomplete(&self) -> bool {
        self.spans.iter().any(|s| s.parent_missing)
    }

    /// The critical path: the spans that, one after the other, the trace's end waited for.
    /// The standard walk: from the end of the longest root back through the child that
    /// finished last before that point, then the child that finished before that one started,
    /// and so on, recursively into each. In start order.
    pub fn critical_path(&self) -> Vec<&SpanView> {
        self.critical_segments().into_iter().map(|segment| segment.span).collect()
    }

    /// The critical path with each span's own time on it (its time on the path not covered by
    /// its children on the path), in start order.
    pub fn critical_segments(&self) -> Vec<CriticalSegment<'_>> {
        let mut out = Vec::new();
        if let Some(root) = self.roots().max_by_key(|s| s.end_ns.saturating_sub(s.start_ns)) {
            self.walk_critical(root, root.end_ns, &mut out);
        }
        out.sort_by_key(|segment| (segment.span.start_ns, std::cmp::Reverse(segment.span.end_ns)));
        out
    }

    /// `span`'s part of the critical path up to `until`, and its children's.
    fn walk_critical<'a>(
        &'a self,
        span: &'a SpanView,
        until: u64,
        out: &mut Vec<CriticalSegment<'a>>,
    ) {
        let end = span.end_ns.min(until);
        let mut cursor = end;
        let mut covered = 0;
        // A child is clamped to its parent: one that outlives it (fire and forget) did not hold
        // it up past its end.
        let children: Vec<&SpanView> = self.children(span).collect();
        while cursor > span.start_ns {
            let last = children
                .iter()
                .filter(|c| c.end_ns.min(end) <= cursor && c.start_ns < cursor)
                .max_by_key(|c| (c.end_ns.min(end), c.start_ns));
            let Some(child) = last else { break };
            let child_end = child.end_ns.min(end);
            let child_start = child.start_ns.max(span.start_ns);
            covered += child_end.saturating_sub(child_start);
            self.walk_critical(child, child_end, out);
            cursor = child_start;
        }
        let on_path = end.saturating_sub(span.start_ns);
        out.push(CriticalSegment { span, self_ns: on_path.saturating_sub(covered) });
    }

    /// The trace as a waterfall: one line per span, indented under its parent, with its
    /// service, a bar on the trace's time axis, its duration; the critical path drawn solid,
    /// the slowest span and the failing one marked.
    pub fn render(&self, style: &Style) -> String {
        let start = self.start_ns();
        let total = self.end_ns().saturating_sub(start).max(1);
        let width = style.width.max(10);
        let critical: Vec<&str> = self.critical_path().iter().map(|s| s.span_id.as_str()).collect();
        let slowest = self.slowest_span().map(|s| s.span_id.clone());
        let failing = self.failing_span().map(|s| s.span_id.clone());

        let ordered = self.depth_first();
        let service_width =
            ordered.iter().map(|(_, s)| s.service.chars().count()).max().unwrap_or(0);
        let name_width =
            ordered.iter().map(|(d, s)| d * 2 + s.name.chars().count()).max().unwrap_or(0).min(48);

        let mut out = String::new();
        let status = if self.failed() { "FAILED" } else { "ok" };
        let _ = writeln!(
            out,
            "trace {}  {:.1} ms  {} spans  {status}",
            self.trace_id,
            self.duration_ms(),
            self.spans.len()
        );
        let axis_label = format!("{:.1} ms", total as f64 / 1e6);
        let _ = writeln!(
            out,
            "{:service_width$}  {:name_width$}  0{}{axis_label}",
            "",
            "",
            " ".repeat(width.saturating_sub(1 + axis_label.len()))
        );
        for (depth, span) in ordered {
            let offset = ((span.start_ns.saturating_sub(start)) as u128 * width as u128
                / total as u128) as usize;
            let length = ((span.end_ns.saturating_sub(span.start_ns)) as u128 * width as u128
                / total as u128)
                .max(1) as usize;
            let offset = offset.min(width - 1);
            let length = length.min(width - offset);
            let on_path = critical.contains(&span.span_id.as_str());
            let fill = if on_path { "█" } else { "░" };
            // A span that waited (`idle_ns`) shows its idle share dotted: how much, not when.
            let busy = match span.busy_share() {
                Some(share) => ((length as f64 * share).round() as usize).clamp(1, length),
                None => length,
            };
            let bar = format!(
                "{}{}{}{}",
                " ".repeat(offset),
                fill.repeat(busy),
                "·".repeat(length - busy),
                " ".repeat(width - offset - length)
            );
            let indent =
                if depth == 0 { String::new() } else { format!("{}└ ", "  ".repeat(depth - 1)) };
            let label: String = format!("{indent}{}", span.name).chars().take(name_width).collect();
            let mut marks = String::new();
            if failing.as_deref() == Some(span.span_id.as_str()) {
                let _ = write!(
                    marks,
                    "  ✗ {}",
                    if span.message.is_empty() { "failed" } else { &span.message }
                );
            } else if span.failed {
                marks.push_str("  ✗");
            }
            if slowest.as_deref() == Some(span.span_id.as_str()) {
                marks.push_str("  ◀ slowest");
            }
            let (open, close) =
                match (style.color, span.failed, slowest.as_deref() == Some(span.span_id.as_str()))
                {
                    (true, true, _) => ("\x1b[31m", "\x1b[0m"),
                    (true, false, true) => ("\x1b[33m", "\x1b[0m"),
                    _ => ("", ""),
                };
            let _ = writeln!(
                out,
                "{open}{:service_width$}  {label:name_width$}  {bar} {:>9.1} ms{marks}{close}",
                span.service,
                span.duration_ms()
            );
        }
        let legend = if self.spans.iter().any(|s| s.busy_share().is_some()) {
            "█ critical path   ░ other spans   · idle (waiting)   ✗ failed   ◀ most time of its own"
        } else {
            "█ critical path   ░ other spans   ✗ failed   ◀ most time of its own"
        };
        let _ = writeln!(out, "{legend}");
        out
    }
}

/// A span on the critical path, with its own time on it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CriticalSegment<'a> {
    /// The span.
    pub span: &'a SpanView,
    /// Its time on the critical path not covered by its children on it, in nanoseconds.
    pub self_ns: u64,
}

/// How to draw a waterfall.
#[derive(Clone, Debug, PartialEq)]
pub struct Style {
    /// Width of the time axis, in characters.
    pub width: usize,
    /// ANSI colours: failed spans red, the slowest span yellow.
    pub color: bool,
}

impl Default for Style {
    fn default() -> Self {
        Style { width: 48, color: false }
    }
}
