//! Saturation of the process and its host: CPU, memory and file descriptors through
//! `metrics-process` (Prometheus's standard `process_*` series), and filesystem utilisation per
//! mount through `sysinfo`.

use crate::names;

/// Collects the process and filesystem gauges on each call.
pub(crate) struct ProcessGauges {
    process: metrics_process::Collector,
    disks: sysinfo::Disks,
    calls: u64,
}

impl ProcessGauges {
    pub(crate) fn new() -> Self {
        let process = metrics_process::Collector::default();
        process.describe();
        ::metrics::describe_gauge!(
            names::SYSTEM_FILESYSTEM_UTILIZATION_RATIO,
            ::metrics::Unit::Percent,
            "Share of a filesystem's space in use, from 0 to 1, per mount point"
        );
        ProcessGauges {
            process,
            disks: sysinfo::Disks::new_with_refreshed_list(),
            calls: 0,
        }
    }

    pub(crate) fn collect(&mut self) {
        self.process.collect();
        // Filesystems change slowly: every 15th call.
        if self.calls % 15 == 0 {
            self.disks.refresh(true);
            for disk in self.disks.list() {
                let total = disk.total_space();
                if total == 0 {
                    continue;
                }
                let used = 1.0 - disk.available_space() as f64 / total as f64;
                let mount = disk.mount_point().to_string_lossy().into_owned();
                ::metrics::gauge!(names::SYSTEM_FILESYSTEM_UTILIZATION_RATIO, names::LABEL_MOUNTPOINT => mount)
                    .set(used);
            }
        }
        self.calls += 1;
    }
}
