//! Saturation of the process and its host: CPU, memory and file descriptors through
//! `metrics-process` (Prometheus's standard `process_*` series), plus CPU utilisation and
//! filesystem utilisation per mount through `sysinfo`.

use crate::names;

/// Collects the process and filesystem gauges on each call.
pub(crate) struct ProcessGauges {
    process: metrics_process::Collector,
    disks: sysinfo::Disks,
    system: sysinfo::System,
    pid: Option<sysinfo::Pid>,
    cpus: f64,
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
        ::metrics::describe_gauge!(
            names::PROCESS_CPU_UTILIZATION_RATIO,
            ::metrics::Unit::Percent,
            "CPU time used by the process since the last update, divided by the elapsed time and the number of CPUs (0 to 1)"
        );
        let cpus = std::thread::available_parallelism().map_or(1.0, |n| n.get() as f64);
        ProcessGauges {
            process,
            disks: sysinfo::Disks::new_with_refreshed_list(),
            system: sysinfo::System::new(),
            pid: sysinfo::get_current_pid().ok(),
            cpus,
            calls: 0,
        }
    }

    pub(crate) fn collect(&mut self) {
        self.process.collect();
        if let Some(pid) = self.pid {
            self.system.refresh_processes_specifics(
                sysinfo::ProcessesToUpdate::Some(&[pid]),
                true,
                sysinfo::ProcessRefreshKind::nothing().with_cpu(),
            );
            // sysinfo's usage is a percentage of one CPU, measured since the previous refresh
            // (the first refresh has nothing to compare with and reads 0).
            if let Some(process) = self.system.process(pid) {
                let ratio = f64::from(process.cpu_usage()) / 100.0 / self.cpus;
                ::metrics::gauge!(names::PROCESS_CPU_UTILIZATION_RATIO).set(ratio.clamp(0.0, 1.0));
            }
        }
        // Filesystems change slowly: every 15th call.
        if self.calls.is_multiple_of(15) {
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
