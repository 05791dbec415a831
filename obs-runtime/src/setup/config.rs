//! Settings of the runtime: from the builder, then from the standard environment variables,
//! which win so that an operator can change a deployed service without rebuilding it.
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `OTEL_SERVICE_NAME` | `service.name` | the builder's name |
//! | `OTEL_RESOURCE_ATTRIBUTES` | `k=v,k2=v2` resource attributes (values percent-decoded) | none |
//! | `OTEL_EXPORTER_OTLP_ENDPOINT` | collector base URL; `/v1/traces` and `/v1/logs` are appended for HTTP | none: traces go to the trace file |
//! | `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, `…_LOGS_ENDPOINT` | full URL per signal | from the base URL |
//! | `OTEL_EXPORTER_OTLP_PROTOCOL` | `http/protobuf` (`grpc` needs the `grpc` feature) | `http/protobuf` |
//! | `OTEL_EXPORTER_OTLP_TIMEOUT` | export timeout in milliseconds | 3000 |
//! | `OTEL_TRACES_SAMPLER` | `always_on`, `always_off`, `traceidratio`, `parentbased_always_on`, `parentbased_always_off`, `parentbased_traceidratio` | `parentbased_traceidratio` |
//! | `OTEL_TRACES_SAMPLER_ARG` | the ratio, 0 to 1 | 0.1 |
//! | `OTEL_TRACES_EXPORTER`, `OTEL_LOGS_EXPORTER` | `otlp` or `none` | `otlp` |
//! | `OTEL_SDK_DISABLED` | `true` turns off trace and OTLP export (JSON logs and `/metrics` stay) | `false` |
//! | `RUST_LOG` | log filter (`tracing_subscriber::EnvFilter` syntax) | `info` |
//! | `OBS_TRACES_FILTER` | which spans are traced (same syntax) | `info` |
//! | `OBS_TRACES_KEEP_SLOWER_THAN_MS` | also keep every trace in which a span lasted longer | off |
//! | `OBS_TRACES_FILE` | the embedded trace file, used when no OTLP endpoint is set; `off` disables it | `obs-traces.jsonl` |
//! | `OBS_METRICS_ADDR` | address of the Prometheus `/metrics` endpoint; `off` disables it | `127.0.0.1:9464` |
//! | `OTEL_METRICS_EXPORTER` | `prometheus` (the endpoint), `otlp` (push), both comma-separated, or `none` | `prometheus` |
//! | `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT` | where OTLP metrics go | `…/v1/metrics` of the OTLP endpoint, else `http://localhost:4318/v1/metrics` |
//! | `OTEL_METRIC_EXPORT_INTERVAL` | milliseconds between pushes | 60000 |
//! | `OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE` | `cumulative`, `delta` or `lowmemory` (delta for counters and histograms) | `cumulative` |
//! | `OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION` | `explicit_bucket_histogram` or `base2_exponential_bucket_histogram` (the duration histograms in exponential buckets of scale 3) | `explicit_bucket_histogram` |

use crate::setup::error::ConfigError;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

pub use crate::trace::sampling::{RootSampler, Sampler};

/// OTLP wire protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// Protobuf over HTTP (port 4318).
    HttpProtobuf,
    /// gRPC (port 4317); needs the `grpc` feature.
    Grpc,
}

/// Where OTLP data goes.
#[derive(Clone, Debug, PartialEq)]
pub struct OtlpConfig {
    /// URL traces are sent to.
    pub traces_endpoint: String,
    /// URL logs are sent to.
    pub logs_endpoint: String,
    /// Wire protocol.
    pub protocol: Protocol,
    /// Timeout of one export.
    pub timeout: Duration,
    /// Export logs over OTLP too.
    pub logs: bool,
}

impl OtlpConfig {
    /// The timeout of one export unless `OTEL_EXPORTER_OTLP_TIMEOUT` says otherwise.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);

