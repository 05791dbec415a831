//! `obs why`: the pattern behind many traces. Which span makes the slow requests of an
//! operation slow, and what they have in common that the others do not; where failed requests
//! fail, and what they share. Computed from the embedded trace file (one or several, one per
//! service), with no server.
//!
//! ```
//! use obs_runtime::traceview::parse;
//! use obs_runtime::why::{SlowBy, slow};
//! # let lines = obs_runtime::why::example_traces();
//! let traces = parse(&lines).unwrap();
//! let report = slow(&traces, None, SlowBy::Percentile(95.0)).unwrap();
//! assert_eq!(report.findings[0].subject(), "db::scan_history (db)");
//! print!("{report}");
//! ```

use super::traceview::{SpanView, TraceView};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

/// How the slow traces of an operation are chosen.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SlowBy {
    /// At or above this duration, in milliseconds.
    Threshold(f64),
    /// At or above this percentile of the operation's durations (e.g. 95).
    Percentile(f64),
}

/// Why `obs why` could not answer.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum WhyError {
    /// No trace of the operation in the input.
    #[error(
        "no complete trace of operation {0:?} in the input; `obs trace --list` shows the operations"
    )]
    NoOperation(String),
    /// No trace at all.
    #[error("no complete trace in the input")]
    NoTraces,
    /// The choice of slow traces leaves one side empty.
    #[error(
        "{slow} slow and {baseline} other traces of {operation:?}: nothing to compare; choose another --threshold or --percentile"
    )]
    NothingToCompare {
        /// The operation.
        operation: String,
        /// Traces in the slow set.
        slow: usize,
        /// Traces in the baseline.
        baseline: usize,
    },
}

/// A trace's operation: its root span's name, and the service it ran in.
fn operation_of(trace: &TraceView) -> Option<(&str, &str)> {
    let root = trace.roots().min_by_key(|s| s.start_ns)?;
    Some((root.name.as_str(), root.service.as_str()))
}

/// The complete traces of `operation` (or of the operation of the slowest trace), and the
/// number of incomplete ones left out.
fn select<'a>(
    traces: &'a [TraceView],
    operation: Option<&str>,
    by: impl Fn(&TraceView) -> bool,
) -> Result<(String, String, Vec<&'a TraceView>, usize), WhyError> {
    let (complete, incomplete): (Vec<&TraceView>, Vec<&TraceView>) =
        traces.iter().partition(|t| !t.is_incomplete());
    let chosen = match operation {
        Some(name) => name.to_owned(),
        None => complete
            .iter()
            .filter(|t| by(t))
            .max_by(|a, b| a.duration_ms().total_cmp(&b.duration_ms()))
            .and_then(|t| operation_of(t))
            .map(|(name, _)| name.to_owned())
            .ok_or(WhyError::NoTraces)?,
    };
    let of: Vec<&TraceView> = complete
        .into_iter()
        .filter(|t| operation_of(t).is_some_and(|(name, _)| name == chosen))
        .collect();
    let service = of
        .first()
        .and_then(|t| operation_of(t))
        .map(|(_, service)| service.to_owned())
        .ok_or_else(|| WhyError::NoOperation(chosen.clone()))?;
    // An incomplete trace's operation cannot be told (its root may be what is missing): all of
    // them are counted.
    Ok((chosen, service, of, incomplete.len()))
}

/// `(service, span name)`, how findings name a span.
type SpanKey = (String, String);

fn key(span: &SpanView) -> SpanKey {
    (span.service.clone(), span.name.clone())
}

