//! A service keeps obs's traced client in its axum state and reads the request id in a
//! handler, naming every type through `obs` alone (no `reqwest-middleware` of its own).

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};

#[derive(Clone)]
struct AppState {
    orders: obs::http::Client,
}

#[derive(serde::Serialize)]
struct NewOrder {
    items: u32,
}

async fn checkout(
    State(state): State<AppState>,
    request_id: obs::http::RequestId,
) -> Result<String, String> {
    let response = state
        .orders
        .post("http://127.0.0.1:9/orders")
        .json(&NewOrder { items: 2 })
        .send()
        .await
        .map_err(|e: obs::http::reqwest_middleware::Error| e.to_string())?;
    Ok(format!("{request_id}: {}", response.status()))
}

fn main() {
    let state = AppState { orders: obs::http::client(obs::http::reqwest::Client::new()) };
    let _app: Router = Router::new()
        .route("/checkout", post(checkout))
        .with_state(state)
        .layer(obs::http::ServerLayer::new());
    let _ = Json(1);
}
