//! The health endpoint: runs the business checks; 200 when all pass, 503 naming the failing
//! ones otherwise.

use crate::golden::health::Report;
use axum::Json;
use axum::http::StatusCode;
use axum::routing::get;

/// Handler: `200 {"status":"ok","checks":[…]}`, or `503 {"status":"failing","failing":["orders-roundtrip"],…}`.
pub async fn health() -> (StatusCode, Json<serde_json::Value>) {
    let report: Report = crate::golden::health::run().await;
    let failing = report.failing();
    let status = if failing.is_empty() { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let body = serde_json::json!({
        "status": if failing.is_empty() { "ok" } else { "failing" },
        "failing": failing,
        "checks": report.checks,
    });
    (status, Json(body))
}

/// A router serving [`health`] at `GET /health`, to merge into an axum app.
///
/// ```
/// let app: axum::Router = axum::Router::new().merge(obs_runtime::http::health_router());
/// ```
pub fn health_router() -> axum::Router {
    axum::Router::new().route("/health", get(health))
}
