//! `obs report --html`: one self-contained HTML page (no network access needed to open it) of
//! what the trace file says: per operation, its signals and a latency histogram; the `obs why`
//! findings for the slow and the failed traces; the waterfalls of the slowest and of a failed
//! trace, as SVG, with the critical path, busy and idle time, and the failing span.
//!
//! ```
//! use obs_runtime::traceview::parse;
//! let traces = parse(&obs_runtime::why::example_traces()).unwrap();
//! let page = obs_runtime::report::html(&traces, &[], "example");
//! assert!(page.starts_with("<!DOCTYPE html>") && page.contains("db::scan_history"));
//! ```

use super::traceview::TraceView;
use super::why::{self, SlowBy};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The signals of one operation, from its traces in the file.
#[derive(Clone, Debug, PartialEq)]
pub struct OperationSummary {
    /// The root span's name.
    pub operation: String,
    /// Its service.
    pub service: String,
    /// Traces of it in the file.
    pub traces: usize,
    /// Failed ones.
    pub failed: usize,
    /// Latency percentiles (p50, p95, p99), ms.
    pub p50_ms: f64,
    /// See `p50_ms`.
    pub p95_ms: f64,
    /// See `p50_ms`.
    pub p99_ms: f64,
    /// Traces per latency bucket (upper bounds in [`BUCKETS_MS`]; the last is everything above).
    pub histogram: Vec<usize>,
}

/// Upper bounds of the report's latency buckets, in milliseconds.
pub const BUCKETS_MS: [f64; 12] =
    [1.0, 2.5, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0];

/// The operations of the traces (root span names), the busiest first.
pub fn operations(traces: &[TraceView]) -> Vec<OperationSummary> {
    let mut by_operation: BTreeMap<(String, String), Vec<&TraceView>> = BTreeMap::new();
    for trace in traces.iter().filter(|t| !t.is_incomplete()) {
        if let Some(root) = trace.roots().min_by_key(|s| s.start_ns) {
            by_operation.entry((root.name.clone(), root.service.clone())).or_default().push(trace);
        }
    }
    let mut out: Vec<OperationSummary> = by_operation
        .into_iter()
        .map(|((operation, service), traces)| {
            let mut durations: Vec<f64> = traces.iter().map(|t| t.duration_ms()).collect();
            durations.sort_by(f64::total_cmp);
            let quantile = |q: f64| {
                let rank = ((q * durations.len() as f64).ceil() as usize).clamp(1, durations.len());
                durations[rank - 1]
            };
            let mut histogram = vec![0; BUCKETS_MS.len() + 1];
            for d in &durations {
                let bucket = BUCKETS_MS.iter().position(|b| d <= b).unwrap_or(BUCKETS_MS.len());
                histogram[bucket] += 1;
            }
            OperationSummary {
                failed: traces.iter().filter(|t| t.failed()).count(),
                traces: traces.len(),
                p50_ms: quantile(0.5),
                p95_ms: quantile(0.95),
                p99_ms: quantile(0.99),
                histogram,
                operation,
                service,
            }
        })
        .collect();
    out.sort_by(|a, b| b.traces.cmp(&a.traces).then_with(|| a.operation.cmp(&b.operation)));
    out
}

