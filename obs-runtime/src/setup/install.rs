//! The assembly: what `init` installs, from the configuration, in order: the trace pipeline,
//! the log layers, the subscriber, the Prometheus endpoint, obs's own span path, the panic
//! hook, and the background thread.

use super::background::Background;
use super::config::Config;
use super::error::{ConfigError, InitError};
use super::sinks::SinkFactory;
use super::telemetry::{Inner, Telemetry};
use crate::logs::JsonLogLayer;
use crate::metrics::recorder::InstallError;
use crate::metrics::runtime::RuntimeGauges;
use crate::trace::export::QueueSettings;
use crate::trace::layer::ObsLayer;
use crate::trace::pipeline::{Pipeline, PipelineSettings};
use crate::trace::sampling::SamplingPolicy;
use crate::trace::subscriber::ObsSubscriber;
use std::sync::{Arc, Mutex};
use tracing_subscriber::fmt::writer::BoxMakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

/// What the builder holds besides the configuration.
pub(super) struct Parts {
    pub(super) log_writer: Option<BoxMakeWriter>,
    pub(super) span_sink: Option<SinkFactory>,
    pub(super) layers: Vec<Box<dyn Layer<Registry> + Send + Sync>>,
    pub(super) tokio_runtime: Option<tokio::runtime::Handle>,
}

pub(super) fn install(builder: Parts, config: Config) -> Result<Telemetry, InitError> {
    let resource = super::resource::resource(&config);
    let log_filter = filter("log_filter", &config.log_filter)?;
    let trace_filter = filter("trace_filter", &config.trace_filter)?;

    let sink = super::sinks::span_sink(&config, builder.span_sink, &resource)?;
    let pipeline = Arc::new(
        Pipeline::start(pipeline_settings(&config), sink)
            .map_err(|source| InitError::Thread { name: "trace export", source })?,
    );

    let logger_provider = match &config.otlp {
        Some(otlp) if otlp.logs && !config.sdk_disabled => {
            Some(super::otlp::log_provider(otlp, &resource)?)
        }
        _ => None,
    };
    let logger =
        logger_provider.as_ref().map(|p| opentelemetry::logs::LoggerProvider::logger(p, "obs"));
    let (writer, log_guard, log_dropped) = match builder.log_writer {
        Some(writer) => (writer, None, None),
        None => {
            // Buffered: the writer thread writes what gathered, then lingers before it looks
            // again (see `logs::writer`).
            let (writer, dropped, guard) = crate::logs::writer::start(std::io::stdout())
                .map_err(|source| InitError::Thread { name: "log writer", source })?;
            (BoxMakeWriter::new(writer), Some(guard), Some(dropped))
        }
    };

    // obs's own span path for observed functions, unless other layers want to see their
    // spans (see `trace::native`). Its filter is a second copy of the trace filter.
    let native_filter = (!config.sdk_disabled && builder.layers.is_empty())
        .then(|| EnvFilter::builder().parse_lossy(&config.trace_filter));
    let trace_layer =
        (!config.sdk_disabled).then(|| ObsLayer::new(pipeline.clone()).with_filter(trace_filter));
    // An empty `Vec` of layers would answer "never" for every callsite and silence
    // everything: only add the user's layers when there are some.
    let user_layers = (!builder.layers.is_empty()).then_some(builder.layers);
    let subscriber = Registry::default()
        .with(user_layers)
        .with(trace_layer)
        .with(JsonLogLayer::new(writer, logger).with_filter(log_filter));

    // The recorder holds the `metrics` series for the endpoint and for the OTLP push.
    let store = if config.metrics_addr.is_some() || config.otlp_metrics.is_some() {
        let endpoint = |reason: String| match config.metrics_addr {
            Some(addr) => InitError::MetricsEndpoint { addr, reason },
            None => InitError::Exporter { endpoint: "metrics".into(), reason },
        };
        // Bound first: a taken port is a clear error before anything is installed.
        let listener = config
            .metrics_addr
            .map(|addr| crate::metrics::prometheus::bind(addr).map_err(endpoint))
            .transpose()?;
        let store = crate::metrics::recorder::install(
            &config.service_name,
            config.limits.max_series_per_metric,
        )
        .map_err(|error| match error {
            InstallError::Exporter(reason) => endpoint(reason),
            InstallError::RecorderAlreadySet => InitError::RecorderAlreadySet,
        })?;
        if let Some(listener) = listener {
            crate::metrics::prometheus::serve(listener, store).map_err(endpoint)?;
        }
        Some(store)
    } else {
        None
    };
    let pusher = match (&config.otlp_metrics, store) {
        (Some(otlp), Some(store)) => Some(
            crate::metrics::otlp::Pusher::start(
                store,
                super::otlp::metrics_sink(otlp)?,
                crate::metrics::otlp::PushSettings {
                    interval: otlp.interval,
                    temporality: otlp.temporality,
                    histograms: otlp.histograms,
                    resource: super::resource::proto(&resource),
                },
            )
            .map_err(|source| InitError::Thread { name: "metrics push", source })?,
        ),
        _ => None,
    };
    tracing::subscriber::set_global_default(ObsSubscriber::new(subscriber))
        .map_err(|_| InitError::SubscriberAlreadySet)?;
    crate::metrics::enable();
    super::build_info::install(config.service_version.as_deref(), config.build.as_ref());
    if let Some(filter) = native_filter {
        crate::trace::native::install(pipeline.clone(), filter);
    }
    crate::logs::panic::install();

    // The tokio runtime given, or the one `init` runs in.
    let runtime = match &builder.tokio_runtime {
        Some(handle) => Some(RuntimeGauges::new(handle)),
        None => RuntimeGauges::current(),
    };
    let background =
        Background::start(pipeline.clone(), config.limits.metrics_interval, log_dropped, runtime)
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
            pusher,
            shutdown_timeout: config.limits.shutdown_timeout,
        })),
    })
}

/// A `tracing` filter from its setting, or an error that names it.
fn filter(setting: &'static str, value: &str) -> Result<EnvFilter, ConfigError> {
    EnvFilter::builder().parse(value).map_err(|e| ConfigError::Invalid {
        setting,
        value: value.to_owned(),
        expected: e.to_string(),
    })
}

/// What the trace pipeline takes of the configuration.
fn pipeline_settings(config: &Config) -> PipelineSettings {
    PipelineSettings {
        policy: SamplingPolicy {
            sampler: config.sampler,
            keep_failed: config.keep_failed_traces,
            keep_slower_than: config.keep_slower_than,
            max_spans_per_trace: config.limits.max_spans_per_trace,
            max_traces_buffered: config.limits.max_traces_in_flight,
        },
        queue: QueueSettings {
            capacity: config.limits.export_queue,
            batch: config.limits.export_batch,
            delay: config.limits.export_delay,
        },
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