    /// OTLP over `protocol` to the collector at `base`, traces and logs: over HTTP to
    /// `{base}/v1/traces` and `{base}/v1/logs`, over gRPC to `base` itself.
    ///
    /// ```
    /// use obs_runtime::config::{OtlpConfig, Protocol};
    /// let otlp = OtlpConfig::new("http://collector:4318/", Protocol::HttpProtobuf);
    /// assert_eq!(otlp.traces_endpoint, "http://collector:4318/v1/traces");
    /// assert_eq!(otlp.logs_endpoint, "http://collector:4318/v1/logs");
    /// ```
    pub fn new(base: &str, protocol: Protocol) -> OtlpConfig {
        OtlpConfig {
            traces_endpoint: signal_url(base, protocol, "v1/traces"),
            logs_endpoint: signal_url(base, protocol, "v1/logs"),
            protocol,
            timeout: Self::DEFAULT_TIMEOUT,
            logs: true,
        }
    }
}

/// The URL of one signal's endpoint from the collector's base URL.
fn signal_url(base: &str, protocol: Protocol, path: &str) -> String {
    match protocol {
        Protocol::HttpProtobuf => format!("{}/{path}", base.trim_end_matches('/')),
        Protocol::Grpc => base.to_owned(),
    }
}

/// The embedded trace file, unless `OBS_TRACES_FILE` says otherwise; what `obs trace` reads.
pub const DEFAULT_TRACES_FILE: &str = "obs-traces.jsonl";

/// Metrics pushed over OTLP (`OTEL_METRICS_EXPORTER=otlp`).
#[derive(Clone, Debug, PartialEq)]
pub struct OtlpMetricsConfig {
    /// URL metrics are sent to (`…/v1/metrics` over HTTP).
    pub endpoint: String,
    /// Wire protocol.
    pub protocol: Protocol,
    /// Timeout of one push.
    pub timeout: Duration,
    /// Time between pushes.
    pub interval: Duration,
    /// Cumulative or delta points.
    pub temporality: Temporality,
    /// Classic or exponential buckets for the duration histograms.
    pub histograms: HistogramAggregation,
}

impl OtlpMetricsConfig {
    /// The default time between pushes (OpenTelemetry's `OTEL_METRIC_EXPORT_INTERVAL`).
    pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(60);

    /// Pushes to the metrics endpoint of `otlp`'s collector (its traces endpoint's neighbour).
    pub fn beside(otlp: &OtlpConfig) -> OtlpMetricsConfig {
        let endpoint = match otlp.protocol {
            Protocol::HttpProtobuf => otlp.traces_endpoint.replace("v1/traces", "v1/metrics"),
            Protocol::Grpc => otlp.traces_endpoint.clone(),
        };
        OtlpMetricsConfig {
            endpoint,
            protocol: otlp.protocol,
            timeout: otlp.timeout,
            interval: Self::DEFAULT_INTERVAL,
            temporality: Temporality::Cumulative,
            histograms: HistogramAggregation::ExplicitBuckets,
        }
    }
}

pub use crate::metrics::otlp::{HistogramAggregation, Temporality};

/// Bounds on the memory and queues of the trace pipeline.
#[derive(Clone, Debug, PartialEq)]
pub struct Limits {
    /// Spans buffered per undecided trace; more are dropped (and counted).
    pub max_spans_per_trace: usize,
    /// Undecided traces buffered at once; past this, new traces are decided by ratio alone.
    pub max_traces_in_flight: usize,
    /// Finished spans waiting for export; past this, spans are dropped (and counted).
    pub export_queue: usize,
    /// Spans per export request.
    pub export_batch: usize,
    /// Longest wait before a partial batch is exported.
    pub export_delay: Duration,
    /// How often metrics are forwarded and process gauges updated.
    pub metrics_interval: Duration,
    /// Bound on `shutdown`.
    pub shutdown_timeout: Duration,
    /// Label sets a metric may have on the Prometheus endpoint; more go to its overflow series
    /// (`otel_metric_overflow="true"`), counted in `obs_metric_overflow_total`.
    pub max_series_per_metric: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_spans_per_trace: 1024,
            max_traces_in_flight: 4096,
            export_queue: 8192,
            export_batch: 512,
            export_delay: Duration::from_millis(500),
            metrics_interval: Duration::from_secs(1),
            shutdown_timeout: Duration::from_secs(5),
            max_series_per_metric: 2_000,
        }
    }
}

