//! The OTLP exporters of `opentelemetry-otlp` for spans and logs, built from the configuration:
//! HTTP/protobuf, or gRPC with the `grpc` feature.

use super::config::{OtlpConfig, OtlpMetricsConfig, Protocol};
use super::error::InitError;
use crate::trace::export::{Exporter, SpanSink};
use opentelemetry_otlp::{WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::logs::SdkLoggerProvider;

fn build_error(endpoint: &str, reason: impl ToString) -> InitError {
    InitError::Exporter { endpoint: endpoint.to_owned(), reason: reason.to_string() }
}

/// The HTTP client is built on the export thread's side of things: `reqwest`'s blocking
/// client must not be dropped inside an async runtime, and the exporter lives on obs's own
/// thread.
pub(crate) fn span_sink(
    otlp: &OtlpConfig,
    resource: &Resource,
) -> Result<Box<dyn SpanSink>, InitError> {
    match otlp.protocol {
        Protocol::HttpProtobuf => {
            let client = http_client(otlp)?;
            let exporter = opentelemetry_otlp::SpanExporter::builder()
                .with_http()
                .with_http_client(client)
                .with_endpoint(otlp.traces_endpoint.clone())
                .with_timeout(otlp.timeout)
                .build()
                .map_err(|e| build_error(&otlp.traces_endpoint, e))?;
            Ok(Box::new(Exporter::new(exporter, resource)))
        }
        Protocol::Grpc => grpc::span_sink(otlp, resource),
    }
}

/// The OTLP log exporter, installed in a `SdkLoggerProvider` with a batch processor.
pub(crate) fn log_provider(
    otlp: &OtlpConfig,
    resource: &Resource,
) -> Result<SdkLoggerProvider, InitError> {
    let builder = SdkLoggerProvider::builder().with_resource(resource.clone());
    let builder = match otlp.protocol {
        Protocol::HttpProtobuf => builder.with_batch_exporter(
            opentelemetry_otlp::LogExporter::builder()
                .with_http()
                .with_http_client(http_client(otlp)?)
                .with_endpoint(otlp.logs_endpoint.clone())
                .with_timeout(otlp.timeout)
                .build()
                .map_err(|e| build_error(&otlp.logs_endpoint, e))?,
        ),
        Protocol::Grpc => builder.with_batch_exporter(grpc::log_exporter(otlp)?),
    };
    Ok(builder.build())
}

/// The sink of the OTLP metrics push: protobuf over HTTP, or gRPC with the `grpc` feature.
pub(crate) fn metrics_sink(
    otlp: &OtlpMetricsConfig,
) -> Result<Box<dyn crate::metrics::otlp::MetricsSink>, InitError> {
    match otlp.protocol {
        Protocol::HttpProtobuf => {
            let client = blocking_client(otlp.timeout, &otlp.endpoint)?;
            Ok(Box::new(crate::metrics::otlp::HttpSink { client, endpoint: otlp.endpoint.clone() }))
        }
        Protocol::Grpc => grpc::metrics_sink(otlp),
    }
}

/// A blocking client with the export timeout, built on its own thread: `reqwest` refuses to
/// build or drop a blocking client from inside an async runtime, and `obs::init` is often
/// called in `#[tokio::main]`.
fn http_client(otlp: &OtlpConfig) -> Result<reqwest::blocking::Client, InitError> {
    blocking_client(otlp.timeout, &otlp.traces_endpoint)
}

fn blocking_client(
    timeout: std::time::Duration,
    endpoint: &str,
) -> Result<reqwest::blocking::Client, InitError> {
    std::thread::spawn(move || reqwest::blocking::Client::builder().timeout(timeout).build())
        .join()
        .map_err(|_| build_error(endpoint, "the HTTP client panicked while starting"))?
        .map_err(|e| build_error(endpoint, e))
}

#[cfg(feature = "grpc")]
mod grpc {
    use super::*;
    use crate::pii::scrub::Scrubbed;
    use opentelemetry_sdk::trace::SpanData;
    use std::time::Duration;

    /// tonic needs a Tokio reactor: the export thread gets a runtime of its own.
    struct GrpcSink {
        exporter: opentelemetry_otlp::SpanExporter,
        runtime: tokio::runtime::Runtime,
    }

    impl SpanSink for GrpcSink {
        fn export(&mut self, batch: Vec<Scrubbed<SpanData>>) -> Result<(), String> {
            use opentelemetry_sdk::trace::SpanExporter as _;
            let batch = batch.into_iter().map(Scrubbed::into_inner).collect();
            self.runtime.block_on(self.exporter.export(batch)).map_err(|e| e.to_string())
        }
        fn shutdown(&mut self, timeout: Duration) -> Result<(), String> {
            use opentelemetry_sdk::trace::SpanExporter as _;
            self.exporter.shutdown_with_timeout(timeout).map_err(|e| e.to_string())
        }
    }

    pub(super) fn span_sink(
        otlp: &OtlpConfig,
        resource: &Resource,
    ) -> Result<Box<dyn SpanSink>, InitError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| build_error(&otlp.traces_endpoint, e))?;
        let mut exporter = {
            let _guard = runtime.enter();
            opentelemetry_otlp::SpanExporter::builder()
                .with_tonic()
                .with_endpoint(otlp.traces_endpoint.clone())
                .with_timeout(otlp.timeout)
                .build()
                .map_err(|e| build_error(&otlp.traces_endpoint, e))?
        };
        opentelemetry_sdk::trace::SpanExporter::set_resource(&mut exporter, resource);
        Ok(Box::new(GrpcSink { exporter, runtime }))
    }

    /// The gRPC log exporter with a Tokio runtime of its own: the SDK's batch processor calls it
    /// from a plain thread, where tonic would panic for want of a reactor.
    #[derive(Debug)]
    pub(super) struct GrpcLogExporter {
        exporter: opentelemetry_otlp::LogExporter,
        runtime: tokio::runtime::Runtime,
    }

    impl opentelemetry_sdk::logs::LogExporter for GrpcLogExporter {
        fn export(
            &self,
            batch: opentelemetry_sdk::logs::LogBatch<'_>,
        ) -> impl std::future::Future<Output = opentelemetry_sdk::error::OTelSdkResult> + Send
        {
            let result = self.runtime.block_on(self.exporter.export(batch));
            std::future::ready(result)
        }

        fn shutdown_with_timeout(
            &self,
            timeout: Duration,
        ) -> opentelemetry_sdk::error::OTelSdkResult {
            self.exporter.shutdown_with_timeout(timeout)
        }

        fn set_resource(&mut self, resource: &Resource) {
            self.exporter.set_resource(resource);
        }
    }

    pub(super) fn metrics_sink(
        otlp: &OtlpMetricsConfig,
    ) -> Result<Box<dyn crate::metrics::otlp::MetricsSink>, InitError> {
        use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_client::MetricsServiceClient;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| build_error(&otlp.endpoint, e))?;
        let channel = {
            let _guard = runtime.enter();
            tonic::transport::Channel::from_shared(otlp.endpoint.clone())
                .map_err(|e| build_error(&otlp.endpoint, e))?
                .timeout(otlp.timeout)
                .connect_lazy()
        };
        Ok(Box::new(crate::metrics::otlp::GrpcSink {
            client: MetricsServiceClient::new(channel),
            runtime,
            timeout: otlp.timeout,
        }))
    }

    pub(super) fn log_exporter(otlp: &OtlpConfig) -> Result<GrpcLogExporter, InitError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| build_error(&otlp.logs_endpoint, e))?;
        let exporter = {
            let _guard = runtime.enter();
            opentelemetry_otlp::LogExporter::builder()
                .with_tonic()
                .with_endpoint(otlp.logs_endpoint.clone())
                .with_timeout(otlp.timeout)
                .build()
                .map_err(|e| build_error(&otlp.logs_endpoint, e))?
        };
        Ok(GrpcLogExporter { exporter, runtime })
    }
}

#[cfg(not(feature = "grpc"))]
mod grpc {
    use super::*;

    fn needs_feature(otlp: &OtlpConfig) -> InitError {
        build_error(
            &otlp.traces_endpoint,
            "OTLP over gRPC needs obs's `grpc` feature; enable it, or set OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf",
        )
    }

    pub(super) fn span_sink(
        otlp: &OtlpConfig,
        _: &Resource,
    ) -> Result<Box<dyn SpanSink>, InitError> {
        Err(needs_feature(otlp))
    }

    pub(super) fn log_exporter(
        otlp: &OtlpConfig,
    ) -> Result<opentelemetry_otlp::LogExporter, InitError> {
        Err(needs_feature(otlp))
    }

    pub(super) fn metrics_sink(
        otlp: &OtlpMetricsConfig,
    ) -> Result<Box<dyn crate::metrics::otlp::MetricsSink>, InitError> {
        Err(build_error(
            &otlp.endpoint,
            "OTLP over gRPC needs obs's `grpc` feature; enable it, or set OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf",
        ))
    }
}
