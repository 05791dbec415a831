//! Offline tools, compiled only with the `tools` feature: alert rules from the operations a
//! service declares ([`alerts`]), Grafana dashboards ([`dashboards`]), and the trace viewer of
//! the embedded trace file ([`traceview`], the `obs trace` command), the analysis of many
//! traces at once ([`why`], the `obs why` command), and the HTML report of both ([`report`]). A service that only
//! instruments its functions builds none of them.

pub mod alerts;
pub mod dashboards;
pub mod report;
pub mod traceview;
pub mod why;