/// Everything the runtime needs; made by [`crate::TelemetryBuilder`].
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// `service.name`.
    pub service_name: String,
    /// `service.version`.
    pub service_version: Option<String>,
    /// The build's commit and compiler (see [`BuildInfo`](crate::BuildInfo)).
    pub build: Option<crate::BuildInfo>,
    /// `deployment.environment.name`.
    pub environment: Option<String>,
    /// Further resource attributes.
    pub resource_attributes: Vec<(String, String)>,
    /// OTLP export; `None` writes traces to [`Config::traces_file`].
    pub otlp: Option<OtlpConfig>,
    /// Metrics pushed over OTLP; `None`: metrics are only served on [`Config::metrics_addr`].
    pub otlp_metrics: Option<OtlpMetricsConfig>,
    /// The embedded trace file (OTLP-JSON lines), used when there is no OTLP endpoint.
    pub traces_file: Option<PathBuf>,
    /// Head sampler.
    pub sampler: Sampler,
    /// Export every trace in which a span failed.
    pub keep_failed_traces: bool,
    /// Export every trace in which a span lasted longer than this.
    pub keep_slower_than: Option<Duration>,
    /// `RUST_LOG`-style filter of log lines.
    pub log_filter: String,
    /// `RUST_LOG`-style filter of traced spans.
    pub trace_filter: String,
    /// Address of `/metrics`; `None` installs no Prometheus recorder.
    pub metrics_addr: Option<SocketAddr>,
    /// `OTEL_SDK_DISABLED`: no trace or OTLP export.
    pub sdk_disabled: bool,
    /// Pipeline bounds.
    pub limits: Limits,
}

impl Config {
    /// Defaults for a service called `service_name`.
    pub fn new(service_name: impl Into<String>) -> Self {
        Config {
            service_name: service_name.into(),
            service_version: None,
            build: None,
            environment: None,
            resource_attributes: Vec::new(),
            otlp: None,
            traces_file: Some(PathBuf::from(DEFAULT_TRACES_FILE)),
            sampler: Sampler::default(),
            keep_failed_traces: true,
            keep_slower_than: None,
            log_filter: "info".into(),
            trace_filter: "info".into(),
            metrics_addr: Some(SocketAddr::from(([127, 0, 0, 1], 9464))),
            otlp_metrics: None,
            sdk_disabled: false,
            limits: Limits::default(),
        }
    }

