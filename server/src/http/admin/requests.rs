//! The LLM request log: `GET /admin/requests?limit=N` → the workspace's requests, newest
//! first (N defaults to 50, clamped to 1..=500 by the engine).

use crate::http::error::ApiResult;
use crate::http::extract::Operator;
use app::engine::monitor;
use app::engine::store::llm_requests::LlmRequestRow;
use app::engine::AppState;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

/// The request-log route.
pub fn router() -> Router<AppState> {
    Router::new().route("/admin/requests", get(requests))
}

#[derive(Deserialize)]
struct RequestsQuery {
    limit: Option<i64>,
}

async fn requests(
    State(state): State<AppState>,
    Operator(op): Operator,
    Query(q): Query<RequestsQuery>,
) -> ApiResult<Vec<LlmRequestRow>> {
    Ok(Json(monitor::llm_requests(&state.db, op.workspace(), q.limit.unwrap_or(50)).await?))
}
