//! Where spans go: a span exporter the user gave, OTLP, the embedded trace file, or nowhere.

use super::config::Config;
use super::error::InitError;
use crate::trace::export::file::FileExporter;
use crate::trace::export::{Exporter, SpanSink};
use opentelemetry_sdk::Resource;

pub(super) type SinkFactory = Box<dyn FnOnce(&Resource) -> Box<dyn SpanSink> + Send>;

pub(super) fn span_sink(
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
        return super::otlp::span_sink(otlp, resource).map(Some);
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
