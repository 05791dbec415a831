//! Reading what a service's `/metrics` says, in the OpenMetrics format (as Prometheus asks for it
//! when it scrapes), exemplars included. (The demo computes its table from these samples, not
//! from its own counts.)
//!
//! Written here because the format is a few lines of grammar and the crates that parse it are not
//! kept up; this parser reads what obs's exporter writes (no escaped quotes in label values).

use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
    /// The exemplar's trace id, when the sample has one.
    pub exemplar: Option<String>,
}

pub fn parse(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(parse_line)
        .collect()
}

fn parse_line(line: &str) -> Option<Sample> {
    let (line, exemplar) = match line.split_once(" # ") {
        Some((sample, exemplar)) => (sample, Some(exemplar)),
        None => (line, None),
    };
    let exemplar = exemplar
        .and_then(|e| e.split("trace_id=\"").nth(1))
        .and_then(|rest| rest.split('"').next())
        .map(str::to_owned);
    let (series, value) = line.rsplit_once(' ')?;
    let value = value.parse().ok()?;
    let (name, labels) = match series.split_once('{') {
        Some((name, rest)) => (name, rest.strip_suffix('}')?),
        None => (series, ""),
    };
    let labels = labels
        .split("\",")
        .filter(|pair| !pair.is_empty())
        .filter_map(|pair| {
            let (key, value) = pair.split_once("=\"")?;
            Some((key.trim_start_matches(',').to_owned(), value.trim_end_matches('"').to_owned()))
        })
        .collect();
    Some(Sample { name: name.to_owned(), labels, value, exemplar })
}

/// The sum of the samples of `name` whose labels include `filter`.
pub fn sum(samples: &[Sample], name: &str, filter: &[(&str, &str)]) -> f64 {
    // Folded from +0.0: `Iterator::sum` of no float is -0.0, which prints as "-0.0".
    matching(samples, name, filter).fold(0.0, |total, s| total + s.value)
}

pub fn matching<'a>(
    samples: &'a [Sample],
    name: &'a str,
    filter: &'a [(&'a str, &'a str)],
) -> impl Iterator<Item = &'a Sample> {
    samples.iter().filter(move |s| {
        s.name == name
            && filter.iter().all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
    })
}

/// The bucket a histogram's `q`-quantile falls in (its upper bound), and the trace id of that
/// bucket's exemplar.
pub fn quantile_exemplar(
    samples: &[Sample],
    histogram: &str,
    filter: &[(&str, &str)],
    q: f64,
) -> Option<(String, String)> {
    let bucket_name = format!("{histogram}_bucket");
    let mut buckets: Vec<(f64, &Sample)> = matching(samples, &bucket_name, filter)
        .filter_map(|s| {
            let le = s.labels.get("le")?;
            Some((if le == "+Inf" { f64::INFINITY } else { le.parse().ok()? }, s))
        })
        .collect();
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total = buckets.last()?.1.value;
    let (_, bucket) = buckets.iter().find(|(_, s)| s.value >= q * total)?;
    Some((bucket.labels.get("le")?.clone(), bucket.exemplar.clone()?))
}

/// The `q`-quantile of a histogram's buckets, interpolated as Prometheus's `histogram_quantile`.
pub fn quantile(
    samples: &[Sample],
    histogram: &str,
    filter: &[(&str, &str)],
    q: f64,
) -> Option<f64> {
    let bucket_name = format!("{histogram}_bucket");
    let mut buckets: Vec<(f64, f64)> = matching(samples, &bucket_name, filter)
        .filter_map(|s| {
            let le = s.labels.get("le")?;
            let bound = if le == "+Inf" { f64::INFINITY } else { le.parse().ok()? };
            Some((bound, s.value))
        })
        .collect();
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total = buckets.last()?.1;
    if total <= 0.0 {
        return None;
    }
    let rank = q * total;
    let mut previous = (0.0, 0.0);
    for &(bound, cumulative) in &buckets {
        if cumulative >= rank {
            if bound.is_infinite() {
                return Some(previous.0);
            }
            let within = if cumulative > previous.1 {
                (rank - previous.1) / (cumulative - previous.1)
            } else {
                0.0
            };
            return Some(previous.0 + (bound - previous.0) * within);
        }
        previous = (bound, cumulative);
    }
    Some(previous.0)
}
