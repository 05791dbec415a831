//! Prometheus's protobuf exposition format: length-delimited `io.prometheus.client.MetricFamily`
//! messages, what a Prometheus with `--enable-feature=native-histograms` asks for, because it
//! is the only exposition format that carries native histograms. Each histogram series carries
//! its classic buckets (with exemplars) and its exponential ones (schema 3), so a scraper can
//! take either.
//!
//! The messages are declared here, field by field from `prompb/io/prometheus/client/metrics.proto`
//! in the Prometheus repository: no crate publishes them with the native histogram fields for
//! prost (the `prometheus` crate's are rust-protobuf and without them). Only the fields obs
//! writes are declared; a reader ignores none it needs.

use super::exposition::{Family, Kind, Sample};
use crate::hotpath::exponential::{self, Counts};
use crate::pii::scrub::Scrubbed;
use crate::trace::exemplar::Exemplar;
use prost::Message;
use std::time::{SystemTime, UNIX_EPOCH};

/// The content type of the format.
pub(crate) const CONTENT_TYPE: &str =
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct MetricFamily {
    #[prost(string, tag = "1")]
    pub(crate) name: String,
    #[prost(string, tag = "2")]
    pub(crate) help: String,
    #[prost(enumeration = "MetricType", tag = "3")]
    pub(crate) r#type: i32,
    #[prost(message, repeated, tag = "4")]
    pub(crate) metric: Vec<Metric>,
    #[prost(string, tag = "5")]
    pub(crate) unit: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub(crate) enum MetricType {
    Counter = 0,
    Gauge = 1,
    Summary = 2,
    Untyped = 3,
    Histogram = 4,
}

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Metric {
    #[prost(message, repeated, tag = "1")]
    pub(crate) label: Vec<LabelPair>,
    #[prost(message, optional, tag = "2")]
    pub(crate) gauge: Option<Gauge>,
    #[prost(message, optional, tag = "3")]
    pub(crate) counter: Option<Counter>,
    #[prost(message, optional, tag = "4")]
    pub(crate) summary: Option<Summary>,
    #[prost(message, optional, tag = "5")]
    pub(crate) untyped: Option<Gauge>,
    #[prost(message, optional, tag = "7")]
    pub(crate) histogram: Option<Histogram>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct LabelPair {
    #[prost(string, tag = "1")]
    pub(crate) name: String,
    #[prost(string, tag = "2")]
    pub(crate) value: String,
}

/// `Gauge` and `Untyped`: one value.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Gauge {
    #[prost(double, tag = "1")]
    pub(crate) value: f64,
}

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Counter {
    #[prost(double, tag = "1")]
    pub(crate) value: f64,
    #[prost(message, optional, tag = "2")]
    pub(crate) exemplar: Option<ExemplarMessage>,
    #[prost(message, optional, tag = "3")]
    pub(crate) created_timestamp: Option<Timestamp>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Summary {
    #[prost(uint64, tag = "1")]
    pub(crate) sample_count: u64,
    #[prost(double, tag = "2")]
    pub(crate) sample_sum: f64,
    #[prost(message, repeated, tag = "3")]
    pub(crate) quantile: Vec<Quantile>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Quantile {
    #[prost(double, tag = "1")]
    pub(crate) quantile: f64,
    #[prost(double, tag = "2")]
    pub(crate) value: f64,
}

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Histogram {
    #[prost(uint64, tag = "1")]
    pub(crate) sample_count: u64,
    #[prost(double, tag = "2")]
    pub(crate) sample_sum: f64,
    #[prost(message, repeated, tag = "3")]
    pub(crate) bucket: Vec<Bucket>,
    #[prost(message, optional, tag = "15")]
    pub(crate) created_timestamp: Option<Timestamp>,
    #[prost(sint32, tag = "5")]
    pub(crate) schema: i32,
    #[prost(double, tag = "6")]
    pub(crate) zero_threshold: f64,
    #[prost(uint64, tag = "7")]
    pub(crate) zero_count: u64,
    #[prost(message, repeated, tag = "12")]
    pub(crate) positive_span: Vec<BucketSpan>,
    /// Each bucket's count minus the previous bucket's (the first's minus zero).
    #[prost(sint64, repeated, tag = "13")]
    pub(crate) positive_delta: Vec<i64>,
    #[prost(message, repeated, tag = "16")]
    pub(crate) exemplars: Vec<ExemplarMessage>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Bucket {
    #[prost(uint64, tag = "1")]
    pub(crate) cumulative_count: u64,
    #[prost(double, tag = "2")]
    pub(crate) upper_bound: f64,
    #[prost(message, optional, tag = "3")]
    pub(crate) exemplar: Option<ExemplarMessage>,
}

/// Consecutive buckets: `offset` from the end of the previous span (from key 0 for the first).
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct BucketSpan {
    #[prost(sint32, tag = "1")]
    pub(crate) offset: i32,
    #[prost(uint32, tag = "2")]
    pub(crate) length: u32,
}

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct ExemplarMessage {
    #[prost(message, repeated, tag = "1")]
    pub(crate) label: Vec<LabelPair>,
    #[prost(double, tag = "2")]
    pub(crate) value: f64,
    #[prost(message, optional, tag = "3")]
    pub(crate) timestamp: Option<Timestamp>,
}

/// `google.protobuf.Timestamp`.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Timestamp {
    #[prost(int64, tag = "1")]
    pub(crate) seconds: i64,
    #[prost(int32, tag = "2")]
    pub(crate) nanos: i32,
}

fn timestamp(at: SystemTime) -> Timestamp {
    let since = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    Timestamp {
        seconds: i64::try_from(since.as_secs()).unwrap_or(i64::MAX),
        nanos: since.subsec_nanos() as i32,
    }
}

fn timestamp_of_seconds(seconds: f64) -> Timestamp {
    Timestamp { seconds: seconds.trunc() as i64, nanos: (seconds.fract() * 1e9) as i32 }
}

fn label(name: &str, value: &str) -> LabelPair {
    LabelPair { name: name.to_owned(), value: value.to_owned() }
}

fn exemplar(e: &Exemplar) -> ExemplarMessage {
    // The ids go through the scrubber like every label that leaves the process.
    ExemplarMessage {
        label: vec![
            label("trace_id", Scrubbed::text(&e.trace_id.to_string()).as_str()),
            label("span_id", Scrubbed::text(&e.span_id.to_string()).as_str()),
        ],
        value: e.value,
        timestamp: Some(timestamp(e.at)),
    }
}

/// The spans and deltas of the non-empty buckets: a gap of empty buckets starts a new span.
fn spans(counts: &Counts) -> (Vec<BucketSpan>, Vec<i64>) {
    let mut spans: Vec<BucketSpan> = Vec::new();
    let mut deltas = Vec::new();
    let (mut next_key, mut previous) = (0i32, 0i64);
    for (key, n) in counts.buckets() {
        match spans.last_mut() {
            Some(span) if key == next_key => span.length += 1,
            _ => spans.push(BucketSpan { offset: key - next_key, length: 1 }),
        }
        next_key = key + 1;
        let n = i64::try_from(n).unwrap_or(i64::MAX);
        deltas.push(n - previous);
        previous = n;
    }
    (spans, deltas)
}

/// One series of a histogram family.
fn histogram(samples: &[&Sample], native: Option<&Counts>) -> Histogram {
    let of = |suffix: &str| samples.iter().find(|s| s.name.ends_with(suffix)).map(|s| s.number());
    let mut bucket: Vec<Bucket> = samples
        .iter()
        .filter(|s| s.name.ends_with("_bucket"))
        .filter_map(|s| {
            let le = s.label("le")?;
            let upper_bound = if le == "+Inf" { f64::INFINITY } else { le.parse().ok()? };
            Some(Bucket {
                cumulative_count: s.number() as u64,
                upper_bound,
                exemplar: s.exemplar.as_ref().map(exemplar),
            })
        })
        .collect();
    bucket.sort_by(|a, b| a.upper_bound.total_cmp(&b.upper_bound));
    let classic_count = of("_count").unwrap_or(0.0) as u64;
    let mut histogram = Histogram {
        sample_count: classic_count,
        sample_sum: of("_sum").unwrap_or(0.0),
        created_timestamp: of("_created").map(timestamp_of_seconds),
        exemplars: bucket.iter().filter_map(|b| b.exemplar.clone()).collect(),
        bucket,
        ..Histogram::default()
    };
    if let Some(native) = native {
        let (positive_span, positive_delta) = spans(native);
        histogram.schema = exponential::SCHEMA;
        histogram.zero_threshold = exponential::ZERO_THRESHOLD;
        histogram.zero_count = native.zero;
        histogram.positive_span = positive_span;
        histogram.positive_delta = positive_delta;
        // The two sets of buckets are read a moment apart: the count may not be less than
        // what the exponential buckets hold (a reader rejects such a histogram).
        histogram.sample_count = classic_count.max(native.total());
    }
    histogram
}

/// Writes `families` as length-delimited `MetricFamily` messages.
pub(crate) fn render(families: &[Family]) -> Vec<u8> {
    let mut out = Vec::new();
    for family in families {
        let metric = family
            .series()
            .iter()
            .map(|(labels, samples)| {
                let mut metric = Metric {
                    label: labels.iter().map(|(k, v)| label(k, v)).collect(),
                    ..Metric::default()
                };
                let first = samples.iter().find(|s| !s.name.ends_with("_created"));
                match family.kind {
                    Kind::Counter => {
                        metric.counter = Some(Counter {
                            value: first.map_or(0.0, |s| s.number()),
                            exemplar: first.and_then(|s| s.exemplar.as_ref()).map(exemplar),
                            created_timestamp: samples
                                .iter()
                                .find(|s| s.name.ends_with("_created"))
                                .map(|s| timestamp_of_seconds(s.number())),
                        });
                    }
                    Kind::Gauge => {
                        metric.gauge = Some(Gauge { value: first.map_or(0.0, |s| s.number()) })
                    }
                    Kind::Unknown => {
                        metric.untyped = Some(Gauge { value: first.map_or(0.0, |s| s.number()) });
                    }
                    Kind::Histogram => {
                        metric.histogram = Some(histogram(samples, family.native_of(labels)));
                    }
                    Kind::Summary => {
                        let of = |suffix: &str| {
                            samples
                                .iter()
                                .find(|s| s.name.ends_with(suffix))
                                .map_or(0.0, |s| s.number())
                        };
                        metric.summary = Some(Summary {
                            sample_count: of("_count") as u64,
                            sample_sum: of("_sum"),
                            quantile: samples
                                .iter()
                                .filter_map(|s| {
                                    Some(Quantile {
                                        quantile: s.label("quantile")?.parse().ok()?,
                                        value: s.number(),
                                    })
                                })
                                .collect(),
                        });
                    }
                }
                metric
            })
            .collect();
        let message = MetricFamily {
            name: family.name.clone(),
            help: family.help.clone().unwrap_or_default(),
            r#type: match family.kind {
                Kind::Counter => MetricType::Counter,
                Kind::Gauge => MetricType::Gauge,
                Kind::Histogram => MetricType::Histogram,
                Kind::Summary => MetricType::Summary,
                Kind::Unknown => MetricType::Untyped,
            } as i32,
            metric,
            unit: String::new(),
        };
        // Writing into a Vec cannot run out of room.
        let _ = message.encode_length_delimited(&mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::exposition::parse_text;

    fn decode(mut bytes: &[u8]) -> Vec<MetricFamily> {
        let mut out = Vec::new();
        while !bytes.is_empty() {
            match MetricFamily::decode_length_delimited(&mut bytes) {
                Ok(family) => out.push(family),
                Err(error) => panic!("{error}"),
            }
        }
        out
    }

    #[test]
    fn families_round_trip_with_native_buckets_as_spans_and_deltas() {
        let mut families = parse_text(
            "# TYPE calls_total counter\ncalls_total{service=\"s\",result=\"ok\"} 3\n# TYPE d_seconds histogram\nd_seconds_bucket{service=\"s\",route=\"/a\",le=\"0.5\"} 1\nd_seconds_bucket{service=\"s\",route=\"/a\",le=\"+Inf\"} 3\nd_seconds_sum{service=\"s\",route=\"/a\"} 2.5\nd_seconds_count{service=\"s\",route=\"/a\"} 3\n",
        );
        let mut native = Counts::default();
        native.add(-8, 1);
        native.add(3, 1);
        native.add(4, 1);
        families[1].native = vec![(vec![("route".into(), "/a".into())], native)];
        let decoded = decode(&render(&families));
        assert_eq!(decoded.len(), 2);
        assert_eq!(decoded[0].name, "calls_total");
        assert_eq!(decoded[0].metric[0].counter.as_ref().map(|c| c.value), Some(3.0));
        let h = decoded[1].metric[0].histogram.clone().unwrap_or_default();
        assert_eq!(decoded[1].r#type, MetricType::Histogram as i32);
        assert_eq!((h.sample_count, h.sample_sum, h.bucket.len()), (3, 2.5, 2));
        assert_eq!(h.schema, 3);
        assert_eq!(
            h.positive_span,
            vec![BucketSpan { offset: -8, length: 1 }, BucketSpan { offset: 10, length: 2 }]
        );
        assert_eq!(h.positive_delta, vec![1, 0, 0]);
    }

    #[test]
    fn the_count_is_never_below_the_native_buckets() {
        let samples = parse_text("# TYPE d_seconds histogram\nd_seconds_count 1\n");
        let mut native = Counts::default();
        native.add(0, 2);
        let refs: Vec<&Sample> = samples[0].samples.iter().collect();
        assert_eq!(histogram(&refs, Some(&native)).sample_count, 2);
    }
}