    /// Applies the environment variables that `lookup` finds (see the module docs).
    ///
    /// ```
    /// # use obs_runtime::config::{Config, Sampler, RootSampler};
    /// let env = [("OTEL_TRACES_SAMPLER", "traceidratio"), ("OTEL_TRACES_SAMPLER_ARG", "0.25")];
    /// let mut config = Config::new("shop");
    /// config.apply_env(|k| env.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())).unwrap();
    /// assert_eq!(config.sampler, Sampler::TraceIdRatio(0.25));
    ///
    /// let bad = Config::new("shop").apply_env(|k| (k == "OTEL_TRACES_SAMPLER_ARG").then(|| "lots".into()));
    /// assert!(bad.unwrap_err().to_string().contains("OTEL_TRACES_SAMPLER_ARG"));
    /// ```
    pub fn apply_env(
        &mut self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<(), ConfigError> {
        let get = |var: &str| lookup(var).filter(|v| !v.trim().is_empty());
        if let Some(name) = get("OTEL_SERVICE_NAME") {
            self.service_name = name;
        }
        if let Some(attrs) = get("OTEL_RESOURCE_ATTRIBUTES") {
            for (key, value) in parse_resource_attributes(&attrs)? {
                match key.as_str() {
                    "service.name" if get("OTEL_SERVICE_NAME").is_none() => {
                        self.service_name = value
                    }
                    "service.version" => self.service_version = Some(value),
                    "deployment.environment.name" | "deployment.environment" => {
                        self.environment = Some(value)
                    }
                    _ => self.resource_attributes.push((key, value)),
                }
            }
        }
        if let Some(disabled) = get("OTEL_SDK_DISABLED") {
            self.sdk_disabled = parse_bool("OTEL_SDK_DISABLED", &disabled)?;
        }
        let ratio = get("OTEL_TRACES_SAMPLER_ARG")
            .map(|arg| parse_ratio("OTEL_TRACES_SAMPLER_ARG", &arg))
            .transpose()?;
        if let Some(sampler) = get("OTEL_TRACES_SAMPLER") {
            self.sampler = parse_sampler(&sampler, ratio)?;
        } else if let Some(ratio) = ratio {
            self.sampler = match self.sampler {
                Sampler::TraceIdRatio(_) => Sampler::TraceIdRatio(ratio),
                Sampler::ParentBased(RootSampler::TraceIdRatio(_)) => {
                    Sampler::ParentBased(RootSampler::TraceIdRatio(ratio))
                }
                other => other,
            };
        }
        let protocol = match get("OTEL_EXPORTER_OTLP_PROTOCOL").as_deref().map(str::trim) {
            None | Some("http/protobuf") => Protocol::HttpProtobuf,
            Some("grpc") => Protocol::Grpc,
            Some(other) => {
                return Err(ConfigError::InvalidEnv {
                    var: "OTEL_EXPORTER_OTLP_PROTOCOL",
                    value: other.into(),
                    expected: "`http/protobuf` or `grpc` (`http/json` is not supported)".into(),
                });
            }
        };
        let timeout = get("OTEL_EXPORTER_OTLP_TIMEOUT")
            .map(|t| {
                t.trim().parse::<u64>().map(Duration::from_millis).map_err(|_| {
                    ConfigError::InvalidEnv {
                        var: "OTEL_EXPORTER_OTLP_TIMEOUT",
                        value: t.clone(),
                        expected: "a number of milliseconds, e.g. 3000".into(),
                    }
                })
            })
            .transpose()?;
        let base = get("OTEL_EXPORTER_OTLP_ENDPOINT")
            .map(|e| check_url("OTEL_EXPORTER_OTLP_ENDPOINT", e))
            .transpose()?;
        let traces = get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
            .map(|e| check_url("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", e))
            .transpose()?;
        let logs = get("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT")
            .map(|e| check_url("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", e))
            .transpose()?;
        if base.is_some() || traces.is_some() {
            let previous = self.otlp.take();
            let traces_endpoint = traces
                .or_else(|| base.as_deref().map(|b| signal_url(b, protocol, "v1/traces")))
                .or_else(|| previous.as_ref().map(|p| p.traces_endpoint.clone()))
                .unwrap_or_default();
            let logs_endpoint = logs
                .or_else(|| base.as_deref().map(|b| signal_url(b, protocol, "v1/logs")))
                .unwrap_or_else(|| traces_endpoint.replace("v1/traces", "v1/logs"));
            self.otlp = Some(OtlpConfig {
                traces_endpoint,
                logs_endpoint,
                protocol,
                timeout: previous.as_ref().map_or(OtlpConfig::DEFAULT_TIMEOUT, |p| p.timeout),
                logs: previous.is_none_or(|p| p.logs),
            });
        }
        if let Some(otlp) = &mut self.otlp {
            otlp.protocol = protocol;
            if let Some(timeout) = timeout {
                otlp.timeout = timeout;
            }
        }
        for (var, signal) in [("OTEL_TRACES_EXPORTER", "traces"), ("OTEL_LOGS_EXPORTER", "logs")] {
            match get(var).as_deref().map(str::trim) {
                None | Some("otlp") => {}
                Some("none") if signal == "traces" => {
                    self.otlp = None;
                    self.traces_file = None;
                }
                Some("none") => {
                    if let Some(otlp) = &mut self.otlp {
                        otlp.logs = false;
                    }
                }
                Some(other) => {
                    return Err(ConfigError::InvalidEnv {
                        var,
                        value: other.into(),
                        expected: "`otlp` or `none`".into(),
                    });
                }
            }
        }
        if let Some(filter) = lookup("RUST_LOG") {
            self.log_filter = check_filter("RUST_LOG", filter)?;
        }
        if let Some(filter) = lookup("OBS_TRACES_FILTER") {
            self.trace_filter = check_filter("OBS_TRACES_FILTER", filter)?;
        }
        if let Some(ms) = get("OBS_TRACES_KEEP_SLOWER_THAN_MS") {
            let ms = ms.trim().parse::<u64>().map_err(|_| ConfigError::InvalidEnv {
                var: "OBS_TRACES_KEEP_SLOWER_THAN_MS",
                value: ms.clone(),
                expected: "a number of milliseconds, e.g. 500".into(),
            })?;
            self.keep_slower_than = Some(Duration::from_millis(ms));
        }
        if let Some(path) = get("OBS_TRACES_FILE") {
            self.traces_file = (path.trim() != "off").then(|| PathBuf::from(path.trim()));
        }
        if let Some(addr) = get("OBS_METRICS_ADDR") {
            self.metrics_addr = match addr.trim() {
                "off" => None,
                addr => Some(addr.parse().map_err(|_| ConfigError::InvalidEnv {
                    var: "OBS_METRICS_ADDR",
                    value: addr.into(),
                    expected: "a socket address such as 127.0.0.1:9464, or `off`".into(),
                })?),
            };
        }
        self.apply_metrics_env(&get, protocol)
    }

    /// The metrics exporters: `OTEL_METRICS_EXPORTER` and the OTLP metrics variables.
    fn apply_metrics_env(
        &mut self,
        get: &dyn Fn(&str) -> Option<String>,
        protocol: Protocol,
    ) -> Result<(), ConfigError> {
        if let Some(exporters) = get("OTEL_METRICS_EXPORTER") {
            let names: Vec<&str> =
                exporters.split(',').map(str::trim).filter(|n| !n.is_empty()).collect();
            for name in &names {
                if !["otlp", "prometheus", "none"].contains(name) {
                    return Err(ConfigError::InvalidEnv {
                        var: "OTEL_METRICS_EXPORTER",
                        value: exporters.clone(),
                        expected: "`prometheus`, `otlp`, both comma-separated, or `none`".into(),
                    });
                }
            }
            if !names.contains(&"prometheus") {
                self.metrics_addr = None;
            }
            if names.contains(&"otlp") {
                if self.otlp_metrics.is_none() {
                    self.otlp_metrics = Some(match &self.otlp {
                        Some(otlp) => OtlpMetricsConfig::beside(otlp),
                        None => OtlpMetricsConfig::beside(&OtlpConfig::new(
                            "http://localhost:4318",
                            protocol,
                        )),
                    });
                }
            } else {
                self.otlp_metrics = None;
            }
        }
        let Some(metrics) = &mut self.otlp_metrics else { return Ok(()) };
        if let Some(endpoint) = get("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT") {
            metrics.endpoint = check_url("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", endpoint)?;
        }
        if let Some(ms) = get("OTEL_METRIC_EXPORT_INTERVAL") {
            let ms = ms.trim().parse::<u64>().ok().filter(|ms| *ms > 0).ok_or_else(|| {
                ConfigError::InvalidEnv {
                    var: "OTEL_METRIC_EXPORT_INTERVAL",
                    value: ms.clone(),
                    expected: "a number of milliseconds above 0, e.g. 60000".into(),
                }
            })?;
            metrics.interval = Duration::from_millis(ms);
        }
        if let Some(preference) = get("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE") {
            metrics.temporality = match preference.trim().to_ascii_lowercase().as_str() {
                "cumulative" => Temporality::Cumulative,
                // Low memory: delta for counters and histograms, which is what obs pushes as
                // sums; gauges are the same either way.
                "delta" | "lowmemory" => Temporality::Delta,
                _ => {
                    return Err(ConfigError::InvalidEnv {
                        var: "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
                        value: preference,
                        expected: "`cumulative`, `delta` or `lowmemory`".into(),
                    });
                }
            };
        }
        if let Some(aggregation) = get("OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION") {
            metrics.histograms = match aggregation.trim().to_ascii_lowercase().as_str() {
                "explicit_bucket_histogram" => HistogramAggregation::ExplicitBuckets,
                "base2_exponential_bucket_histogram" => HistogramAggregation::Exponential,
                _ => {
                    return Err(ConfigError::InvalidEnv {
                        var: "OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION",
                        value: aggregation,
                        expected:
                            "`explicit_bucket_histogram` or `base2_exponential_bucket_histogram`"
                                .into(),
                    });
                }
            };
        }
        Ok(())
    }
}

fn parse_bool(var: &'static str, value: &str) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(ConfigError::InvalidEnv {
            var,
            value: value.into(),
            expected: "`true` or `false`".into(),
        }),
    }
}

