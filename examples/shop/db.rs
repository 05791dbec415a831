//! The database service: orders and customers in SQLite, behind HTTP. It holds the two faults
//! the demo injects: an order-history query that is slow, and an order insert that fails one
//! time in twenty with a storage error.

use crate::{Customer, Order, OrderRequest};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use rusqlite::Connection;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// The database file: each request opens its own connection on a blocking thread, as a real
/// service would use a pool, so that a slow query slows its own request, not the others.
type Db = Arc<PathBuf>;

pub fn router(file: PathBuf) -> Router {
    let _ = std::fs::remove_file(&file);
    let connection = Connection::open(&file).expect("a SQLite database file");
    seed(&connection);
    Router::new()
        .route("/orders", post(insert_order))
        .route("/orders/{id}", get(get_order))
        .route("/orders/{id}/history", get(order_history))
        .with_state(Arc::new(file))
}

/// Runs `query` on a connection of its own, on a blocking thread, inside the current span.
async fn with_db<T: Send + 'static>(
    db: &Db,
    query: impl FnOnce(&Connection) -> Result<T, (StatusCode, String)> + Send + 'static,
) -> Result<T, (StatusCode, String)> {
    let (file, span) = (db.clone(), tracing::Span::current());
    tokio::task::spawn_blocking(move || {
        span.in_scope(|| {
            let connection =
                Connection::open(file.as_path()).map_err(|e| internal(&e.to_string()))?;
            connection
                .busy_timeout(Duration::from_secs(5))
                .map_err(|e| internal(&e.to_string()))?;
            query(&connection)
        })
    })
    .await
    .map_err(|e| internal(&format!("query task: {e}")))?
}

fn seed(db: &Connection) {
    db.execute_batch(
        "PRAGMA journal_mode = WAL;
         CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT NOT NULL, card_number TEXT NOT NULL);
         CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, items INTEGER NOT NULL, total_cents INTEGER NOT NULL);",
    )
    .expect("schema");
    for id in 1..=50 {
        db.execute(
            "INSERT INTO customers (id, email, card_number) VALUES (?1, ?2, ?3)",
            (id, crate::customer_email(id), crate::customer_card(id)),
        )
        .expect("customer");
    }
    for id in 1..=200 {
        db.execute(
            "INSERT INTO orders (id, customer_id, items, total_cents) VALUES (?1, ?2, ?3, ?4)",
            (id, id % 50 + 1, id % 5 + 1, id * 137 % 10_000),
        )
        .expect("order");
    }
}

#[obs::golden_signals(operation = "db.get_order", kind = "internal", skip(db), err)]
async fn get_order(
    State(db): State<Db>,
    Path(id): Path<i64>,
) -> Result<Json<Order>, (StatusCode, String)> {
    let order = with_db(&db, move |c| read_order(c, id)).await?;
    tracing::info!(order_id = id, customer = ?order.customer, "order read");
    Ok(Json(order))
}

/// The injected slow query: a history report that scans a large generated series.
#[obs::golden_signals(operation = "db.order_history", kind = "internal", skip(db), err)]
async fn order_history(
    State(db): State<Db>,
    Path(id): Path<i64>,
) -> Result<Json<Vec<i64>>, (StatusCode, String)> {
    let rows = with_db(&db, move |c| slow_history_query(c, id)).await?;
    Ok(Json(vec![id, rows]))
}

#[obs::observe(skip(db), err)]
fn slow_history_query(db: &Connection, order_id: i64) -> Result<i64, (StatusCode, String)> {
    db.query_row(
        "WITH RECURSIVE days(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM days WHERE n < 400000)
         SELECT count(*) FROM days, orders WHERE orders.id = ?1 AND (days.n % 7) = (orders.items % 7)",
        [order_id],
        |row| row.get(0),
    )
    .map_err(|e| internal(&e.to_string()))
}

/// The injected failure: every order whose id ends in 7 (mod 20) hits a storage error.
#[obs::golden_signals(operation = "db.insert_order", kind = "internal", skip(db), err)]
async fn insert_order(
    State(db): State<Db>,
    Json(request): Json<OrderRequest>,
) -> Result<Json<Order>, (StatusCode, String)> {
    if request.order_id % 20 == 7 {
        tracing::error!(order_id = request.order_id, "write failed: disk I/O error");
        return Err((StatusCode::SERVICE_UNAVAILABLE, "disk I/O error".into()));
    }
    let (id, customer_id, items) = (request.order_id, request.customer_id, request.items);
    let order = with_db(&db, move |c| {
        c.execute(
            "INSERT OR REPLACE INTO orders (id, customer_id, items, total_cents) VALUES (?1, ?2, ?3, ?4)",
            (id, customer_id, items, items * 1999),
        )
        .map_err(|e| internal(&e.to_string()))?;
        read_order(c, id)
    })
    .await?;
    tracing::info!(order_id = order.id, customer = ?order.customer, total_cents = order.total_cents, "order written");
    Ok(Json(order))
}

#[obs::observe(skip(db), err)]
fn read_order(db: &Connection, id: i64) -> Result<Order, (StatusCode, String)> {
    db.query_row(
        "SELECT o.id, o.items, o.total_cents, c.id, c.email, c.card_number FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.id = ?1",
        [id],
        |row| {
            Ok(Order {
                id: row.get(0)?,
                items: row.get(1)?,
                total_cents: row.get(2)?,
                customer: Customer { id: row.get(3)?, email: row.get(4)?, card_number: row.get(5)? },
            })
        },
    )
    .map_err(|e| match e {
        rusqlite::Error::QueryReturnedNoRows => (StatusCode::NOT_FOUND, format!("no order {id}")),
        other => internal(&other.to_string()),
    })
}

fn internal(message: &str) -> (StatusCode, String) {
    (StatusCode::INTERNAL_SERVER_ERROR, message.to_owned())
}
