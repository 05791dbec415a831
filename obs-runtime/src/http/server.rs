//! The server side: a tower layer that gives every request a SERVER span, its trace context,
//! a request id, and the HTTP semantic-convention metrics.

use super::REQUEST_ID_HEADER;
use super::propagation::extract;
use crate::names::{HTTP_SERVER_ACTIVE_REQUESTS, HTTP_SERVER_REQUEST_DURATION_SECONDS};
use crate::pii::scrub::Scrubbed;
use axum::extract::MatchedPath;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use metrics::Label;
use std::future::Future;
use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;
use tracing::Span;
use tracing::field::Empty;

/// Instruments an HTTP service (axum, hyper, tonic: anything `tower`):
///
/// - continues the trace of an incoming `traceparent` (a malformed one starts a new trace);
/// - takes `x-request-id` or makes one, returns it on the response, and puts it in every log
///   line of the request;
/// - records a SERVER span `{method} {route}` (the matched route template, never the raw path)
///   with `http.request.method`, `http.route`, `url.scheme`, `url.path`,
///   `http.response.status_code` and, for a 5xx, `error.type` and an error status, which also
///   makes the sampler keep the trace (a 4xx is the client's error, not the server's);
/// - records `http_server_request_duration_seconds` and `http_server_active_requests`;
/// - turns a panicking handler into a 500 response (the panic is logged by obs's panic hook).
///
/// With axum, add it with `Router::layer` so that it runs after routing and sees the route.
///
/// ```
/// let app: axum::Router = axum::Router::new()
///     .route("/orders/{id}", axum::routing::get(|| async { "ok" }))
///     .layer(obs_runtime::http::ServerLayer::new());
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct ServerLayer {
    _private: (),
}

impl ServerLayer {
    /// The layer.
    pub fn new() -> Self {
        ServerLayer::default()
    }
}

impl<S> tower::Layer<S> for ServerLayer {
    type Service = ServerService<S>;

    fn layer(&self, inner: S) -> ServerService<S> {
        ServerService { inner }
    }
}

/// The service [`ServerLayer`] wraps around yours.
#[derive(Clone, Debug)]
pub struct ServerService<S> {
    inner: S,
}

/// The id of the current request: the caller's `x-request-id`, or one made by
/// [`ServerLayer`]. It is in every log line of the request, on the response, and on the
/// requests the handler makes with obs's client. A handler takes it as an argument (or reads
/// it with [`crate::trace::context::request_id`]).
///
/// ```
/// async fn handler(request_id: obs_runtime::http::RequestId) -> String {
///     format!("your request: {request_id}")
/// }
/// let app: axum::Router = axum::Router::new()
///     .route("/", axum::routing::get(handler))
///     .layer(obs_runtime::http::ServerLayer::new());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestId(pub String);

impl RequestId {
    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A handler without [`ServerLayer`] in front of it has no request id.
#[derive(Clone, Copy, Debug, thiserror::Error)]
#[error("no request id: add obs::http::ServerLayer to the router (`Router::layer`)")]
pub struct NoRequestId;

impl axum::response::IntoResponse for NoRequestId {
    fn into_response(self) -> axum::response::Response {
        (StatusCode::INTERNAL_SERVER_ERROR, self.to_string()).into_response()
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for RequestId {
    type Rejection = NoRequestId;

    async fn from_request_parts(
        parts: &mut http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<RequestId>().cloned().ok_or(NoRequestId)
    }
}

impl<S, ReqBody, ResBody> tower::Service<Request<ReqBody>> for ServerService<S>
where
    S: tower::Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: Default,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ServerFuture<S::Future, ResBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let method = method_label(request.method());
        let route = request.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned());
        let scheme = if request.uri().scheme_str() == Some("https") { "https" } else { "http" };
        let incoming = extract(request.headers());
        let request_id = request_id(request.headers());
        let user_agent =
            request.headers().get(http::header::USER_AGENT).and_then(|v| v.to_str().ok());
        let name = match &route {
            Some(route) => format!("{method} {route}"),
            None => method.to_owned(),
        };
        let make_span = || {
            tracing::info_span!(
                target: "obs::http",
                "http.server",
                otel.name = %name,
                otel.kind = "server",
                http.request.method = method,
                http.route = route.as_deref(),
                url.scheme = scheme,
                url.path = request.uri().path(),
                url.query = request.uri().query(),
                user_agent.original = user_agent,
                http.response.status_code = Empty,
                error.type = Empty,
                otel.status_code = Empty,
                request_id = request_id.as_str(),
            )
        };
        let span = match &incoming.parent {
            Some(parent) => crate::trace::context::with_remote_parent(parent, make_span),
            None => make_span(),
        };
        let request_id_text = request_id.as_str().to_owned();
        crate::trace::context::set_request(&span, request_id, incoming.baggage);
        request.extensions_mut().insert(RequestId(request_id_text.clone()));
        let active = ActiveRequest::start(method, scheme);
        let future = span.in_scope(|| self.inner.call(request));
        ServerFuture {
            future,
            span,
            start: Instant::now(),
            method,
            route,
            scheme,
            request_id: request_id_text,
            active: Some(active),
            _body: PhantomData,
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`ServerService`].
    pub struct ServerFuture<F, B> {
        #[pin]
        future: F,
        span: Span,
        start: Instant,
        method: &'static str,
        route: Option<String>,
        scheme: &'static str,
        request_id: String,
        active: Option<ActiveRequest>,
        _body: PhantomData<fn() -> B>,
    }
}

impl<F, B, E> Future for ServerFuture<F, B>
where
    F: Future<Output = Result<Response<B>, E>>,
    B: Default,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let _entered = this.span.enter();
        // A panicking handler becomes a 500: the connection stays up and the request is
        // recorded. The future is not polled again.
        let (mut result, error_type) = match catch_unwind(AssertUnwindSafe(|| this.future.poll(cx)))
        {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(Ok(response))) => {
                let error_type = server_error_type(response.status());
                (Ok(response), error_type)
            }
            Ok(Poll::Ready(Err(error))) => (Err(error), Some(std::any::type_name::<E>())),
            Err(_panic) => {
                let mut response = Response::new(B::default());
                *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
                (Ok(response), Some("panic"))
            }
        };
        let status = result.as_ref().ok().map(Response::status);
        if let Some(status) = status {
            this.span.record("http.response.status_code", i64::from(status.as_u16()));
        }
        if let Some(error_type) = error_type {
            this.span.record("error.type", error_type);
            this.span.record("otel.status_code", "ERROR");
            crate::trace::context::mark_failed(this.span);
        }
        if let Ok(response) = &mut result
            && let Ok(id) = HeaderValue::from_str(this.request_id)
        {
            response.headers_mut().insert(REQUEST_ID, id);
        }
        let mut labels = vec![
            Label::from_static_parts("http_request_method", this.method),
            Label::from_static_parts("url_scheme", this.scheme),
        ];
        if let Some(route) = this.route.take() {
            labels.push(Label::new("http_route", route));
        }
        if let Some(status) = status {
            labels.push(Label::new("http_response_status_code", status.as_u16().to_string()));
        }
        if let Some(error_type) = error_type {
            labels.push(Label::from_static_parts("error_type", error_type));
        }
        metrics::histogram!(HTTP_SERVER_REQUEST_DURATION_SECONDS, labels)
            .record(this.start.elapsed().as_secs_f64());
        this.active.take();
        Poll::Ready(result)
    }
}

