//! Offline tools, compiled only with the `tools` feature: alert rules from the operations a
//! service declares ([`alerts`]), Grafana dashboards ([`dashboards`]), and the trace viewer of
//! the embedded trace file ([`traceview`], the `obs trace` command). A service that only
//! instruments its functions builds none of them.

pub mod alerts;
pub mod dashboards;
pub mod traceview;
