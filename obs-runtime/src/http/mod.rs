//! HTTP instrumentation (the `http` feature): a tower/axum server layer, a reqwest client
//! middleware, and W3C trace-context propagation between them. An entry point: it uses
//! `crate::trace` (spans, request context), `crate::propagation` (the headers) and the
//! `metrics` facade; nothing in the crate uses it.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use axum::{Router, routing::get};
//!
//! let app: Router = Router::new()
//!     .route("/orders/{id}", get(|| async { "ok" }))
//!     .layer(obs_runtime::http::ServerLayer::new());
//! let client = obs_runtime::http::client(reqwest::Client::new());
//! let _ = client.get("http://127.0.0.1:8080/orders/7").send().await?;
//! # Ok(()) }
//! ```
//!
//! Series, named as OpenTelemetry's HTTP semantic conventions translate to Prometheus:
//!
//! | series | type | labels |
//! |---|---|---|
//! | `http_server_request_duration_seconds` | histogram | `http_request_method`, `http_route`, `http_response_status_code`, `url_scheme`, `error_type` (5xx only) |
//! | `http_server_active_requests` | gauge | `http_request_method`, `url_scheme` |
//! | `http_client_request_duration_seconds` | histogram | `http_request_method`, `server_address`, `server_port`, `http_response_status_code`, `error_type` (failures only) |

mod client;
mod health;
mod propagation;
mod server;

pub use crate::propagation::Incoming;
pub use client::{Client, ClientMiddleware, client};
pub use health::{health, health_router};
pub use propagation::{extract, inject, inject_span};
/// The HTTP client crate obs's client wraps, re-exported so that a service needs no
/// dependency of its own to build one (`obs::http::reqwest::Client::new()`).
pub use reqwest;
/// The middleware crate of [`Client`], re-exported for its request builder and error types.
pub use reqwest_middleware;
pub use server::{NoRequestId, RequestId, ServerLayer, ServerService};

/// `x-request-id`, read from requests and written on responses.
pub const REQUEST_ID_HEADER: &str = "x-request-id";