/// `error.type` of a response: its status code when it is a server error.
fn server_error_type(status: StatusCode) -> Option<&'static str> {
    status.is_server_error().then(|| crate::observe::outcome::status_code_str(status))
}

/// Holds `http_server_active_requests` up while the request is in flight, including when its
/// future is dropped (the client went away). The gauge is registered once per request and its
/// handle kept: registering a series looks it up by its labels, a cost the decrement need not
/// pay again.
pub(crate) struct ActiveRequest {
    gauge: metrics::Gauge,
}

impl ActiveRequest {
    fn start(method: &'static str, scheme: &'static str) -> Self {
        let labels = [
            Label::from_static_parts("http_request_method", method),
            Label::from_static_parts("url_scheme", scheme),
        ];
        let gauge = metrics::gauge!(HTTP_SERVER_ACTIVE_REQUESTS, labels.to_vec());
        gauge.increment(1.0);
        ActiveRequest { gauge }
    }
}

impl Drop for ActiveRequest {
    fn drop(&mut self) {
        self.gauge.decrement(1.0);
    }
}

/// The method as a label: the standard ones, or `_OTHER` (semantic conventions; bounds the
/// cardinality a client could otherwise inflate).
pub(crate) fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "_OTHER",
    }
}

/// The caller's `x-request-id` if it is 1 to 128 characters of `[A-Za-z0-9._:-]` and holds
/// nothing the scrubber would mask (it goes into every log line; an id that looks like
/// personal data is counted in `obs_pii_refused_total{field="request_id"}`); a new id
/// otherwise.
fn request_id(headers: &http::HeaderMap) -> Scrubbed<String> {
    headers
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|id| {
            (1..=128).contains(&id.len())
                && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b))
        })
        .and_then(crate::trace::context::accept_request_id)
        .unwrap_or_else(new_request_id)
}

/// [`REQUEST_ID_HEADER`] as a header name, parsed at compile time rather than per response.
const REQUEST_ID: http::HeaderName = http::HeaderName::from_static(REQUEST_ID_HEADER);

/// 32 random hex digits (drawn again in the unlikely case that the scrubber would mask them).
fn new_request_id() -> Scrubbed<String> {
    loop {
        // `const-hex`, as the log lines' ids: `format!("{:032x}")` costs more than the rest of
        // making an id.
        if let Some(id) = Scrubbed::exact(const_hex::encode(fastrand::u128(..).to_be_bytes())) {
            return id;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_request_ids_are_32_random_hex_digits() {
        let ids: std::collections::HashSet<String> =
            (0..1000).map(|_| new_request_id().into_inner()).collect();
        assert_eq!(ids.len(), 1000, "no two alike");
        for id in &ids {
            assert_eq!(id.len(), 32, "{id}");
            assert!(id.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()), "{id}");
        }
        // Every digit shows up in every position over a thousand ids: the nibbles are all used.
        for position in 0..32 {
            let digits: std::collections::HashSet<u8> =
                ids.iter().map(|id| id.as_bytes()[position]).collect();
            assert_eq!(digits.len(), 16, "position {position}");
        }
    }
}