/// One thing the slow (or failed) traces have that the others do not.
#[derive(Clone, Debug, PartialEq)]
pub enum Finding {
    /// A span that takes much more of the critical path in the slow traces.
    CriticalPath {
        /// The span's service and name.
        span: SpanKey,
        /// Its share of the slow traces' critical path, 0 to 1.
        slow_share: f64,
        /// Its share of the other traces' critical path.
        baseline_share: f64,
        /// How much longer it is on the critical path per slow trace than per other trace, ms.
        excess_ms: f64,
        /// The share of the slow traces' extra duration this explains, 0 to 1.
        explains: f64,
        /// The share of the span's own duration spent outside its children, in slow traces.
        self_share: f64,
        /// The share of its duration it was being polled (busy), when recorded.
        busy_share: Option<f64>,
        /// The heaviest child it waited for, when it mostly waits.
        waits_for: Option<SpanKey>,
        /// Slow traces to open with `obs trace`.
        examples: Vec<String>,
    },
    /// An attribute value over-represented in the slow or failed traces.
    Attribute {
        /// `key=value`.
        attribute: String,
        /// Share of the selected traces that have it.
        share: f64,
        /// Share of the other traces that have it.
        baseline_share: f64,
        /// Two-sided p-value of the difference (two-proportion z-test).
        p_value: f64,
        /// Traces to open.
        examples: Vec<String>,
    },
}

impl Finding {
    /// What the finding is about: a span (`name (service)`) or an attribute (`key=value`).
    pub fn subject(&self) -> String {
        match self {
            Finding::CriticalPath { span, .. } => format!("{} ({})", span.1, span.0),
            Finding::Attribute { attribute, .. } => attribute.clone(),
        }
    }
}

/// The answer of `obs why --slow`.
#[derive(Clone, Debug, PartialEq)]
pub struct SlowReport {
    /// The operation (the root span's name) and its service.
    pub operation: String,
    /// The service the operation runs in.
    pub service: String,
    /// Slow traces and their cutoff, ms.
    pub slow: usize,
    /// The duration at or above which a trace is slow, ms.
    pub cutoff_ms: f64,
    /// Other traces of the operation.
    pub baseline: usize,
    /// Mean duration of the slow traces and of the others, ms.
    pub mean_ms: (f64, f64),
    /// Incomplete traces left out.
    pub incomplete: usize,
    /// Findings, the most explaining first.
    pub findings: Vec<Finding>,
}

/// The least a span must explain of the slow traces' extra duration to be reported.
const MIN_EXPLAINED: f64 = 0.05;
/// Attribute findings need at least this many traces with the value…
const MIN_SUPPORT: usize = 3;
/// …a difference of shares at least this large…
const MIN_DIFFERENCE: f64 = 0.25;
/// …and a p-value below this (strict, since many attributes are compared at once).
const MAX_P_VALUE: f64 = 0.001;
/// An attribute with more distinct values than this share of the traces is an id, not a cause.
const MAX_DISTINCT_SHARE: f64 = 0.2;
/// Example trace ids per finding.
const EXAMPLES: usize = 3;

/// `obs why --slow`: the slow traces of `operation` (by default, the operation of the slowest
/// trace) against its other traces.
pub fn slow(
    traces: &[TraceView],
    operation: Option<&str>,
    by: SlowBy,
) -> Result<SlowReport, WhyError> {
    let (operation, service, of, incomplete) = select(traces, operation, |_| true)?;
    let mut durations: Vec<f64> = of.iter().map(|t| t.duration_ms()).collect();
    durations.sort_by(f64::total_cmp);
    let cutoff_ms = match by {
        SlowBy::Threshold(ms) => ms,
        SlowBy::Percentile(p) => {
            let rank = ((p / 100.0) * durations.len() as f64).ceil() as usize;
            durations[rank.clamp(1, durations.len()) - 1]
        }
    };
    let (slow, baseline): (Vec<&TraceView>, Vec<&TraceView>) =
        of.into_iter().partition(|t| t.duration_ms() >= cutoff_ms);
    if slow.is_empty() || baseline.is_empty() {
        return Err(WhyError::NothingToCompare {
            operation,
            slow: slow.len(),
            baseline: baseline.len(),
        });
    }
    let mean =
        |set: &[&TraceView]| set.iter().map(|t| t.duration_ms()).sum::<f64>() / set.len() as f64;
    let mean_ms = (mean(&slow), mean(&baseline));
    let mut findings = critical_path_findings(&slow, &baseline, mean_ms.0 - mean_ms.1);
    findings.extend(attribute_findings(&slow, &baseline, &[]));
    Ok(SlowReport {
        operation,
        service,
        slow: slow.len(),
        cutoff_ms,
        baseline: baseline.len(),
        mean_ms,
        incomplete,
        findings,
    })
}

