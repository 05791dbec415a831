//! Snapshots of the call counters, read directly (for tests, reports and health pages).

use crate::observe::outcome::Outcome;
use crate::observe::site;
use crate::observe::stats::DURATION_BUCKETS;

/// The metrics of one observed function at one moment.
#[derive(Clone, Debug, PartialEq)]
pub struct FunctionMetrics {
    /// The span name (`module::function`, or the `name = "…"` argument).
    pub name: &'static str,
    /// The `function` label.
    pub function: &'static str,
    /// The `module` label.
    pub module: &'static str,
    /// Finished calls per outcome, indexed like [`Outcome::ALL`].
    pub calls: [u64; 4],
    /// Calls in flight.
    pub in_flight: u64,
    /// Calls per latency bucket (not cumulative); the last is `+Inf`.
    pub buckets: [u64; DURATION_BUCKETS.len() + 1],
    /// Sum of the latencies, in seconds.
    pub sum_seconds: f64,
}

impl FunctionMetrics {
    /// Finished calls that ended with `outcome`.
    pub fn calls(&self, outcome: Outcome) -> u64 {
        self.calls[outcome.index()]
    }

    /// All finished calls.
    pub fn total_calls(&self) -> u64 {
        self.calls.iter().sum()
    }

    /// The share of finished calls that failed (`error` or `panic`), or `None` before any call.
    pub fn error_ratio(&self) -> Option<f64> {
        let total = self.total_calls();
        (total > 0).then(|| {
            (self.calls(Outcome::Error) + self.calls(Outcome::Panic)) as f64 / total as f64
        })
    }

    /// The `q`-quantile (0 ≤ q ≤ 1) of the latency in seconds, interpolated linearly within a
    /// bucket as Prometheus's `histogram_quantile` does; `None` before any call.
    ///
    /// ```
    /// # let mut m = obs_runtime::metrics::FunctionMetrics {
    /// #     name: "m::f", function: "f", module: "m", calls: [4, 0, 0, 0], in_flight: 0,
    /// #     buckets: [0; 26], sum_seconds: 0.0 };
    /// m.buckets[11] = 4; // four calls between 2.5 ms and 5 ms
    /// assert_eq!(m.quantile(0.5), Some(0.00375));
    /// ```
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let total: u64 = self.buckets.iter().sum();
        if total == 0 {
            return None;
        }
        let rank = q.clamp(0.0, 1.0) * total as f64;
        let mut below = 0u64;
        for (i, &n) in self.buckets.iter().enumerate() {
            if n > 0 && (below + n) as f64 >= rank {
                let Some(&upper) = DURATION_BUCKETS.get(i) else {
                    // The +Inf bucket: as Prometheus does, answer the highest finite bound.
                    return DURATION_BUCKETS.last().copied();
                };
                let lower = if i == 0 { 0.0 } else { DURATION_BUCKETS[i - 1] };
                let within = ((rank - below as f64) / n as f64).clamp(0.0, 1.0);
                return Some(lower + (upper - lower) * within);
            }
            below += n;
        }
        DURATION_BUCKETS.last().copied()
    }
}

/// The current metrics of every observed function that was called while collecting.
pub fn snapshot() -> Vec<FunctionMetrics> {
    site::registered()
        .into_iter()
        .filter_map(|site| {
            let totals = site.stats_if_any()?.read();
            Some(FunctionMetrics {
                name: site.name(),
                function: site.function(),
                module: site.module(),
                calls: totals.finished,
                in_flight: totals.in_flight(),
                buckets: totals.counts,
                sum_seconds: totals.sums_ns.iter().sum::<u64>() as f64 / 1e9,
            })
        })
        .collect()
}

/// The current metrics of the function whose span is named `name` (`module::function`).
pub fn function(name: &str) -> Option<FunctionMetrics> {
    snapshot().into_iter().find(|f| f.name == name)
}