/// The page. `logs` are JSON log lines (for the failed trace's lines); `title` names the system.
pub fn html(traces: &[TraceView], logs: &[String], title: &str) -> String {
    let operations = operations(traces);
    let slow = why::slow(traces, None, SlowBy::Percentile(95.0));
    let failed = why::failed(traces, None, logs);
    let slowest = traces
        .iter()
        .filter(|t| !t.is_incomplete())
        .max_by(|a, b| a.duration_ms().total_cmp(&b.duration_ms()));
    let failed_trace = failed
        .as_ref()
        .ok()
        .and_then(|r| r.groups.first())
        .and_then(|g| g.examples.first())
        .and_then(|id| traces.iter().find(|t| &t.trace_id == id));

    let mut page = String::new();
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{} — obs report</title><style>{STYLE}</style></head><body>\n<h1>{}: why is it slow, why did it fail?</h1>\n<p class=\"note\">From {} traces in the trace file (the sampled ones and every failed or slow one). Open a trace with <code>obs trace &lt;id&gt;</code>.</p>\n",
        escape(title),
        escape(title),
        traces.len()
    );
    page.push_str("<h2>Operations</h2>\n<table id=\"operations\"><thead><tr><th>operation</th><th>service</th><th>traces</th><th>failed</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th><th>latency</th></tr></thead><tbody></tbody></table>\n");
    page.push_str("<h2>Why is it slow?</h2>\n");
    match &slow {
        Ok(report) => {
            let _ = writeln!(page, "<pre id=\"why-slow\">{}</pre>", escape(&report.to_string()));
        }
        Err(error) => {
            let _ = writeln!(page, "<p id=\"why-slow\">{}</p>", escape(&error.to_string()));
        }
    }
    if let Some(trace) = slowest {
        let _ = write!(page, "<h3>The slowest trace</h3>\n{}\n", waterfall(trace, "slowest"));
    }
    page.push_str("<h2>Why did it fail?</h2>\n");
    match &failed {
        Ok(report) if report.failed > 0 => {
            let _ = writeln!(page, "<pre id=\"why-failed\">{}</pre>", escape(&report.to_string()));
        }
        _ => page.push_str("<p id=\"why-failed\">No failed trace in the file.</p>\n"),
    }
    if let Some(trace) = failed_trace {
        let _ = write!(page, "<h3>A failed trace</h3>\n{}\n", waterfall(trace, "failed"));
    }
    // The operations table and its histograms are drawn from this data by the script below:
    // the page works offline, and a browser test can see that scripts ran.
    let data: Vec<serde_json::Value> = operations
        .iter()
        .map(|o| {
            serde_json::json!({
                "operation": o.operation, "service": o.service, "traces": o.traces,
                "failed": o.failed, "p50_ms": o.p50_ms, "p95_ms": o.p95_ms, "p99_ms": o.p99_ms,
                "histogram": o.histogram,
            })
        })
        .collect();
    let data = serde_json::Value::Array(data).to_string();
    let _ = write!(
        page,
        "<script id=\"data\" type=\"application/json\">{}</script>\n<script>{SCRIPT}</script>\n</body></html>\n",
        data.replace("</", "<\\/")
    );
    page
}