/// Per span key, its own time on the critical path of each trace, summed over `set`, and the
/// summed critical path.
fn critical_time(set: &[&TraceView]) -> (HashMap<SpanKey, f64>, f64) {
    let mut per_key: HashMap<SpanKey, f64> = HashMap::new();
    let mut total = 0.0;
    for trace in set {
        for segment in trace.critical_segments() {
            let ms = segment.self_ns as f64 / 1e6;
            *per_key.entry(key(segment.span)).or_default() += ms;
            total += ms;
        }
    }
    (per_key, total)
}

fn critical_path_findings(
    slow: &[&TraceView],
    baseline: &[&TraceView],
    extra_ms: f64,
) -> Vec<Finding> {
    let (slow_time, slow_total) = critical_time(slow);
    let (base_time, base_total) = critical_time(baseline);
    let mut findings: Vec<Finding> = slow_time
        .iter()
        .filter_map(|(span, &time)| {
            let base = base_time.get(span).copied().unwrap_or(0.0);
            let excess_ms = time / slow.len() as f64 - base / baseline.len() as f64;
            let explains = if extra_ms > 0.0 { excess_ms / extra_ms } else { 0.0 };
            (explains >= MIN_EXPLAINED).then(|| {
                let (self_share, busy_share, waits_for) = how_it_spends(slow, span);
                Finding::CriticalPath {
                    span: span.clone(),
                    slow_share: time / slow_total.max(f64::MIN_POSITIVE),
                    baseline_share: base / base_total.max(f64::MIN_POSITIVE),
                    excess_ms,
                    explains,
                    self_share,
                    busy_share,
                    waits_for,
                    examples: examples(slow, |t| t.spans.iter().any(|s| &key(s) == span)),
                }
            })
        })
        .collect();
    findings.sort_by(|a, b| explained(b).total_cmp(&explained(a)));
    findings
}

fn explained(finding: &Finding) -> f64 {
    match finding {
        Finding::CriticalPath { explains, .. } => *explains,
        Finding::Attribute { .. } => 0.0,
    }
}

/// In the slow traces, how a span spends its time: its own share, the share it was busy (when
/// recorded as `busy_ns`), and the child it mostly waits for.
fn how_it_spends(slow: &[&TraceView], span: &SpanKey) -> (f64, Option<f64>, Option<SpanKey>) {
    let (mut total, mut own, mut busy, mut busy_known) = (0u64, 0u64, 0u64, 0u64);
    let mut children: HashMap<SpanKey, u64> = HashMap::new();
    for trace in slow {
        for s in trace.spans.iter().filter(|s| &key(s) == span) {
            let duration = s.end_ns.saturating_sub(s.start_ns);
            total += duration;
            own += trace.self_time_ns(s);
            if let Some(b) = s.attributes.get("busy_ns").and_then(|b| b.parse::<u64>().ok()) {
                busy += b.min(duration);
                busy_known += duration;
            }
            for child in trace.children(s) {
                *children.entry(key(child)).or_default() +=
                    child.end_ns.saturating_sub(child.start_ns);
            }
        }
    }
    let self_share = own as f64 / total.max(1) as f64;
    let busy_share = (busy_known > 0).then(|| busy as f64 / busy_known as f64);
    let waits_for = (self_share < 0.5)
        .then(|| children.into_iter().max_by_key(|(_, time)| *time).map(|(k, _)| k))
        .flatten();
    (self_share, busy_share, waits_for)
}