fn parse_ratio(var: &'static str, value: &str) -> Result<f64, ConfigError> {
    match value.trim().parse::<f64>() {
        Ok(r) if (0.0..=1.0).contains(&r) => Ok(r),
        _ => Err(ConfigError::InvalidEnv {
            var,
            value: value.into(),
            expected: "a number from 0 to 1, e.g. 0.1 to keep 10% of traces".into(),
        }),
    }
}

fn parse_sampler(name: &str, ratio: Option<f64>) -> Result<Sampler, ConfigError> {
    let ratio = ratio.unwrap_or(1.0);
    Ok(match name.trim() {
        "always_on" => Sampler::AlwaysOn,
        "always_off" => Sampler::AlwaysOff,
        "traceidratio" => Sampler::TraceIdRatio(ratio),
        "parentbased_always_on" => Sampler::ParentBased(RootSampler::AlwaysOn),
        "parentbased_always_off" => Sampler::ParentBased(RootSampler::AlwaysOff),
        "parentbased_traceidratio" => Sampler::ParentBased(RootSampler::TraceIdRatio(ratio)),
        other => {
            return Err(ConfigError::InvalidEnv {
                var: "OTEL_TRACES_SAMPLER",
                value: other.into(),
                expected: "one of always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio".into(),
            });
        }
    })
}

