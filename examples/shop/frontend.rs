//! The storefront: the pages customers load, each backed by the orders API.

use crate::{Order, OrderRequest, Upstream};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};

pub fn router(api: Upstream) -> Router {
    Router::new()
        .route("/checkout", post(checkout))
        .route("/orders/{id}", get(order_page))
        .route("/orders/{id}/history", get(history_page))
        .with_state(api)
}

#[obs::golden_signals(
    operation = "storefront.order_page",
    objective(success = 99.9, latency_ms = 200),
    skip(api),
    err
)]
async fn order_page(
    State(api): State<Upstream>,
    Path(id): Path<i64>,
) -> Result<String, (StatusCode, String)> {
    let order: Order = api.get_json(&format!("/orders/{id}")).await?;
    Ok(format!(
        "order {} · {} items · {:.2} €",
        order.id,
        order.items,
        order.total_cents as f64 / 100.0
    ))
}

#[obs::golden_signals(operation = "storefront.history_page", skip(api), err)]
async fn history_page(
    State(api): State<Upstream>,
    Path(id): Path<i64>,
) -> Result<String, (StatusCode, String)> {
    let history: Vec<i64> = api.get_json(&format!("/orders/{id}/history")).await?;
    Ok(format!("history of order {id}: {history:?}"))
}

#[obs::golden_signals(
    operation = "storefront.checkout",
    objective(success = 99.0, latency_ms = 500),
    skip(api),
    err
)]
async fn checkout(
    State(api): State<Upstream>,
    Json(request): Json<OrderRequest>,
) -> Result<String, (StatusCode, String)> {
    // The customer is known from here on, at the edge: every later log line of the request
    // carries it, in this service and in those it calls (through the `user.id` baggage).
    if let Err(error) = obs::context::set_user_id(format!("c-{}", request.customer_id)) {
        tracing::warn!(%error, "the customer is not recorded");
    }
    let order: Order = api.post_json("/orders", &request).await?;
    Ok(format!("thank you: order {} is placed", order.id))
}