/// Up to [`EXAMPLES`] traces of `set` for which `has` holds, the slowest first.
fn examples(set: &[&TraceView], has: impl Fn(&TraceView) -> bool) -> Vec<String> {
    let mut chosen: Vec<&&TraceView> = set.iter().filter(|t| has(t)).collect();
    chosen.sort_by(|a, b| b.duration_ms().total_cmp(&a.duration_ms()));
    chosen.iter().take(EXAMPLES).map(|t| t.trace_id.clone()).collect()
}

/// Attributes of any span of a trace, as `key=value`.
fn attributes_of(trace: &TraceView) -> BTreeSet<String> {
    trace
        .spans
        .iter()
        .flat_map(|s| s.attributes.iter())
        .filter(|(k, _)| !IGNORED.contains(&k.as_str()))
        .map(|(k, v)| format!("{k}={v}"))
        .collect()
}

/// Attributes that record how a span ended: consequences of a failure, not causes.
const OUTCOMES: &[&str] = &["error.type", "http.response.status_code", "otel.status_code"];

/// Attributes that are never causes: per-request ids and measurements.
const IGNORED: &[&str] = &["request_id", "busy_ns", "idle_ns", "url.full", "url.path", "url.query"];

/// Attribute values over-represented in `selected` against `baseline`; keys in `known` (what
/// already defines the selection) are left out.
fn attribute_findings(
    selected: &[&TraceView],
    baseline: &[&TraceView],
    known: &[&str],
) -> Vec<Finding> {
    let without_known = |t: &&TraceView| {
        let mut attributes = attributes_of(t);
        attributes
            .retain(|a| !known.iter().any(|k| a.split_once('=').is_some_and(|(key, _)| key == *k)));
        attributes
    };
    let selected_attrs: Vec<BTreeSet<String>> = selected.iter().map(without_known).collect();
    let baseline_attrs: Vec<BTreeSet<String>> = baseline.iter().map(without_known).collect();
    // Keys with too many values are ids (order numbers, users), not causes.
    let mut values: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for attribute in selected_attrs.iter().chain(&baseline_attrs).flatten() {
        if let Some((k, v)) = attribute.split_once('=') {
            values.entry(k).or_default().insert(v);
        }
    }
    let traces = (selected.len() + baseline.len()) as f64;
    let too_many = |attribute: &str| {
        let k = attribute.split_once('=').map_or(attribute, |(k, _)| k);
        values.get(k).is_some_and(|v| v.len() > 3 && v.len() as f64 > MAX_DISTINCT_SHARE * traces)
    };
    // Counted in one pass over each side: files hold up to hundreds of thousands of traces.
    fn count(sets: &[BTreeSet<String>]) -> HashMap<&str, usize> {
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for attribute in sets.iter().flatten() {
            *counts.entry(attribute.as_str()).or_default() += 1;
        }
        counts
    }
    let (in_selected, in_baseline) = (count(&selected_attrs), count(&baseline_attrs));
    let mut findings: Vec<Finding> = in_selected
        .iter()
        .filter(|(attribute, _)| !too_many(attribute))
        .filter_map(|(&attribute, &a)| {
            let b = in_baseline.get(attribute).copied().unwrap_or(0);
            let (share, baseline_share) =
                (a as f64 / selected.len() as f64, b as f64 / baseline.len() as f64);
            let p_value = two_proportion_p(a, selected.len(), b, baseline.len());
            (a >= MIN_SUPPORT && share - baseline_share >= MIN_DIFFERENCE && p_value < MAX_P_VALUE)
                .then(|| Finding::Attribute {
                    attribute: attribute.to_owned(),
                    share,
                    baseline_share,
                    p_value,
                    examples: examples(selected, |t| attributes_of(t).contains(attribute)),
                })
        })
        .collect();
    findings.sort_by(|a, b| {
        difference(b).total_cmp(&difference(a)).then_with(|| a.subject().cmp(&b.subject()))
    });
    findings
}

fn difference(finding: &Finding) -> f64 {
    match finding {
        Finding::Attribute { share, baseline_share, .. } => share - baseline_share,
        Finding::CriticalPath { .. } => 0.0,
    }
}

