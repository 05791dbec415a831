//! The orders API: reads and places orders through the database service.

use crate::{Order, OrderRequest, Upstream};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};

pub fn router(db: Upstream) -> Router {
    let probe = db.clone();
    obs::health::register("orders-roundtrip", move || {
        let db = probe.clone();
        async move {
            let order: Order = db.get_json("/orders/1").await.map_err(|(_, e)| e)?;
            if order.id == 1 {
                Ok(())
            } else {
                Err(format!("read back order {} instead of 1", order.id))
            }
        }
    });
    Router::new()
        .route("/orders", post(place_order))
        .route("/orders/{id}", get(get_order))
        .route("/orders/{id}/history", get(order_history))
        .with_state(db)
        .merge(obs::http::health_router())
}

#[obs::golden_signals(
    operation = "orders.get",
    objective(success = 99.9, latency_ms = 100),
    skip(db),
    err
)]
async fn get_order(
    State(db): State<Upstream>,
    Path(id): Path<i64>,
) -> Result<Json<Order>, (StatusCode, String)> {
    db.get_json(&format!("/orders/{id}")).await.map(Json)
}

#[obs::golden_signals(
    operation = "orders.history",
    objective(success = 99.0, latency_ms = 1000),
    skip(db),
    err
)]
async fn order_history(
    State(db): State<Upstream>,
    Path(id): Path<i64>,
) -> Result<Json<Vec<i64>>, (StatusCode, String)> {
    db.get_json(&format!("/orders/{id}/history")).await.map(Json)
}

#[obs::golden_signals(
    operation = "orders.place",
    objective(success = 99.5, latency_ms = 300),
    business_event = "order_placed",
    skip(db),
    fields(order_id = request.order_id, items = request.items),
    err
)]
async fn place_order(
    State(db): State<Upstream>,
    Json(request): Json<OrderRequest>,
) -> Result<Json<Order>, (StatusCode, String)> {
    // The customer came with the request (the storefront set it, the `user.id` baggage
    // carried it): this service's log lines carry it too.
    if request.items == 0 {
        tracing::warn!("rejected an empty order");
        return Err((StatusCode::UNPROCESSABLE_ENTITY, "an order needs at least one item".into()));
    }
    match db.post_json("/orders", &request).await {
        Ok(order) => {
            tracing::info!(order_id = request.order_id, "order placed");
            Ok(Json(order))
        }
        Err((status, error)) => {
            tracing::error!(order_id = request.order_id, %status, %error, "order could not be stored");
            Err((StatusCode::BAD_GATEWAY, format!("orders database: {error}")))
        }
    }
}
