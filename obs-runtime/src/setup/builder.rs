//! The builder of [`init`]'s settings, and `init` itself.

use super::config::{Config, OtlpConfig, OtlpMetricsConfig, Protocol, Sampler};
use super::error::{ConfigError, InitError};
use super::sinks::SinkFactory;
use super::telemetry::Telemetry;
use crate::trace::export::{Exporter, SpanSink};
use opentelemetry_sdk::Resource;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::writer::BoxMakeWriter;
use tracing_subscriber::{Layer, Registry};

static INITIALIZED: AtomicBool = AtomicBool::new(false);

/// Sets up telemetry for the service `service_name` with the defaults and the environment:
/// JSON logs on stdout, traces sampled (10% plus every failed trace) to OTLP when
/// `OTEL_EXPORTER_OTLP_ENDPOINT` is set or to `obs-traces.jsonl` otherwise, and Prometheus
/// metrics on `127.0.0.1:9464/metrics`. Keep the returned guard: dropping it flushes.
///
/// ```no_run
/// fn main() -> Result<(), obs_runtime::InitError> {
///     let _telemetry = obs_runtime::init("checkout")?;
///     tracing::info!("started");
///     Ok(())
/// }
/// ```
pub fn init(service_name: impl Into<String>) -> Result<Telemetry, InitError> {
    TelemetryBuilder::new(service_name).init()
}

/// Settings for [`init`]. Environment variables override what is set here (see
/// [`crate::setup::config`]), so that operators can change a deployed service.
///
/// ```no_run
/// let telemetry = obs_runtime::TelemetryBuilder::new("checkout")
///     .version(env!("CARGO_PKG_VERSION"))
///     .environment("staging")
///     .sampling_ratio(0.25)
///     .prometheus(Some("127.0.0.1:9100".parse().unwrap()))
///     .init()?;
/// telemetry.shutdown()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "call `.init()` to install telemetry"]
pub struct TelemetryBuilder {
    config: Config,
    read_env: bool,
    log_writer: Option<BoxMakeWriter>,
    span_sink: Option<SinkFactory>,
    layers: Vec<Box<dyn Layer<Registry> + Send + Sync>>,
    tokio_runtime: Option<tokio::runtime::Handle>,
    error: Option<ConfigError>,
}

impl TelemetryBuilder {
    /// Defaults for the service `service_name`.
    pub fn new(service_name: impl Into<String>) -> Self {
        TelemetryBuilder {
            config: Config::new(service_name),
            read_env: true,
            log_writer: None,
            span_sink: None,
            layers: Vec::new(),
            tokio_runtime: None,
            error: None,
        }
    }

