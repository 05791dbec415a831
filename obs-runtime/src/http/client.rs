//! The client side: a `reqwest-middleware` middleware that gives every request a CLIENT span,
//! sends its trace context, and records `http_client_request_duration_seconds`.

use super::propagation::inject_span;
use super::server::method_label;
use crate::names::HTTP_CLIENT_REQUEST_DURATION_SECONDS;
use http::Extensions;
use metrics::Label;
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware, Middleware, Next};
use std::time::Instant;
use tracing::Instrument;
use tracing::field::Empty;

/// Traces outgoing requests: a CLIENT span named after the method, with
/// `http.request.method`, `server.address`, `server.port`, `url.full` (scrubbed on export) and
/// `http.response.status_code`; `traceparent`, `tracestate` (when not empty) and `baggage`
/// (with the user id as `user.id`) sent so that the server's spans join the trace as children
/// of this one, and the current request's `x-request-id`, so that every service logs the same
/// id; a 4xx, 5xx or transport error marks the span failed with its `error.type`.
///
/// ```
/// let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
///     .with(obs_runtime::http::ClientMiddleware)
///     .build();
/// # drop(client);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct ClientMiddleware;

/// The traced HTTP client [`client`] returns: `reqwest-middleware`'s client, with JSON bodies
/// (`.json(&body)`) available. Name it to keep a client in your state; it is cheap to clone.
///
/// ```
/// #[derive(Clone)]
/// struct AppState {
///     orders: obs_runtime::http::Client,
/// }
/// let state = AppState { orders: obs_runtime::http::client(obs_runtime::http::reqwest::Client::new()) };
/// # drop(state);
/// ```
pub type Client = ClientWithMiddleware;

/// A reqwest client with [`ClientMiddleware`].
///
/// ```
/// let client = obs_runtime::http::client(reqwest::Client::new());
/// # drop(client);
/// ```
pub fn client(client: reqwest::Client) -> Client {
    ClientBuilder::new(client).with(ClientMiddleware).build()
}

#[async_trait::async_trait]
impl Middleware for ClientMiddleware {
    async fn handle(
        &self,
        mut request: reqwest::Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        let method = method_label(request.method());
        let url = request.url();
        let address = url.host_str().unwrap_or_default().to_owned();
        let port = url.port_or_known_default().unwrap_or_default();
        let mut full = url.clone();
        let _ = full.set_username("");
        let _ = full.set_password(None);
        let span = tracing::info_span!(
            target: "obs::http",
            "http.client",
            otel.name = method,
            otel.kind = "client",
            http.request.method = method,
            server.address = %address,
            server.port = i64::from(port),
            url.full = %full,
            http.response.status_code = Empty,
            error.type = Empty,
            otel.status_code = Empty,
        );
        inject_span(&span, request.headers_mut());
        let start = Instant::now();
        let result = next.run(request, extensions).instrument(span.clone()).await;
        let elapsed = start.elapsed().as_secs_f64();

        let mut labels = vec![
            Label::from_static_parts("http_request_method", method),
            Label::new("server_address", address),
            Label::new("server_port", port.to_string()),
        ];
        let error_type = match &result {
            Ok(response) => {
                let status = response.status();
                span.record("http.response.status_code", i64::from(status.as_u16()));
                labels.push(Label::new("http_response_status_code", status.as_u16().to_string()));
                (status.is_client_error() || status.is_server_error())
                    .then(|| status.as_u16().to_string())
            }
            Err(error) => Some(transport_error(error).to_owned()),
        };
        if let Some(error_type) = error_type {
            span.record("error.type", error_type.as_str());
            span.record("otel.status_code", "ERROR");
            labels.push(Label::new("error_type", error_type));
        }
        metrics::histogram!(HTTP_CLIENT_REQUEST_DURATION_SECONDS, labels).record(elapsed);
        result
    }
}

/// `error.type` of a request that got no response.
fn transport_error(error: &reqwest_middleware::Error) -> &'static str {
    match error {
        reqwest_middleware::Error::Reqwest(e) if e.is_timeout() => "timeout",
        reqwest_middleware::Error::Reqwest(e) if e.is_connect() => "connect",
        reqwest_middleware::Error::Reqwest(e) if e.is_request() => "request",
        reqwest_middleware::Error::Reqwest(_) => "_OTHER",
        reqwest_middleware::Error::Middleware(_) => "middleware",
    }
}
