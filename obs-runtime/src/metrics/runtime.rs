//! Saturation of the tokio runtime a service runs on: how busy its workers are, how many tasks
//! wait in its global queue, how many tasks are alive (and, built with `--cfg tokio_unstable`,
//! its blocking threads), as gauges the metrics thread updates every interval.
//!
//! Read through `tokio-metrics`' `RuntimeMonitor` (tokio's own crate over the runtime's stable
//! `RuntimeMetrics`), sampled from obs's metrics thread: reading the counters needs no task on
//! the runtime, so a saturated runtime is still measured.

use crate::names::{
    TOKIO_RUNTIME_ALIVE_TASKS, TOKIO_RUNTIME_GLOBAL_QUEUE_DEPTH, TOKIO_RUNTIME_WORKERS,
    TOKIO_RUNTIME_WORKERS_BUSY_RATIO,
};
use ::metrics::{Unit, describe_gauge, gauge};
use tokio_metrics::{RuntimeIntervals, RuntimeMonitor};

/// The runtime watched, and the counters as of the last sample.
pub(crate) struct RuntimeGauges {
    intervals: RuntimeIntervals,
}

impl RuntimeGauges {
    /// Watches the runtime of `handle`.
    pub(crate) fn new(handle: &tokio::runtime::Handle) -> RuntimeGauges {
        describe();
        RuntimeGauges { intervals: RuntimeMonitor::new(handle).intervals() }
    }

    /// Watches the runtime the calling thread runs in, if any (`obs::init` inside
    /// `#[tokio::main]`).
    pub(crate) fn current() -> Option<RuntimeGauges> {
        tokio::runtime::Handle::try_current().ok().map(|handle| RuntimeGauges::new(&handle))
    }

    /// Sets the gauges from what happened since the last sample.
    pub(crate) fn collect(&mut self) {
        let Some(interval) = self.intervals.next() else { return };
        let workers = interval.workers_count;
        gauge!(TOKIO_RUNTIME_WORKERS).set(workers as f64);
        gauge!(TOKIO_RUNTIME_GLOBAL_QUEUE_DEPTH).set(interval.global_queue_depth as f64);
        gauge!(TOKIO_RUNTIME_ALIVE_TASKS).set(interval.live_tasks_count as f64);
        // The share of the workers' time spent running tasks over the interval: 1 when every
        // worker was busy throughout. (`RuntimeMetrics::busy_ratio` is summed over the workers.)
        let capacity = interval.elapsed.as_secs_f64() * workers as f64;
        if capacity > 0.0 {
            let busy = interval.total_busy_duration.as_secs_f64() / capacity;
            gauge!(TOKIO_RUNTIME_WORKERS_BUSY_RATIO).set(busy.clamp(0.0, 1.0));
        }
        #[cfg(tokio_unstable)]
        gauge!(crate::names::TOKIO_RUNTIME_BLOCKING_THREADS)
            .set(interval.blocking_threads_count as f64);
    }
}

fn describe() {
    describe_gauge!(TOKIO_RUNTIME_WORKERS, Unit::Count, "Worker threads of the tokio runtime");
    describe_gauge!(
        TOKIO_RUNTIME_WORKERS_BUSY_RATIO,
        "Share of the tokio workers' time spent running tasks over the last interval (0 to 1)"
    );
    describe_gauge!(
        TOKIO_RUNTIME_GLOBAL_QUEUE_DEPTH,
        Unit::Count,
        "Tasks waiting in the tokio runtime's global queue"
    );
    describe_gauge!(TOKIO_RUNTIME_ALIVE_TASKS, Unit::Count, "Tasks alive in the tokio runtime");
    #[cfg(tokio_unstable)]
    describe_gauge!(
        crate::names::TOKIO_RUNTIME_BLOCKING_THREADS,
        Unit::Count,
        "Blocking threads of the tokio runtime"
    );
}