    /// `service.version`.
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.config.service_version = Some(version.into());
        self
    }

    /// What the program's build is: its version (`service.version`, unless set), commit
    /// (`vcs.ref.head.revision`) and compiler, in the resource and in `obs_build_info`. Pass
    /// `obs::build_info!()`.
    pub fn build_info(mut self, info: crate::BuildInfo) -> Self {
        if self.config.service_version.is_none() {
            self.config.service_version = Some(info.version.clone());
        }
        self.config.build = Some(info);
        self
    }

    /// `deployment.environment.name` (`production`, `staging`, …).
    pub fn environment(mut self, environment: impl Into<String>) -> Self {
        self.config.environment = Some(environment.into());
        self
    }

    /// Adds a resource attribute.
    pub fn resource_attribute(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.config.resource_attributes.push((key.into(), value.into()));
        self
    }

    /// Keeps this share (0 to 1) of new traces, plus every failed one (default 0.1).
    pub fn sampling_ratio(mut self, ratio: f64) -> Self {
        if !(0.0..=1.0).contains(&ratio) {
            self.error = Some(ConfigError::Invalid {
                setting: "sampling_ratio",
                value: ratio.to_string(),
                expected: "a number from 0 to 1".into(),
            });
        }
        self.config.sampler =
            Sampler::ParentBased(crate::setup::config::RootSampler::TraceIdRatio(ratio));
        self
    }

    /// The head sampler (see [`Sampler`]).
    pub fn sampler(mut self, sampler: Sampler) -> Self {
        self.config.sampler = sampler;
        self
    }

    /// Whether every failed trace is exported whatever the sampler chose (default `true`).
    pub fn keep_failed_traces(mut self, keep: bool) -> Self {
        self.config.keep_failed_traces = keep;
        self
    }

    /// Also exports every trace in which a span lasted longer than `threshold`, so that slow
    /// requests can be explained even when the ratio did not choose them (default: off;
    /// `OBS_TRACES_KEEP_SLOWER_THAN_MS` overrides).
    pub fn keep_traces_slower_than(mut self, threshold: Duration) -> Self {
        self.config.keep_slower_than = Some(threshold);
        self
    }

    /// Sends traces (and logs) over OTLP/HTTP to `endpoint` (the collector's base URL, e.g.
    /// `http://localhost:4318`).
    pub fn otlp_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.config.otlp = Some(OtlpConfig::new(&endpoint.into(), Protocol::HttpProtobuf));
        self
    }

    /// Also pushes every metric over OTLP, every `interval`, to the collector set with
    /// [`otlp_endpoint`](Self::otlp_endpoint) (`OTEL_METRICS_EXPORTER=otlp` and
    /// `OTEL_METRIC_EXPORT_INTERVAL` do the same from the environment). The Prometheus endpoint
    /// stays, unless [`prometheus(None)`](Self::prometheus).
    pub fn otlp_metrics(mut self, interval: Duration) -> Self {
        match &self.config.otlp {
            Some(otlp) => {
                let mut metrics = OtlpMetricsConfig::beside(otlp);
                metrics.interval = interval;
                self.config.otlp_metrics = Some(metrics);
            }
            None => {
                self.error = Some(ConfigError::Invalid {
                    setting: "otlp_metrics",
                    value: format!("{interval:?}"),
                    expected: "an OTLP endpoint first: call `otlp_endpoint` before `otlp_metrics`"
                        .into(),
                });
            }
        }
        self
    }

    /// Timeout of one OTLP export request (default 3 s; `OTEL_EXPORTER_OTLP_TIMEOUT` overrides).
    pub fn otlp_timeout(mut self, timeout: Duration) -> Self {
        if let Some(otlp) = &mut self.config.otlp {
            otlp.timeout = timeout;
        } else {
            self.error = Some(ConfigError::Invalid {
                setting: "otlp_timeout",
                value: format!("{timeout:?}"),
                expected: "an OTLP endpoint first: call `otlp_endpoint` before `otlp_timeout`"
                    .into(),
            });
        }
        self
    }

    /// The embedded trace file used when no OTLP endpoint is set (`None`: no file).
    pub fn traces_file(mut self, path: Option<impl Into<PathBuf>>) -> Self {
        self.config.traces_file = path.map(Into::into);
        self
    }

    /// Address of the Prometheus `/metrics` endpoint (`None`: no recorder is installed; feed
    /// yours with `obs::metrics::spawn_flusher`).
    pub fn prometheus(mut self, addr: Option<SocketAddr>) -> Self {
        self.config.metrics_addr = addr;
        self
    }

    /// Log filter (`EnvFilter` syntax), overridden by `RUST_LOG`.
    pub fn log_filter(mut self, filter: impl Into<String>) -> Self {
        self.config.log_filter = filter.into();
        self
    }

    /// Which spans are traced (`EnvFilter` syntax), overridden by `OBS_TRACES_FILTER`.
    pub fn trace_filter(mut self, filter: impl Into<String>) -> Self {
        self.config.trace_filter = filter.into();
        self
    }

    /// Bounds on the trace pipeline.
    pub fn limits(mut self, limits: crate::setup::config::Limits) -> Self {
        self.config.limits = limits;
        self
    }

    /// Where JSON log lines go (default: stdout through a lossy non-blocking writer).
    pub fn log_writer<W>(mut self, writer: W) -> Self
    where
        W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
    {
        self.log_writer = Some(BoxMakeWriter::new(writer));
        self
    }

    /// Exports spans with this OpenTelemetry exporter instead of OTLP or the file.
    pub fn span_exporter<E>(mut self, exporter: E) -> Self
    where
        E: opentelemetry_sdk::trace::SpanExporter + 'static,
    {
        self.span_sink = Some(Box::new(move |resource: &Resource| {
            Box::new(Exporter::new(exporter, resource)) as Box<dyn SpanSink>
        }));
        self
    }

    /// Adds a `tracing` layer of your own (it sees every span and event).
    ///
    /// Observed functions then make ordinary `tracing` spans so that the layer sees them too,
    /// instead of taking obs's own span path: about four times the cost per call (see
    /// `BENCHMARKS.md`).
    pub fn with_layer<L>(mut self, layer: L) -> Self
    where
        L: Layer<Registry> + Send + Sync + 'static,
    {
        self.layers.push(Box::new(layer));
        self
    }

    /// Shows the saturation of this tokio runtime on `/metrics` (workers' busy ratio, global
    /// queue depth, alive tasks): for a program that calls `init` before it builds its runtime.
    /// `init` called inside a runtime (in `#[tokio::main]`) watches that one without being told.
    ///
    /// ```no_run
    /// let runtime = tokio::runtime::Runtime::new()?;
    /// let telemetry = obs_runtime::TelemetryBuilder::new("worker")
    ///     .tokio_runtime(runtime.handle().clone())
    ///     .init()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn tokio_runtime(mut self, handle: tokio::runtime::Handle) -> Self {
        self.tokio_runtime = Some(handle);
        self
    }

    /// Replaces every setting with `config` (for services that build their settings
    /// themselves; the environment is still applied on top unless `ignore_env` is called).
    ///
    /// ```
    /// let mut config = obs_runtime::config::Config::new("checkout");
    /// config.keep_failed_traces = false;
    /// let builder = obs_runtime::TelemetryBuilder::new("ignored").with_config(config).ignore_env();
    /// assert_eq!(builder.config().unwrap().service_name, "checkout");
    /// ```
    pub fn with_config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// Ignores the environment: only what the builder says counts (for tests).
    pub fn ignore_env(mut self) -> Self {
        self.read_env = false;
        self
    }

    /// The configuration this builder would use, with the environment applied.
    pub fn config(&self) -> Result<Config, ConfigError> {
        let mut config = self.config.clone();
        if self.read_env {
            config.apply_env(|var| std::env::var(var).ok())?;
        }
        Ok(config)
    }

    /// Installs the global subscriber, recorder and exporters. Fails, without panicking, on a
    /// bad setting, a second call, or another global subscriber or recorder.
    pub fn init(mut self) -> Result<Telemetry, InitError> {
        if let Some(error) = self.error.take() {
            return Err(error.into());
        }
        let config = self.config()?;
        if INITIALIZED.swap(true, Ordering::SeqCst) {
            return Err(InitError::AlreadyInitialized);
        }
        let parts = super::install::Parts {
            log_writer: self.log_writer,
            span_sink: self.span_sink,
            layers: self.layers,
            tokio_runtime: self.tokio_runtime,
        };
        let result = super::install::install(parts, config);
        if result.is_err() {
            INITIALIZED.store(false, Ordering::SeqCst);
        }
        result
    }
}
