//! The OpenMetrics text format (<https://prometheus.io/docs/specs/om/open_metrics_spec/>), for
//! scrapers that ask for it (`Accept: application/openmetrics-text`): the format that carries
//! exemplars. The series that `metrics-exporter-prometheus` holds come in its Prometheus text
//! and are read back into families here; obs's own histograms are written as families directly.
//!
//! What changes from the Prometheus text format, rule by rule: a counter's family is named
//! without `_total` and its samples with it; `untyped` is `unknown`; `HELP` escapes `"` too;
//! histograms and counters of obs's own series carry `_created`; bucket and counter samples may
//! carry an exemplar (`# {trace_id="…",span_id="…"} value timestamp`); and the exposition ends
//! with `# EOF`.

use crate::hotpath::exponential::Counts;
use crate::pii::scrub::Scrubbed;
use crate::trace::exemplar::Exemplar;
use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

/// The content type of OpenMetrics 1.0 text.
pub(crate) const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// A metric family's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Counter,
    Gauge,
    Histogram,
    Summary,
    Unknown,
}

/// One sample line.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Sample {
    /// The sample's name: the family's, with `_total`, `_bucket`, `_sum`, `_count` or
    /// `_created` after it.
    pub(crate) name: String,
    pub(crate) labels: Vec<(String, String)>,
    /// As written (integers stay integers, `+Inf` stays `+Inf`).
    pub(crate) value: String,
    pub(crate) exemplar: Option<Exemplar>,
}

/// A metric family: its name, type, help and samples, in order.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Family {
    pub(crate) name: String,
    pub(crate) kind: Kind,
    pub(crate) help: Option<String>,
    pub(crate) samples: Vec<Sample>,
    /// For a histogram, the exponential buckets of its series that have them, by the series'
    /// labels (without `le` and `service`). Only the protobuf format carries them.
    pub(crate) native: Vec<(Labels, Counts)>,
}

/// A series' labels.
pub(crate) type Labels = Vec<(String, String)>;

impl Family {
    /// The samples of each series (labels without `le` and `quantile`), in order.
    pub(crate) fn series(&self) -> Vec<(Labels, Vec<&Sample>)> {
        let mut series: Vec<(Labels, Vec<&Sample>)> = Vec::new();
        for sample in &self.samples {
            let labels: Labels = sample
                .labels
                .iter()
                .filter(|(k, _)| k != "le" && k != "quantile")
                .cloned()
                .collect();
            match series.iter_mut().find(|(l, _)| *l == labels) {
                Some((_, samples)) => samples.push(sample),
                None => series.push((labels, vec![sample])),
            }
        }
        series
    }

    /// The exponential buckets of the series with `labels`, if it has them.
    pub(crate) fn native_of(&self, labels: &[(String, String)]) -> Option<&Counts> {
        self.native
            .iter()
            .find(|(l, _)| labels.iter().filter(|(k, _)| k != "service").eq(l.iter()))
            .map(|(_, counts)| counts)
    }
}

impl Sample {
    /// The value as a number (`+Inf`, `-Inf` and `NaN` included; NaN if unreadable).
    pub(crate) fn number(&self) -> f64 {
        match self.value.as_str() {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v.parse().unwrap_or(f64::NAN),
        }
    }

    /// The value of label `name`.
    pub(crate) fn label(&self, name: &str) -> Option<&str> {
        self.labels.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// Reads the Prometheus text format as `metrics-exporter-prometheus` writes it: `# HELP` and
/// `# TYPE` lines, then the family's samples, without timestamps. A line it cannot read is
/// left out (the exporter writes none).
pub(crate) fn parse_text(text: &str) -> Vec<Family> {
    let mut families: Vec<Family> = Vec::new();
    let mut help: Option<(String, String)> = None;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, text) = rest.split_once(' ').unwrap_or((rest, ""));
            help = Some((name.to_owned(), unescape_help(text)));
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap_or((rest, ""));
            let kind = match kind.trim() {
                "counter" => Kind::Counter,
                "gauge" => Kind::Gauge,
                "histogram" => Kind::Histogram,
                "summary" => Kind::Summary,
                _ => Kind::Unknown,
            };
            let help = help.take().filter(|(n, _)| n == name).map(|(_, h)| h);
            families.push(Family {
                name: name.to_owned(),
                kind,
                help,
                samples: Vec::new(),
                native: Vec::new(),
            });
        } else if line.starts_with('#') || line.trim().is_empty() {
            continue;
        } else if let Some(sample) = parse_sample(line) {
            let belongs = families.last().is_some_and(|f| sample.name.starts_with(&f.name));
            if !belongs {
                families.push(Family {
                    name: sample.name.clone(),
                    kind: Kind::Unknown,
                    help: None,
                    samples: Vec::new(),
                    native: Vec::new(),
                });
            }
            if let Some(family) = families.last_mut() {
                family.samples.push(sample);
            }
        }
    }
    families
}

fn parse_sample(line: &str) -> Option<Sample> {
    let (head, value) = match line.find('{') {
        Some(_) => {
            let close = line.rfind('}')?;
            (&line[..close + 1], line[close + 1..].trim())
        }
        None => line.split_once(' ')?,
    };
    let (name, labels) = match head.find('{') {
        Some(open) => (&head[..open], parse_labels(&head[open + 1..head.len() - 1])?),
        None => (head, Vec::new()),
    };
    let value = value.split_whitespace().next()?.to_owned();
    Some(Sample { name: name.to_owned(), labels, value, exemplar: None })
}

