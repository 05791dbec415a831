//! One call at the top of `main`: `obs::init`, or the [`TelemetryBuilder`].

use crate::config::{Config, Protocol, Sampler};
use crate::error::{ConfigError, InitError, ShutdownError};
use crate::logs::JsonLogLayer;
use crate::process::ProcessGauges;
use crate::trace::export::{ExportQueue, Exporter, QueueSettings, SpanSink};
use crate::trace::file::FileExporter;
use crate::trace::layer::ObsLayer;
use crate::trace::pipeline::{Counters, Pipeline, PipelineStats};
use crate::trace::sampling::Policy;
use crate::trace::subscriber::ObsSubscriber;
use opentelemetry::KeyValue;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::logs::SdkLoggerProvider;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::writer::BoxMakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

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
/// [`crate::config`]), so that operators can change a deployed service.
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
            error: None,
        }
    }

    /// `service.version`.
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.config.service_version = Some(version.into());
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
        self.config.sampler = Sampler::ParentBased(crate::config::RootSampler::TraceIdRatio(ratio));
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
        let base = endpoint.into();
        let base = base.trim_end_matches('/');
        self.config.otlp = Some(crate::config::OtlpConfig {
            traces_endpoint: format!("{base}/v1/traces"),
            logs_endpoint: format!("{base}/v1/logs"),
            protocol: Protocol::HttpProtobuf,
            timeout: Duration::from_secs(3),
            logs: true,
        });
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
    pub fn limits(mut self, limits: crate::config::Limits) -> Self {
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
        let result = self.install(config);
        if result.is_err() {
            INITIALIZED.store(false, Ordering::SeqCst);
        }
        result
    }

    fn install(self, config: Config) -> Result<Telemetry, InitError> {
        let resource = resource(&config);
        let log_filter =
            EnvFilter::builder().parse(&config.log_filter).map_err(|e| ConfigError::Invalid {
                setting: "log_filter",
                value: config.log_filter.clone(),
                expected: e.to_string(),
            })?;
        let trace_filter =
            EnvFilter::builder().parse(&config.trace_filter).map_err(|e| ConfigError::Invalid {
                setting: "trace_filter",
                value: config.trace_filter.clone(),
                expected: e.to_string(),
            })?;

        let counters = Arc::new(Counters::default());
        let sink = make_sink(&config, self.span_sink, &resource)?;
        let queue = match sink {
            Some(sink) => Some(
                ExportQueue::start(
                    sink,
                    opentelemetry::InstrumentationScope::builder("obs")
                        .with_version(env!("CARGO_PKG_VERSION"))
                        .build(),
                    QueueSettings {
                        capacity: config.limits.export_queue,
                        batch: config.limits.export_batch,
                        delay: config.limits.export_delay,
                    },
                    counters.clone(),
                )
                .map_err(|source| InitError::Thread { name: "trace export", source })?,
            ),
            None => None,
        };
        let pipeline = Arc::new(Pipeline {
            policy: Policy {
                sampler: config.sampler,
                keep_failed: config.keep_failed_traces,
                max_spans_per_trace: config.limits.max_spans_per_trace,
                max_traces_in_flight: config.limits.max_traces_in_flight,
                keep_slower_than: config.keep_slower_than,
            },
            counters,
            queue,
        });

        let logger_provider = match &config.otlp {
            Some(otlp) if otlp.logs && !config.sdk_disabled => {
                Some(crate::otlp::log_provider(otlp, &resource)?)
            }
            _ => None,
        };
        let logger =
            logger_provider.as_ref().map(|p| opentelemetry::logs::LoggerProvider::logger(p, "obs"));
        let (writer, log_guard, log_errors) = match self.log_writer {
            Some(writer) => (writer, None, None),
            None => {
                let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
                    .lossy(true)
                    .thread_name("obs-log-writer")
                    .finish(std::io::stdout());
                let errors = writer.error_counter();
                (BoxMakeWriter::new(writer), Some(guard), Some(errors))
            }
        };

        // obs's own span path for observed functions, unless other layers want to see their
        // spans (see `trace::native`). Its filter is a second copy of the trace filter.
        let native_filter = (!config.sdk_disabled && self.layers.is_empty())
            .then(|| EnvFilter::builder().parse_lossy(&config.trace_filter));
        let trace_layer = (!config.sdk_disabled)
            .then(|| ObsLayer::new(pipeline.clone()).with_filter(trace_filter));
        // An empty `Vec` of layers would answer "never" for every callsite and silence
        // everything: only add the user's layers when there are some.
        let user_layers = (!self.layers.is_empty()).then_some(self.layers);
        let subscriber = Registry::default()
            .with(user_layers)
            .with(trace_layer)
            .with(JsonLogLayer::new(writer, logger).with_filter(log_filter));

        if let Some(addr) = config.metrics_addr {
            crate::prometheus::install(addr, &config.service_name)?;
        }
        tracing::subscriber::set_global_default(ObsSubscriber::new(subscriber))
            .map_err(|_| InitError::SubscriberAlreadySet)?;
        crate::metrics::enable();
        if let Some(filter) = native_filter {
            crate::trace::native::install(pipeline.clone(), filter);
        }
        crate::panic::install();

        let background =
            Background::start(pipeline.clone(), config.limits.metrics_interval, log_errors)
                .map_err(|source| InitError::Thread { name: "metrics", source })?;
        tracing::info!(
            service.name = %config.service_name,
            traces = %describe_traces(&config),
            metrics = %config.metrics_addr.map_or("off".to_owned(), |a| format!("http://{a}/metrics")),
            "telemetry ready"
        );
        Ok(Telemetry {
            inner: Mutex::new(Some(Inner {
                pipeline,
                logger_provider,
                log_guard,
                background,
                shutdown_timeout: config.limits.shutdown_timeout,
            })),
        })
    }
}