/// The two-sided p-value that `a` of `n` and `b` of `m` come from one proportion (the pooled
/// two-proportion z-test; normal approximation).
fn two_proportion_p(a: usize, n: usize, b: usize, m: usize) -> f64 {
    let (p1, p2) = (a as f64 / n as f64, b as f64 / m as f64);
    let pooled = (a + b) as f64 / (n + m) as f64;
    let se = (pooled * (1.0 - pooled) * (1.0 / n as f64 + 1.0 / m as f64)).sqrt();
    if se == 0.0 {
        return if p1 == p2 { 1.0 } else { 0.0 };
    }
    erfc(((p1 - p2) / se).abs() / std::f64::consts::SQRT_2)
}

/// The complementary error function (Numerical Recipes' Chebyshev fit, relative error below
/// 1.2e-7): enough for a significance threshold.
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

impl fmt::Display for SlowReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "why is {} ({}) slow? {} traces at or above {:.1} ms (mean {:.1} ms) against {} others (mean {:.1} ms)",
            self.operation,
            self.service,
            self.slow,
            self.cutoff_ms,
            self.mean_ms.0,
            self.baseline,
            self.mean_ms.1
        )?;
        if self.incomplete > 0 {
            writeln!(f, "({} incomplete traces, with spans missing, left out)", self.incomplete)?;
        }
        if self.findings.is_empty() {
            writeln!(f, "nothing stands out: the slow traces look like the others")?;
        }
        for (i, finding) in self.findings.iter().enumerate() {
            write!(f, "{}. ", i + 1)?;
            write_finding(f, finding, "slow", &self.operation, true)?;
        }
        Ok(())
    }
}

fn percent(share: f64) -> String {
    format!("{:.0}%", share * 100.0)
}

fn write_finding(
    f: &mut fmt::Formatter<'_>,
    finding: &Finding,
    selected: &str,
    operation: &str,
    with_examples: bool,
) -> fmt::Result {
    match finding {
        Finding::CriticalPath {
            span,
            slow_share,
            baseline_share,
            excess_ms,
            explains,
            self_share,
            busy_share,
            waits_for,
            examples,
        } => {
            writeln!(
                f,
                "{} ({}) is {} of the critical path of {selected} {operation}, {} in the others",
                span.1,
                span.0,
                percent(*slow_share),
                percent(*baseline_share)
            )?;
            write!(
                f,
                "   +{excess_ms:.1} ms per {selected} trace, {} of the difference; ",
                percent(*explains)
            )?;
            match waits_for {
                Some(child) => write!(
                    f,
                    "it waits: {} of its time in children, most in {} ({})",
                    percent(1.0 - self_share),
                    child.1,
                    child.0
                )?,
                None => write!(f, "slow itself: {} of its time is its own", percent(*self_share))?,
            }
            match busy_share {
                Some(busy) => {
                    writeln!(f, ", busy {} / idle {}", percent(*busy), percent(1.0 - busy))?
                }
                None => writeln!(f)?,
            }
            writeln!(f, "   e.g. {}", examples.join(" "))
        }
        Finding::Attribute { attribute, share, baseline_share, p_value, examples } => {
            writeln!(
                f,
                "{attribute} is on {} of the {selected} traces, {} of the others (p {})",
                percent(*share),
                percent(*baseline_share),
                if *p_value < 1e-4 { "< 0.0001".to_owned() } else { format!("= {p_value:.4}") }
            )?;
            if with_examples {
                writeln!(f, "   e.g. {}", examples.join(" "))?;
            }
            Ok(())
        }
    }
}

/// Where failed traces failed: one group per failing span, error type and message pattern.
#[derive(Clone, Debug, PartialEq)]
pub struct FailureGroup {
    /// The deepest failing span's service and name.
    pub span: SpanKey,
    /// Its `error.type`, if recorded.
    pub error_type: Option<String>,
    /// The error message with numbers and ids masked.
    pub pattern: String,
    /// Failed traces in the group.
    pub count: usize,
    /// Start of the first and of the last trace, Unix nanoseconds.
    pub first_ns: u64,
    /// See `first_ns`.
    pub last_ns: u64,
    /// Attribute values over-represented in the group's traces against the traces that did
    /// not fail.
    pub attributes: Vec<Finding>,
    /// Traces to open, the latest first.
    pub examples: Vec<String>,
}

