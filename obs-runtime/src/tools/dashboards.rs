//! A Grafana dashboard of the golden signals, generated from the operations declared with
//! `#[golden_signals]`: one row per operation (latency percentiles against the objective,
//! traffic, error ratio against the error budget, saturation), and a row for the process and
//! the business.
//!
//! ```
//! let dashboard = obs_runtime::dashboards::golden_signals("shop", obs_runtime::golden::operations());
//! assert_eq!(dashboard["uid"], "obs-golden-signals-shop");
//! ```

use crate::golden::Operation;
use serde_json::{Value, json};

/// The uid of the Prometheus datasource the panels query (as provisioned in the dev stack).
pub const PROMETHEUS_DATASOURCE_UID: &str = "prometheus";

struct Layout {
    panels: Vec<Value>,
    y: u32,
    next_id: u32,
}

impl Layout {
    fn row(&mut self, title: &str) {
        let id = self.id();
        self.panels.push(json!({"id": id, "type": "row", "title": title, "collapsed": false, "gridPos": {"x": 0, "y": self.y, "w": 24, "h": 1}, "panels": []}));
        self.y += 1;
    }

    fn id(&mut self) -> u32 {
        self.next_id += 1;
        self.next_id
    }

    /// Four panels side by side, then the next line.
    fn line(&mut self, panels: Vec<Panel>) {
        let width = 24 / panels.len().max(1) as u32;
        for (i, panel) in panels.into_iter().enumerate() {
            let id = self.id();
            self.panels.push(panel.into_json(id, i as u32 * width, self.y, width));
        }
        self.y += 8;
    }
}

struct Panel {
    title: String,
    unit: &'static str,
    targets: Vec<(String, String)>,
    threshold: Option<f64>,
    /// Show the series' exemplars: points that open their trace (in Jaeger).
    exemplars: bool,
}

impl Panel {
    fn new(title: impl Into<String>, unit: &'static str, targets: Vec<(String, String)>) -> Self {
        Panel { title: title.into(), unit, targets, threshold: None, exemplars: false }
    }

    fn exemplars(mut self) -> Self {
        self.exemplars = true;
        self
    }

    fn threshold(mut self, value: Option<f64>) -> Self {
        self.threshold = value;
        self
    }

    fn into_json(self, id: u32, x: u32, y: u32, w: u32) -> Value {
        let datasource = json!({"type": "prometheus", "uid": PROMETHEUS_DATASOURCE_UID});
        let targets: Vec<Value> = self
            .targets
            .iter()
            .enumerate()
            .map(|(i, (expr, legend))| json!({"refId": char::from(b'A' + i as u8).to_string(), "datasource": datasource, "expr": expr, "legendFormat": legend, "exemplar": self.exemplars}))
            .collect();
        let mut steps = vec![json!({"color": "green", "value": null})];
        if let Some(value) = self.threshold {
            steps.push(json!({"color": "red", "value": value}));
        }
        json!({
            "id": id,
            "type": "timeseries",
            "title": self.title,
            "datasource": datasource,
            "gridPos": {"x": x, "y": y, "w": w, "h": 8},
            "targets": targets,
            "fieldConfig": {
                "defaults": {
                    "unit": self.unit,
                    "thresholds": {"mode": "absolute", "steps": steps},
                    "custom": {"thresholdsStyle": {"mode": if self.threshold.is_some() { "line" } else { "off" }}}
                },
                "overrides": []
            },
            "options": {"legend": {"displayMode": "list", "placement": "bottom"}, "tooltip": {"mode": "multi"}}
        })
    }
}

/// The dashboard of `operations` (normally `obs::golden::operations()`) for the service
/// family `title`.
pub fn golden_signals(title: &str, operations: &[Operation]) -> Value {
    let mut layout = Layout { panels: Vec::new(), y: 0, next_id: 0 };
    let mut operations: Vec<&Operation> = operations.iter().collect();
    operations.sort_by_key(|o| o.name);
    for op in operations {
        let sel = format!("operation=\"{}\",service=~\"$service\"", op.name);
        let objective = op.objective;
        let quantile = |q: f64| {
            format!(
                "histogram_quantile({q}, sum by (le) (rate(obs_operation_duration_seconds_bucket{{{sel}}}[5m])))"
            )
        };
        layout.row(&format!("{} ({})", op.name, op.kind));
        layout.line(vec![
            Panel::new(
                format!("{}: latency", op.name),
                "s",
                vec![(quantile(0.5), "p50".into()), (quantile(0.95), "p95".into()), (quantile(0.99), "p99".into())],
            )
            .threshold(objective.and_then(|o| o.latency_ms).map(|ms| ms as f64 / 1000.0))
            .exemplars(),
            Panel::new(
                format!("{}: traffic", op.name),
                "reqps",
                vec![(format!("sum(rate(obs_operation_duration_seconds_count{{{sel}}}[5m]))"), "calls/s".into())],
            ),
            Panel::new(
                format!("{}: errors", op.name),
                "percentunit",
                vec![(
                    format!(
                        "sum(rate(obs_operation_errors_total{{{sel}}}[5m])) / sum(rate(obs_operation_duration_seconds_count{{{sel}}}[5m]))"
                    ),
                    "error ratio".into(),
                )],
            )
            .threshold(objective.map(|o| o.error_budget())),
            Panel::new(
                format!("{}: saturation", op.name),
                "short",
                vec![(format!("sum(obs_operation_active{{{sel}}})"), "in flight".into())],
            ),
        ]);
    }
    layout.row("process and business");
    layout.line(vec![
        Panel::new(
            "CPU",
            "percentunit",
            vec![(
                "process_cpu_utilization_ratio{service=~\"$service\"}".into(),
                "{{service}}".into(),
            )],
        ),
        Panel::new(
            "memory",
            "bytes",
            vec![(
                "process_resident_memory_bytes{service=~\"$service\"}".into(),
                "{{service}}".into(),
            )],
        ),
        Panel::new(
            "filesystems",
            "percentunit",
            vec![(
                "max by (mountpoint) (system_filesystem_utilization_ratio{service=~\"$service\"})"
                    .into(),
                "{{mountpoint}}".into(),
            )],
        )
        .threshold(Some(0.8)),
        Panel::new(
            "business",
            "short",
            vec![
                (
                    "sum by (event) (rate(obs_business_events_total{service=~\"$service\"}[5m]))"
                        .into(),
                    "{{event}}/s".into(),
                ),
                (
                    "min by (check) (obs_business_check_up{service=~\"$service\"})".into(),
                    "check {{check}}".into(),
                ),
            ],
        ),
    ]);
    json!({
        "uid": format!("obs-golden-signals-{title}"),
        "title": format!("{title}: golden signals"),
        "tags": ["obs", "golden-signals"],
        "schemaVersion": 39,
        "editable": true,
        "refresh": "10s",
        "time": {"from": "now-1h", "to": "now"},
        "templating": {"list": [{
            "name": "service",
            "label": "service",
            "type": "query",
            "datasource": {"type": "prometheus", "uid": PROMETHEUS_DATASOURCE_UID},
            "query": {"query": "label_values(obs_operation_duration_seconds_count, service)", "refId": "service"},
            "definition": "label_values(obs_operation_duration_seconds_count, service)",
            "includeAll": true,
            "multi": true,
            "current": {"text": "All", "value": "$__all"},
            "refresh": 2
        }]},
        "panels": layout.panels,
    })
}
