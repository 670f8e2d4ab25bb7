//! The LLM request log:
//! - `GET /admin/requests?limit=N` → the newest N requests in full (default 50, at most
//!   500), as before;
//! - `GET /admin/requests/page?persona_id=&version=&status=&source=&user_id=&since=&until=&q=&cursor=&limit=`
//!   → `{"requests": [summary…], "next_cursor"}` (times in ms; `cursor` is the last page's
//!   `next_cursor`);
//! - `GET /admin/requests/{id}` → one call in full: the exact messages sent, reply, error,
//!   parameters, context;
//! - `GET` / `PUT /admin/requests/retention` `{"request_body_days": N | null}`: after N
//!   days a call keeps its figures and loses its texts.

use crate::http::error::ApiResult;
use crate::http::extract::{ApiJson, Operator};
use app::engine::store::llm_requests::LlmRequestRow;
use app::engine::{monitor, requests, AppState};
use app::types::{RequestDetail, RequestFilter, RequestPage};
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

/// The request-log routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/requests", get(newest))
        .route("/admin/requests/page", get(page))
        .route("/admin/requests/retention", get(retention).put(set_retention))
        .route("/admin/requests/{id}", get(detail))
}

#[derive(Deserialize)]
struct NewestQuery {
    limit: Option<i64>,
}

async fn newest(
    State(state): State<AppState>,
    Operator(op): Operator,
    Query(q): Query<NewestQuery>,
) -> ApiResult<Vec<LlmRequestRow>> {
    Ok(Json(monitor::llm_requests(&state.db, op.workspace(), q.limit.unwrap_or(50)).await?))
}

async fn page(
    State(state): State<AppState>,
    Operator(op): Operator,
    Query(f): Query<RequestFilter>,
) -> ApiResult<RequestPage> {
    Ok(Json(requests::search(&state.db, op.workspace(), &f).await?))
}

async fn detail(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(id): Path<i64>,
) -> ApiResult<RequestDetail> {
    Ok(Json(requests::detail(&state.db, op.workspace(), id).await?))
}

async fn retention(State(state): State<AppState>, Operator(op): Operator) -> ApiResult<serde_json::Value> {
    Ok(Json(json!({"request_body_days": requests::retention(&state.db, op.workspace()).await?})))
}

#[derive(Deserialize)]
struct RetentionBody {
    request_body_days: Option<i64>,
}

async fn set_retention(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiJson(b): ApiJson<RetentionBody>,
) -> ApiResult<serde_json::Value> {
    let days = requests::set_retention(&state.db, op.workspace(), b.request_body_days).await?;
    Ok(Json(json!({"request_body_days": days})))
}