fn describe_traces(config: &Config) -> String {
    match (&config.otlp, &config.traces_file, config.sdk_disabled) {
        (_, _, true) => "off (OTEL_SDK_DISABLED)".into(),
        (Some(otlp), _, _) => otlp.traces_endpoint.clone(),
        (None, Some(path), _) => path.display().to_string(),
        (None, None, _) => "off".into(),
    }
}

fn resource(config: &Config) -> Resource {
    let mut attributes = vec![KeyValue::new("service.name", config.service_name.clone())];
    if let Some(version) = &config.service_version {
        attributes.push(KeyValue::new("service.version", version.clone()));
    }
    if let Some(environment) = &config.environment {
        attributes.push(KeyValue::new("deployment.environment.name", environment.clone()));
    }
    attributes.extend(
        config.resource_attributes.iter().map(|(k, v)| KeyValue::new(k.clone(), v.clone())),
    );
    Resource::builder_empty()
        .with_detector(Box::new(opentelemetry_sdk::resource::TelemetryResourceDetector))
        .with_attributes(attributes)
        .build()
}

type SinkFactory = Box<dyn FnOnce(&Resource) -> Box<dyn SpanSink> + Send>;

fn make_sink(
    config: &Config,
    custom: Option<SinkFactory>,
    resource: &Resource,
) -> Result<Option<Box<dyn SpanSink>>, InitError> {
    if config.sdk_disabled {
        return Ok(None);
    }
    if let Some(factory) = custom {
        return Ok(Some(factory(resource)));
    }
    if let Some(otlp) = &config.otlp {
        return crate::otlp::span_sink(otlp, resource).map(Some);
    }
    match &config.traces_file {
        Some(path) => {
            let file = FileExporter::open(path)
                .map_err(|source| InitError::TraceFile { path: path.clone(), source })?;
            Ok(Some(Box::new(Exporter::new(file, resource))))
        }
        None => Ok(None),
    }
}

/// Forwards metrics and updates the process gauges every interval.
struct Background {
    stop: crossbeam_channel::Sender<()>,
    thread: JoinHandle<()>,
}