/// The answer of `obs why --failed`.
#[derive(Clone, Debug, PartialEq)]
pub struct FailedReport {
    /// The operation, or `None` for all of them.
    pub operation: Option<String>,
    /// Failed traces, and traces that did not fail.
    pub failed: usize,
    /// See `failed`.
    pub ok: usize,
    /// Incomplete traces left out.
    pub incomplete: usize,
    /// Groups, the largest first.
    pub groups: Vec<FailureGroup>,
    /// The log lines of the first group's latest example trace, when logs were given.
    pub example_logs: Vec<String>,
}

/// `obs why --failed`: the failed traces of `operation` (all operations by default), grouped by
/// where and how they failed. `logs` are JSON log lines (obs's format), for an example's lines.
pub fn failed(
    traces: &[TraceView],
    operation: Option<&str>,
    logs: &[String],
) -> Result<FailedReport, WhyError> {
    let (of, incomplete): (Vec<&TraceView>, usize) = match operation {
        Some(name) => {
            let (_, _, of, incomplete) = select(traces, Some(name), |_| true)?;
            (of, incomplete)
        }
        None => {
            let complete: Vec<&TraceView> = traces.iter().filter(|t| !t.is_incomplete()).collect();
            let incomplete = traces.len() - complete.len();
            (complete, incomplete)
        }
    };
    if of.is_empty() {
        return Err(WhyError::NoTraces);
    }
    let (failed, ok): (Vec<&TraceView>, Vec<&TraceView>) = of.into_iter().partition(|t| t.failed());
    let mut groups: BTreeMap<(SpanKey, Option<String>, String), Vec<&TraceView>> = BTreeMap::new();
    for trace in &failed {
        let Some(span) = trace.failing_span() else { continue };
        let group = (key(span), span.attributes.get("error.type").cloned(), mask(&span.message));
        groups.entry(group).or_default().push(trace);
    }
    let mut groups: Vec<FailureGroup> = groups
        .into_iter()
        .map(|((span, error_type, pattern), traces)| {
            let mut latest: Vec<&&TraceView> = traces.iter().collect();
            latest.sort_by_key(|t| std::cmp::Reverse(t.start_ns()));
            // Against the traces of the same operations that did not fail: the attributes of an
            // operation itself (its route, its method) are not what makes it fail.
            let operations: BTreeSet<&str> =
                traces.iter().filter_map(|t| operation_of(t)).map(|(name, _)| name).collect();
            let baseline: Vec<&TraceView> = ok
                .iter()
                .copied()
                .filter(|t| operation_of(t).is_some_and(|(name, _)| operations.contains(name)))
                .collect();
            FailureGroup {
                span,
                error_type,
                pattern,
                count: traces.len(),
                first_ns: traces.iter().map(|t| t.start_ns()).min().unwrap_or_default(),
                last_ns: traces.iter().map(|t| t.start_ns()).max().unwrap_or_default(),
                attributes: if baseline.is_empty() {
                    Vec::new()
                } else {
                    attribute_findings(&traces, &baseline, OUTCOMES)
                },
                examples: latest.iter().take(EXAMPLES).map(|t| t.trace_id.clone()).collect(),
            }
        })
        .collect();
    groups.sort_by_key(|g| std::cmp::Reverse(g.count));
    let example_logs = groups
        .first()
        .and_then(|g| g.examples.first())
        .map(|trace_id| {
            let needle = format!("\"trace_id\":\"{trace_id}\"");
            logs.iter().filter(|l| l.contains(&needle)).cloned().collect()
        })
        .unwrap_or_default();
    Ok(FailedReport {
        operation: operation.map(str::to_owned),
        failed: failed.len(),
        ok: ok.len(),
        incomplete,
        groups,
        example_logs,
    })
}

