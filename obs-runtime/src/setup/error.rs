//! Errors of the runtime's set-up and shutdown. Each says what to do about it.

use std::net::SocketAddr;
use std::path::PathBuf;

/// A setting, from the builder or from the environment, that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// An environment variable holds a value obs cannot use.
    #[error("{var}={value:?} is not valid: {expected}; fix or unset {var}")]
    InvalidEnv {
        /// The variable, e.g. `OTEL_TRACES_SAMPLER_ARG`.
        var: &'static str,
        /// Its value.
        value: String,
        /// What it must be.
        expected: String,
    },
    /// A builder setting holds a value obs cannot use.
    #[error("{setting} = {value:?} is not valid: {expected}")]
    Invalid {
        /// The builder method, e.g. `sampling_ratio`.
        setting: &'static str,
        /// The value given.
        value: String,
        /// What it must be.
        expected: String,
    },
}

/// Why [`crate::init`] could not set up telemetry.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// A setting is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// `obs::init` already ran in this process.
    #[error(
        "obs is already initialised in this process; call `obs::init` once, at the top of `main`, and keep its guard"
    )]
    AlreadyInitialized,
    /// Another global `tracing` subscriber is installed.
    #[error(
        "a global tracing subscriber is already installed; remove the other `set_global_default`/`.init()` call, or add your layers through `TelemetryBuilder::with_layer`"
    )]
    SubscriberAlreadySet,
    /// Another global `metrics` recorder is installed.
    #[error(
        "a global metrics recorder is already installed; remove the other recorder, or call `TelemetryBuilder::prometheus(None)` and `obs::metrics::spawn_flusher` to feed yours"
    )]
    RecorderAlreadySet,
    /// The Prometheus endpoint could not listen on its address.
    #[error(
        "cannot serve /metrics on {addr}: {reason}; choose another address with OBS_METRICS_ADDR or `TelemetryBuilder::prometheus`"
    )]
    MetricsEndpoint {
        /// The address.
        addr: SocketAddr,
        /// The listener's error.
        reason: String,
    },
    /// The OTLP exporter could not be built.
    #[error("cannot build the OTLP exporter for {endpoint}: {reason}")]
    Exporter {
        /// The endpoint.
        endpoint: String,
        /// The exporter's error.
        reason: String,
    },
    /// The embedded trace file could not be opened.
    #[error("cannot open the trace file {path}: {source}; set OBS_TRACES_FILE to a writable path")]
    TraceFile {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A background thread could not be started.
    #[error("cannot start the {name} thread: {source}")]
    Thread {
        /// Which thread.
        name: &'static str,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Why [`crate::Telemetry::shutdown`] did not flush everything.
#[derive(Debug, thiserror::Error)]
pub enum ShutdownError {
    /// Spans were still being exported when the shutdown timeout ran out; they are lost.
    #[error("trace export did not finish within {0:?}; the collector may be down or slow")]
    Timeout(std::time::Duration),
    /// The exporter reported an error while flushing.
    #[error("the exporter failed while shutting down: {0}")]
    Exporter(String),
}