fn check_url(var: &'static str, value: String) -> Result<String, ConfigError> {
    let trimmed = value.trim();
    let valid = (trimmed.starts_with("http://") || trimmed.starts_with("https://"))
        && trimmed
            .split("://")
            .nth(1)
            .is_some_and(|rest| !rest.is_empty() && !rest.contains(char::is_whitespace));
    if valid {
        Ok(trimmed.to_owned())
    } else {
        Err(ConfigError::InvalidEnv {
            var,
            value,
            expected: "an http:// or https:// URL, e.g. http://localhost:4318".into(),
        })
    }
}

fn check_filter(var: &'static str, filter: String) -> Result<String, ConfigError> {
    match tracing_subscriber::EnvFilter::builder().parse(&filter) {
        Ok(_) => Ok(filter),
        Err(e) => Err(ConfigError::InvalidEnv {
            var,
            value: filter,
            expected: format!("a filter such as `info` or `info,my_crate=debug` ({e})"),
        }),
    }
}

/// Parses `k=v,k2=v2` with percent-encoded values, as the OpenTelemetry spec defines it.
fn parse_resource_attributes(value: &str) -> Result<Vec<(String, String)>, ConfigError> {
    let invalid = |why: &str| ConfigError::InvalidEnv {
        var: "OTEL_RESOURCE_ATTRIBUTES",
        value: value.into(),
        expected: format!("comma-separated key=value pairs, e.g. team=payments,region=eu ({why})"),
    };
    value
        .split(',')
        .filter(|pair| !pair.trim().is_empty())
        .map(|pair| {
            let (key, val) =
                pair.split_once('=').ok_or_else(|| invalid(&format!("`{pair}` has no `=`")))?;
            let key = key.trim();
            if key.is_empty() {
                return Err(invalid("a key is empty"));
            }
            Ok((key.to_owned(), percent_decode(val.trim()).ok_or_else(|| invalid("bad %-escape"))?))
        })
        .collect()
}