/// A trace as an SVG waterfall: a row per span, indented under its parent, its bar on the
/// trace's time axis; the critical path dark, other spans light, the busy share of a span
/// solid and its idle share hatched, the failing span red.
pub fn waterfall(trace: &TraceView, id: &str) -> String {
    const ROW: usize = 22;
    const LABEL: usize = 430;
    const BAR: usize = 560;
    let start = trace.start_ns();
    let total = trace.end_ns().saturating_sub(start).max(1) as f64;
    let critical: Vec<&str> = trace.critical_path().iter().map(|s| s.span_id.as_str()).collect();
    let failing = trace.failing_span().map(|s| s.span_id.clone());
    let rows = trace.depth_first();
    let height = ROW * (rows.len() + 1) + 8;
    let width = LABEL + BAR + 110;
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<figure><figcaption>trace <code>{}</code> · {:.1} ms · {} spans{}</figcaption>\n<svg id=\"waterfall-{id}\" class=\"waterfall\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\">\n<defs><pattern id=\"idle-{id}\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#fff\" stroke-width=\"3.5\" stroke-opacity=\"0.8\"/></pattern></defs>\n",
        escape(&trace.trace_id),
        trace.duration_ms(),
        trace.spans.len(),
        if trace.failed() { " · FAILED" } else { "" }
    );
    let _ = writeln!(
        svg,
        "<text x=\"{LABEL}\" y=\"14\" class=\"axis\">0</text><text x=\"{}\" y=\"14\" class=\"axis\" text-anchor=\"end\">{:.1} ms</text>",
        LABEL + BAR,
        total / 1e6
    );
    for (row, (depth, span)) in rows.iter().enumerate() {
        let y = ROW * (row + 1) + 4;
        let x = LABEL as f64 + (span.start_ns.saturating_sub(start)) as f64 / total * BAR as f64;
        let w = ((span.end_ns.saturating_sub(span.start_ns)) as f64 / total * BAR as f64).max(1.0);
        let on_path = critical.contains(&span.span_id.as_str());
        let is_failing = failing.as_deref() == Some(span.span_id.as_str());
        let class = match (is_failing, span.failed, on_path) {
            (true, _, _) => "span failing",
            (false, true, _) => "span failed",
            (false, false, true) => "span critical",
            _ => "span",
        };
        let duration = span.end_ns.saturating_sub(span.start_ns);
        let busy = span
            .attributes
            .get("busy_ns")
            .and_then(|b| b.parse::<u64>().ok())
            .map(|b| b.min(duration));
        let _ = write!(
            svg,
            "<g class=\"{class}\" data-span=\"{}\" data-critical=\"{on_path}\"><title>{} ({}): {:.3} ms{}{}</title><text x=\"{}\" y=\"{}\" class=\"label\">{} <tspan class=\"service\">{}</tspan></text>",
            escape(&span.span_id),
            escape(&span.name),
            escape(&span.service),
            duration as f64 / 1e6,
            busy.map_or(String::new(), |b| format!(
                ", busy {:.3} ms, idle {:.3} ms",
                b as f64 / 1e6,
                (duration - b) as f64 / 1e6
            )),
            if span.message.is_empty() {
                String::new()
            } else {
                format!(" — {}", escape(&span.message))
            },
            4 + depth * 14,
            y + 13,
            escape(&span.name),
            escape(&span.service),
        );
        match busy {
            // The busy share solid, the idle share hatched over it: how much, not when.
            Some(b) if duration > 0 => {
                let busy_w = w * b as f64 / duration as f64;
                let _ = write!(
                    svg,
                    "<rect class=\"bar\" x=\"{x:.1}\" y=\"{y}\" width=\"{w:.1}\" height=\"16\"/><rect class=\"idle\" x=\"{:.1}\" y=\"{y}\" width=\"{:.1}\" height=\"16\" fill=\"url(#idle-{id})\"/>",
                    x + busy_w,
                    (w - busy_w).max(0.0)
                );
            }
            _ => {
                let _ = write!(
                    svg,
                    "<rect class=\"bar\" x=\"{x:.1}\" y=\"{y}\" width=\"{w:.1}\" height=\"16\"/>"
                );
            }
        }
        let _ = writeln!(
            svg,
            "<text x=\"{}\" y=\"{}\" class=\"duration\">{:.1} ms{}</text></g>",
            LABEL + BAR + 6,
            y + 13,
            duration as f64 / 1e6,
            if is_failing { " ✗" } else { "" }
        );
    }
    svg.push_str("</svg></figure>\n<p class=\"legend\"><span class=\"key critical\"></span> critical path <span class=\"key\"></span> other spans <span class=\"key idle\"></span> idle (waiting) <span class=\"key failing\"></span> failed</p>");
    svg
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font:14px system-ui,sans-serif;margin:2em;color:#222}h1{font-size:1.4em}table{border-collapse:collapse}td,th{padding:4px 10px;border-bottom:1px solid #ddd;text-align:right}td:first-child,th:first-child,td:nth-child(2){text-align:left}pre{background:#f6f6f6;padding:1em;overflow:auto}.note{color:#666}.waterfall text{font:12px ui-monospace,monospace}.label .service{fill:#888}.axis{fill:#888}.bar{fill:#b9c7e6}.critical .bar{fill:#2b4c9c}.failed .bar{fill:#e8a3a3}.failing .bar{fill:#c62828}.failing text{fill:#c62828}.legend .key{display:inline-block;width:14px;height:10px;background:#b9c7e6;margin:0 4px 0 12px}.legend .critical{background:#2b4c9c}.legend .failing{background:#c62828}.legend .idle{background:repeating-linear-gradient(45deg,#2b4c9c 0 2px,#fff 2px 4px)}.hist rect{fill:#2b4c9c}";

/// Fills the operations table from the embedded data, with a small latency histogram per row.
const SCRIPT: &str = r#"(function(){
var ops=JSON.parse(document.getElementById('data').textContent);
var body=document.querySelector('#operations tbody');
ops.forEach(function(op){
 var tr=document.createElement('tr');tr.className='operation';
 [op.operation,op.service,op.traces,op.failed,op.p50_ms.toFixed(1),op.p95_ms.toFixed(1),op.p99_ms.toFixed(1)].forEach(function(v){var td=document.createElement('td');td.textContent=v;tr.appendChild(td);});
 var max=Math.max.apply(null,op.histogram)||1;var ns='http://www.w3.org/2000/svg';
 var svg=document.createElementNS(ns,'svg');svg.setAttribute('class','hist');svg.setAttribute('width',op.histogram.length*8);svg.setAttribute('height',24);
 op.histogram.forEach(function(n,i){var r=document.createElementNS(ns,'rect');var h=Math.round(22*n/max);r.setAttribute('x',i*8);r.setAttribute('y',24-h);r.setAttribute('width',7);r.setAttribute('height',h);svg.appendChild(r);});
 var td=document.createElement('td');td.appendChild(svg);tr.appendChild(td);body.appendChild(tr);
});
document.body.setAttribute('data-ready','true');
})();"#;