impl Background {
    fn start(
        pipeline: Arc<Pipeline>,
        interval: Duration,
        log_errors: Option<tracing_appender::non_blocking::ErrorCounter>,
    ) -> std::io::Result<Background> {
        let (stop, stopped) = crossbeam_channel::bounded::<()>(1);
        let thread = std::thread::Builder::new().name("obs-metrics".into()).spawn(move || {
            Pipeline::describe_metrics();
            crate::context::describe_metrics();
            ::metrics::describe_counter!(
                crate::names::OBS_LOG_LINES_DROPPED_TOTAL,
                ::metrics::Unit::Count,
                "Log lines dropped because stdout could not keep up"
            );
            let mut gauges = ProcessGauges::new();
            loop {
                crate::metrics::flush();
                crate::prometheus::upkeep();
                pipeline.publish_metrics();
                crate::context::publish_metrics();
                if let Some(errors) = &log_errors {
                    ::metrics::counter!(crate::names::OBS_LOG_LINES_DROPPED_TOTAL)
                        .absolute(errors.dropped_lines() as u64);
                }
                gauges.collect();
                if stopped.recv_timeout(interval).is_ok() {
                    crate::metrics::flush();
                    pipeline.publish_metrics();
                    crate::context::publish_metrics();
                    return;
                }
            }
        })?;
        Ok(Background { stop, thread })
    }

    fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.thread.join();
    }
}

struct Inner {
    pipeline: Arc<Pipeline>,
    logger_provider: Option<SdkLoggerProvider>,
    log_guard: Option<tracing_appender::non_blocking::WorkerGuard>,
    background: Background,
    shutdown_timeout: Duration,
}

/// The installed telemetry. Dropping it, or calling [`Telemetry::shutdown`], exports what is
/// pending and stops the background threads, within a bounded time.
#[must_use = "dropping the guard shuts telemetry down at once; keep it until the end of `main`"]
pub struct Telemetry {
    inner: Mutex<Option<Inner>>,
}

impl Telemetry {
    /// Exports the spans and OTLP log records queued so far, and brings `/metrics` up to date
    /// (waits at most the shutdown timeout for each). `false` if something could not be
    /// flushed in time.
    pub fn flush(&self) -> bool {
        let inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(inner) = inner.as_ref() else {
            return false;
        };
        crate::metrics::flush();
        inner.pipeline.publish_metrics();
        crate::context::publish_metrics();
        let spans = inner.pipeline.queue.as_ref().is_none_or(|q| q.flush(inner.shutdown_timeout));
        let logs = inner.logger_provider.as_ref().is_none_or(|p| p.force_flush().is_ok());
        spans && logs
    }

    /// What the trace pipeline has done so far: traces kept and dropped, spans exported, and
    /// spans lost with the reason.
    ///
    /// ```no_run
    /// let telemetry = obs_runtime::init("checkout")?;
    /// let stats = telemetry.stats();
    /// println!("{} spans exported, {} lost to a full queue", stats.spans_exported, stats.spans_queue_full);
    /// # Ok::<(), obs_runtime::InitError>(())
    /// ```
    pub fn stats(&self) -> PipelineStats {
        let inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.as_ref().map(|i| i.pipeline.counters.stats()).unwrap_or_default()
    }

    /// Flushes and stops everything; returns within the shutdown timeout (5 s by default) even
    /// when the collector is down, saying what could not be exported.
    pub fn shutdown(self) -> Result<(), ShutdownError> {
        self.shutdown_inner()
    }

    fn shutdown_inner(&self) -> Result<(), ShutdownError> {
        let Some(inner) = self.inner.lock().unwrap_or_else(PoisonError::into_inner).take() else {
            return Ok(());
        };
        let started = Instant::now();
        inner.background.stop();
        let traces = match &inner.pipeline.queue {
            Some(queue) => queue.shutdown(inner.shutdown_timeout),
            None => Ok(()),
        };
        if let Some(provider) = inner.logger_provider {
            let remaining = inner.shutdown_timeout.saturating_sub(started.elapsed());
            let _ = provider.shutdown_with_timeout(remaining);
        }
        drop(inner.log_guard);
        traces
    }
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        if let Err(error) = self.shutdown_inner() {
            eprintln!("obs: telemetry shutdown: {error}");
        }
    }
}
