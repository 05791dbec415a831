//! The metrics thread: forwards call metrics, publishes the pipeline's counters, updates the
//! process gauges, every interval.

use crate::metrics::process::ProcessGauges;
use crate::trace::pipeline::Pipeline;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// Forwards metrics and updates the process gauges every interval.
pub(super) struct Background {
    stop: crossbeam_channel::Sender<()>,
    thread: JoinHandle<()>,
}

impl Background {
    pub(super) fn start(
        pipeline: Arc<Pipeline>,
        interval: Duration,
        log_errors: Option<tracing_appender::non_blocking::ErrorCounter>,
    ) -> std::io::Result<Background> {
        let (stop, stopped) = crossbeam_channel::bounded::<()>(1);
        let thread = std::thread::Builder::new().name("obs-metrics".into()).spawn(move || {
            crate::trace::counters::Counters::describe_metrics();
            crate::trace::context::describe_metrics();
            ::metrics::describe_counter!(
                crate::names::OBS_LOG_LINES_DROPPED_TOTAL,
                ::metrics::Unit::Count,
                "Log lines dropped because stdout could not keep up"
            );
            let mut gauges = ProcessGauges::new();
            loop {
                crate::metrics::flush();
                crate::metrics::prometheus::upkeep();
                pipeline.counters.publish_metrics();
                crate::trace::context::publish_metrics();
                if let Some(errors) = &log_errors {
                    ::metrics::counter!(crate::names::OBS_LOG_LINES_DROPPED_TOTAL)
                        .absolute(errors.dropped_lines() as u64);
                }
                gauges.collect();
                if stopped.recv_timeout(interval).is_ok() {
                    crate::metrics::flush();
                    pipeline.counters.publish_metrics();
                    crate::trace::context::publish_metrics();
                    return;
                }
            }
        })?;
        Ok(Background { stop, thread })
    }

    pub(super) fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.thread.join();
    }
}