/// Decodes `%XX` escapes; `None` when one is malformed or the result is not UTF-8. (The
/// `percent-encoding` crate decodes; it leaves a malformed escape as it is, which the
/// specification of this variable calls an error, hence the check first.)
fn percent_decode(s: &str) -> Option<String> {
    let well_formed = s.match_indices('%').all(|(i, _)| {
        s.get(i + 1..i + 3).is_some_and(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit()))
    });
    if !well_formed {
        return None;
    }
    percent_encoding::percent_decode_str(s).decode_utf8().ok().map(|text| text.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> =
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    }

    fn apply(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let mut config = Config::new("svc");
        config.apply_env(env(pairs))?;
        Ok(config)
    }

    #[test]
    fn defaults_keep_ten_percent_and_write_a_trace_file() {
        let c = apply(&[]).unwrap();
        assert_eq!(c.sampler, Sampler::ParentBased(RootSampler::TraceIdRatio(0.1)));
        assert!(c.keep_failed_traces && c.otlp.is_none());
        assert_eq!(c.traces_file.as_deref(), Some(std::path::Path::new("obs-traces.jsonl")));
    }

    #[test]
    fn standard_variables_are_read() {
        let c = apply(&[
            ("OTEL_SERVICE_NAME", "checkout"),
            ("OTEL_RESOURCE_ATTRIBUTES", "service.version=1.2,team=pay%2Cments, region = eu ,deployment.environment.name=prod"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "1500"),
            ("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"),
            ("OTEL_TRACES_SAMPLER_ARG", "0.5"),
            ("RUST_LOG", "warn,checkout=debug"),
            ("OBS_METRICS_ADDR", "0.0.0.0:9000"),
        ])
        .unwrap();
        assert_eq!(c.service_name, "checkout");
        assert_eq!(c.service_version.as_deref(), Some("1.2"));
        assert_eq!(c.environment.as_deref(), Some("prod"));
        assert_eq!(
            c.resource_attributes,
            [("team".into(), "pay,ments".into()), ("region".into(), "eu".into())]
        );
        let otlp = c.otlp.unwrap();
        assert_eq!(otlp.traces_endpoint, "http://collector:4318/v1/traces");
        assert_eq!(otlp.logs_endpoint, "http://collector:4318/v1/logs");
        assert_eq!(otlp.timeout, Duration::from_millis(1500));
        assert_eq!(c.sampler, Sampler::ParentBased(RootSampler::TraceIdRatio(0.5)));
        assert_eq!(c.log_filter, "warn,checkout=debug");
        assert_eq!(c.metrics_addr, Some("0.0.0.0:9000".parse().unwrap()));
    }

    #[test]
    fn a_ratio_alone_adjusts_the_default_sampler() {
        let c = apply(&[("OTEL_TRACES_SAMPLER_ARG", "0.3")]).unwrap();
        assert_eq!(c.sampler, Sampler::ParentBased(RootSampler::TraceIdRatio(0.3)));
    }

    #[test]
    fn every_bad_value_names_its_variable() {
        for (var, value) in [
            ("OTEL_TRACES_SAMPLER", "sometimes"),
            ("OTEL_TRACES_SAMPLER_ARG", "1.5"),
            ("OTEL_TRACES_SAMPLER_ARG", "ten"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "3s"),
            ("OTEL_SDK_DISABLED", "yes"),
            ("OTEL_RESOURCE_ATTRIBUTES", "team"),
            ("OTEL_RESOURCE_ATTRIBUTES", "team=%zz"),
            ("OTEL_TRACES_EXPORTER", "jaeger"),
            ("RUST_LOG", "info,[[["),
            ("OBS_METRICS_ADDR", "localhost"),
        ] {
            let err = apply(&[(var, value)]).expect_err(var).to_string();
            assert!(err.starts_with(var) && err.contains(value), "{err}");
        }
    }

    #[test]
    fn switches_turn_parts_off() {
        let c = apply(&[
            ("OTEL_SDK_DISABLED", "TRUE"),
            ("OBS_METRICS_ADDR", "off"),
            ("OBS_TRACES_FILE", "off"),
        ])
        .unwrap();
        assert!(c.sdk_disabled);
        assert_eq!((c.metrics_addr, c.traces_file), (None, None));
        let c = apply(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"),
            ("OTEL_LOGS_EXPORTER", "none"),
        ])
        .unwrap();
        assert!(!c.otlp.unwrap().logs);
        let c = apply(&[("OTEL_TRACES_EXPORTER", "none")]).unwrap();
        assert_eq!((c.otlp, c.traces_file), (None, None));
    }

    #[test]
    fn grpc_endpoints_are_used_as_given() {
        let c = apply(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4317"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ])
        .unwrap();
        let otlp = c.otlp.unwrap();
        assert_eq!(
            (otlp.traces_endpoint.as_str(), otlp.protocol),
            ("http://c:4317", Protocol::Grpc)
        );
    }
}