/// An error message as a pattern: numbers, hex ids and UUIDs masked, so that one error with
/// different values is one group.
pub fn mask(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    for word in split_keep(message) {
        let is_hex_id = word.len() >= 8
            && word.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
            && word.chars().any(|c| c.is_ascii_digit());
        if is_hex_id {
            out.push_str("<id>");
        } else if word.chars().all(|c| c.is_ascii_digit() || c == '.')
            && word.chars().any(|c| c.is_ascii_digit())
        {
            out.push_str("<n>");
        } else {
            out.push_str(word);
        }
    }
    out
}

/// `text` cut into runs of alphanumerics (and `-`, `.`) and runs of anything else.
fn split_keep(text: &str) -> Vec<&str> {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '.';
    let mut parts = Vec::new();
    let mut start = 0;
    let mut in_word = None;
    for (i, c) in text.char_indices() {
        let w = word(c);
        if in_word != Some(w) {
            if i > start {
                parts.push(&text[start..i]);
            }
            start = i;
            in_word = Some(w);
        }
    }
    if start < text.len() {
        parts.push(&text[start..]);
    }
    parts
}

impl fmt::Display for FailedReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let of =
            self.operation.as_deref().map_or_else(|| "all operations".to_owned(), |o| o.to_owned());
        writeln!(f, "why did {of} fail? {} failed traces, {} that did not", self.failed, self.ok)?;
        if self.incomplete > 0 {
            writeln!(f, "({} incomplete traces, with spans missing, left out)", self.incomplete)?;
        }
        for (i, group) in self.groups.iter().enumerate() {
            writeln!(
                f,
                "{}. {} traces failed in {} ({}){}: {}",
                i + 1,
                group.count,
                group.span.1,
                group.span.0,
                group.error_type.as_ref().map_or(String::new(), |t| format!(", error.type {t}")),
                if group.pattern.is_empty() { "(no message)" } else { &group.pattern }
            )?;
            writeln!(f, "   first {}, last {}", time(group.first_ns), time(group.last_ns))?;
            for attribute in &group.attributes {
                write!(f, "   ")?;
                write_finding(f, attribute, "failed", &of, false)?;
            }
            writeln!(f, "   e.g. {}", group.examples.join(" "))?;
        }
        if !self.example_logs.is_empty() {
            writeln!(f, "log lines of {}:", self.groups[0].examples[0])?;
            for line in &self.example_logs {
                writeln!(f, "  {line}")?;
            }
        }
        Ok(())
    }
}

fn time(unix_ns: u64) -> String {
    humantime::format_rfc3339_millis(
        std::time::UNIX_EPOCH + std::time::Duration::from_nanos(unix_ns),
    )
    .to_string()
}

/// A small trace file for the examples: `web::history` traces, a tenth of them slow in
/// `db::scan_history`.
#[doc(hidden)]
pub fn example_traces() -> String {
    let mut lines = String::new();
    for i in 0..40u64 {
        let slow = i % 10 == 0;
        let scan = if slow { 400 } else { 5 };
        let start = 1_000_000_000 * (i + 1);
        let span = |id: u64, parent: Option<u64>, name: &str, service: &str, from: u64, to: u64| {
            let parent = parent.map_or(String::new(), |p| format!(r#""parentSpanId":"{p:016x}","#));
            format!(
                r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"{service}"}}}}]}},"scopeSpans":[{{"spans":[{{"traceId":"{:032x}","spanId":"{id:016x}",{parent}"name":"{name}","startTimeUnixNano":"{}","endTimeUnixNano":"{}","status":{{}}}}]}}]}}]}}"#,
                i + 1,
                start + from * 1_000_000,
                start + to * 1_000_000
            )
        };
        lines.push_str(&span(1, None, "GET /history", "web", 0, scan + 20));
        lines.push('\n');
        lines.push_str(&span(2, Some(1), "db::scan_history", "db", 5, 5 + scan));
        lines.push('\n');
    }
    lines
}
