//! Export: finished spans leave the process here. The [`queue`] (one thread, bounded, never
//! blocking the program) feeds a [`SpanSink`]: OpenTelemetry's OTLP exporter (built by `crate::setup`),
//! the embedded trace file ([`file`]), or any `SpanExporter` a user passes. A sink takes only spans
//! that went through the scrubber.

pub(crate) mod file;
pub(crate) mod queue;

use crate::pii::scrub::Scrubbed;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use std::time::Duration;

pub(crate) use queue::{ExportQueue, QueueSettings};

/// An exporter driven from the export thread, with the future of `SpanExporter::export` run to
/// completion there (exporters bound their own time with a timeout).
pub(crate) trait SpanSink: Send {
    /// Exports spans that went through the scrubber (the only kind there is to export).
    fn export(&mut self, batch: Vec<Scrubbed<SpanData>>) -> Result<(), String>;
    fn shutdown(&mut self, timeout: Duration) -> Result<(), String>;
}

/// Any OpenTelemetry `SpanExporter` as a [`SpanSink`].
pub(crate) struct Exporter<E>(pub(crate) E);

impl<E: SpanExporter + 'static> Exporter<E> {
    pub(crate) fn new(mut exporter: E, resource: &Resource) -> Self {
        exporter.set_resource(resource);
        Exporter(exporter)
    }
}

impl<E: SpanExporter + 'static> SpanSink for Exporter<E> {
    fn export(&mut self, batch: Vec<Scrubbed<SpanData>>) -> Result<(), String> {
        let batch = batch.into_iter().map(Scrubbed::into_inner).collect();
        futures_executor::block_on(self.0.export(batch)).map_err(|e| e.to_string())
    }

    fn shutdown(&mut self, timeout: Duration) -> Result<(), String> {
        self.0.shutdown_with_timeout(timeout).map_err(|e| e.to_string())
    }
}
