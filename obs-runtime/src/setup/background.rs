//! The metrics thread: forwards call metrics, publishes the pipeline's counters, updates the
//! process gauges and the tokio runtime's, every interval.

use crate::metrics::process::ProcessGauges;
use crate::metrics::runtime::RuntimeGauges;
use crate::trace::pipeline::Pipeline;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// Forwards metrics and updates the process gauges every interval.
pub(super) struct Background {
    stop: crossbeam_channel::Sender<()>,
    thread: JoinHandle<()>,
}

/// Forwards the call metrics and publishes obs's own counters, as they are now.
pub(super) fn publish(pipeline: &Pipeline) {
    crate::metrics::flush();
    pipeline.counters.publish_metrics();
    crate::trace::context::publish_metrics();
    crate::metrics::cardinality::publish_metrics();
    crate::metrics::otlp::publish_metrics();
    super::build_info::publish_metrics();
}

/// Describes obs's own series (HELP text and unit).
fn describe() {
    crate::trace::counters::Counters::describe_metrics();
    crate::trace::context::describe_metrics();
    crate::metrics::cardinality::describe_metrics();
    crate::metrics::otlp::describe_metrics();
    super::build_info::describe_metrics();
}

impl Background {
    pub(super) fn start(
        pipeline: Arc<Pipeline>,
        interval: Duration,
        log_dropped: Option<crate::logs::writer::DroppedLines>,
        mut runtime: Option<RuntimeGauges>,
    ) -> std::io::Result<Background> {
        let (stop, stopped) = crossbeam_channel::bounded::<()>(1);
        let thread = std::thread::Builder::new().name("obs-metrics".into()).spawn(move || {
            describe();
            ::metrics::describe_counter!(
                crate::names::OBS_LOG_LINES_DROPPED_TOTAL,
                ::metrics::Unit::Count,
                "Log lines dropped because stdout could not keep up"
            );
            let mut gauges = ProcessGauges::new();
            loop {
                publish(&pipeline);
                crate::metrics::recorder::upkeep();
                if let Some(dropped) = &log_dropped {
                    ::metrics::counter!(crate::names::OBS_LOG_LINES_DROPPED_TOTAL)
                        .absolute(dropped.get());
                }
                gauges.collect();
                if let Some(runtime) = &mut runtime {
                    runtime.collect();
                }
                if stopped.recv_timeout(interval).is_ok() {
                    publish(&pipeline);
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
