//! The embedded default exporter: finished traces appended to a local file, one OTLP-JSON
//! `ExportTraceServiceRequest` per line — the format of the collector's `otlpjsonfile` receiver,
//! read by obs's own trace tools. No collector is needed to see a trace.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::transform::common::tonic::ResourceAttributesWithSchema;
use opentelemetry_proto::transform::trace::tonic::group_spans_by_resource_and_scope;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

/// Above this size the file is renamed to `<file>.1` (replacing an older one) and restarted.
const ROTATE_BYTES: u64 = 64 * 1024 * 1024;

/// Writes spans to a file of OTLP-JSON lines.
#[derive(Debug)]
pub(crate) struct FileExporter {
    path: PathBuf,
    file: Mutex<File>,
    resource: ResourceAttributesWithSchema,
}

impl FileExporter {
    /// Opens (appends to) `path`, creating its directory.
    pub(crate) fn open(path: &Path) -> std::io::Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(FileExporter {
            path: path.to_owned(),
            file: Mutex::new(file),
            resource: ResourceAttributesWithSchema::from(&Resource::builder_empty().build()),
        })
    }

    fn write(&self, line: &[u8]) -> std::io::Result<()> {
        let mut file = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        if file.metadata().map(|m| m.len()).unwrap_or(0) > ROTATE_BYTES {
            let mut rotated = self.path.clone().into_os_string();
            rotated.push(".1");
            std::fs::rename(&self.path, rotated)?;
            *file = OpenOptions::new().create(true).append(true).open(&self.path)?;
        }
        // One write per line: with O_APPEND, lines from several processes do not interleave.
        file.write_all(line)
    }
}

impl SpanExporter for FileExporter {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let request = ExportTraceServiceRequest {
            resource_spans: group_spans_by_resource_and_scope(batch, &self.resource),
        };
        let mut line = serde_json::to_vec(&request)
            .map_err(|e| OTelSdkError::InternalFailure(e.to_string()))?;
        line.push(b'\n');
        self.write(&line)
            .map_err(|e| OTelSdkError::InternalFailure(format!("{}: {e}", self.path.display())))
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.resource = ResourceAttributesWithSchema::from(resource);
    }
}
