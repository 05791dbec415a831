//! The guard `init` returns: flush, statistics, and a bounded shutdown.

use super::background::Background;
use super::error::ShutdownError;
use crate::trace::PipelineStats;
use crate::trace::pipeline::Pipeline;
use opentelemetry_sdk::logs::SdkLoggerProvider;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

pub(super) struct Inner {
    pub(super) pipeline: Arc<Pipeline>,
    pub(super) logger_provider: Option<SdkLoggerProvider>,
    pub(super) log_guard: Option<crate::logs::writer::WriterGuard>,
    pub(super) background: Background,
    pub(super) pusher: Option<crate::metrics::otlp::Pusher>,
    pub(super) shutdown_timeout: Duration,
}

/// The installed telemetry. Dropping it, or calling [`Telemetry::shutdown`], exports what is
/// pending and stops the background threads, within a bounded time.
#[must_use = "dropping the guard shuts telemetry down at once; keep it until the end of `main`"]
pub struct Telemetry {
    pub(super) inner: Mutex<Option<Inner>>,
}

impl Telemetry {
    /// Writes the log lines and exports the spans and OTLP log records queued so far, and
    /// brings `/metrics` up to date (waits at most the shutdown timeout for each). `false` if
    /// something could not be flushed in time.
    pub fn flush(&self) -> bool {
        let inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(inner) = inner.as_ref() else {
            return false;
        };
        super::background::publish(&inner.pipeline);
        let spans = inner.pipeline.queue.as_ref().is_none_or(|q| q.flush(inner.shutdown_timeout));
        let logs = inner.logger_provider.as_ref().is_none_or(|p| p.force_flush().is_ok());
        let metrics = inner.pusher.as_ref().is_none_or(|p| p.flush(inner.shutdown_timeout));
        let lines = inner.log_guard.as_ref().is_none_or(|g| g.flush(inner.shutdown_timeout));
        spans && logs && metrics && lines
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
        if let Some(pusher) = inner.pusher {
            let remaining = inner.shutdown_timeout.saturating_sub(started.elapsed());
            let _ = pusher.shutdown(remaining);
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