/// `a="x",b="y \"quoted\""`.
fn parse_labels(text: &str) -> Option<Vec<(String, String)>> {
    let mut labels = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let eq = rest.find('=')?;
        let name = rest[..eq].trim().to_owned();
        let after = rest[eq + 1..].strip_prefix('"')?;
        let mut value = String::new();
        let mut chars = after.char_indices();
        let mut end = None;
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some((_, 'n')) => value.push('\n'),
                    Some((_, other)) => value.push(other),
                    None => return None,
                },
                '"' => {
                    end = Some(i);
                    break;
                }
                c => value.push(c),
            }
        }
        let end = end?;
        labels.push((name, value));
        rest = after[end + 1..].trim_start_matches(',').trim();
    }
    Some(labels)
}

/// Prometheus text escapes `\\` and `\n` in `HELP`.
fn unescape_help(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (c, chars.clone().next()) {
            ('\\', Some('n')) => {
                out.push('\n');
                chars.next();
            }
            ('\\', Some('\\')) => {
                out.push('\\');
                chars.next();
            }
            (c, _) => out.push(c),
        }
    }
    out
}

/// `\\`, `\n` and `"` escaped, as OpenMetrics escapes label values and `HELP` text.
fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '"' => out.push_str("\\\""),
            c => out.push(c),
        }
    }
}

/// Seconds since the Unix epoch, as OpenMetrics writes timestamps.
pub(crate) fn unix_seconds(at: SystemTime) -> f64 {
    at.duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}

/// Writes `families` in the OpenMetrics text format, with `# EOF`.
pub(crate) fn render_openmetrics(families: &[Family]) -> String {
    let mut out = String::new();
    for family in families {
        // A counter's family is named without `_total`; its samples keep (or get) it.
        let name = match family.kind {
            Kind::Counter => family.name.strip_suffix("_total").unwrap_or(&family.name),
            _ => family.name.as_str(),
        };
        let kind = match family.kind {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
            Kind::Summary => "summary",
            Kind::Unknown => "unknown",
        };
        let _ = writeln!(out, "# TYPE {name} {kind}");
        if let Some(help) = &family.help {
            out.push_str("# HELP ");
            out.push_str(name);
            out.push(' ');
            escape(help, &mut out);
            out.push('\n');
        }
        for sample in &family.samples {
            let sample_name = match family.kind {
                Kind::Counter if sample.name == name => format!("{name}_total"),
                _ => sample.name.clone(),
            };
            out.push_str(&sample_name);
            if !sample.labels.is_empty() {
                out.push('{');
                for (i, (key, value)) in sample.labels.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(key);
                    out.push_str("=\"");
                    escape(value, &mut out);
                    out.push('"');
                }
                out.push('}');
            }
            out.push(' ');
            out.push_str(&sample.value);
            if let Some(exemplar) = &sample.exemplar
                && (sample_name.ends_with("_bucket") || sample_name.ends_with("_total"))
            {
                // The ids go through the scrubber like every label that leaves the process.
                let trace = Scrubbed::text(&exemplar.trace_id.to_string());
                let span = Scrubbed::text(&exemplar.span_id.to_string());
                let _ = write!(
                    out,
                    " # {{trace_id=\"{}\",span_id=\"{}\"}} {} {:.3}",
                    trace.as_str(),
                    span.as_str(),
                    exemplar.value,
                    unix_seconds(exemplar.at)
                );
            }
            out.push('\n');
        }
    }
    out.push_str("# EOF\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::trace::{SpanId, TraceId};

    const TEXT: &str = "# HELP calls_total Calls, by \\\\ result\n# TYPE calls_total counter\ncalls_total{service=\"s\",result=\"ok\"} 3\n\n# TYPE latency_seconds histogram\nlatency_seconds_bucket{le=\"0.5\"} 1\nlatency_seconds_bucket{le=\"+Inf\"} 2\nlatency_seconds_sum 1.5\nlatency_seconds_count 2\n\n# TYPE up gauge\nup{path=\"a \\\"b\\\"\"} 1\n";

    #[test]
    fn the_exporters_text_is_read_into_families() {
        let families = parse_text(TEXT);
        assert_eq!(families.len(), 3);
        assert_eq!(families[0].help.as_deref(), Some("Calls, by \\ result"));
        assert_eq!(families[0].samples[0].label("result"), Some("ok"));
        assert_eq!(families[1].kind, Kind::Histogram);
        assert_eq!(families[1].samples.len(), 4);
        assert_eq!(families[2].samples[0].label("path"), Some("a \"b\""));
    }

    #[test]
    fn openmetrics_names_counters_without_total_and_ends_with_eof() {
        let mut families = parse_text(TEXT);
        families[1].samples[0].exemplar = Some(Exemplar {
            trace_id: TraceId::from(0x4bf9_u128),
            span_id: SpanId::from(0xf0_u64),
            value: 0.25,
            at: UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000),
        });
        let text = render_openmetrics(&families);
        assert!(text.starts_with("# TYPE calls counter\n# HELP calls Calls, by \\\\ result\ncalls_total{service=\"s\",result=\"ok\"} 3\n"), "{text}");
        assert!(text.contains("latency_seconds_bucket{le=\"0.5\"} 1 # {trace_id=\"00000000000000000000000000004bf9\",span_id=\"00000000000000f0\"} 0.25 1700000000.000\n"), "{text}");
        assert!(text.contains("up{path=\"a \\\"b\\\"\"} 1\n"));
        assert!(text.ends_with("# EOF\n"));
    }
}
