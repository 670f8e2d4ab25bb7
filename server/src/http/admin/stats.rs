//! Statistics: the original's `GET /admin/stats/overview`, `GET
//! /admin/stats/users/{user_id}` and `POST /admin/stats/aggregate` (same paths and
//! fields), plus the Overview page's figures `GET /admin/stats/dashboard?range=24h|7d|30d`
//! and the model prices behind its cost (`GET /admin/stats/prices`, `PUT` / `DELETE
//! /admin/stats/prices/{model}`). Everything is scoped to the caller's workspace.

use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, Operator};
use app::engine::{stats, AppState};
use app::error::AppError;
use app::types::{ModelPrice, StatsOverview, StatsRange};
use axum::extract::{Path, Query, State};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use http::StatusCode;
use serde::Deserialize;
use serde_json::json;

/// The statistics routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/stats/overview", get(overview))
        .route("/admin/stats/users/{user_id}", get(user))
        .route("/admin/stats/aggregate", post(aggregate))
        .route("/admin/stats/dashboard", get(dashboard))
        .route("/admin/stats/prices", get(prices))
        .route("/admin/stats/prices/{model}", put(set_price).delete(delete_price))
}

/// `{active_users_today, active_users_hour, total_messages_today, messages_per_hour,
/// avg_response_time_ms, error_rate_percent, top_templates: [{name, count}]}`.
async fn overview(State(state): State<AppState>, Operator(op): Operator) -> ApiResult<serde_json::Value> {
    Ok(Json(stats::original_overview(&state.db, op.workspace()).await?))
}

/// `{user_id, total_messages, first_seen, last_seen, avg_response_time_ms, error_count,
/// error_rate_percent}`; 404 for a user without messages.
async fn user(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(user_id): Path<String>,
) -> ApiResult<serde_json::Value> {
    Ok(Json(stats::user_stats(&state.db, op.workspace(), &user_id).await?))
}

/// Aggregates the closed hours now: `{"status": "success", "message": "Metrics
/// aggregated", "hours", "aggregated_until"}`.
async fn aggregate(State(state): State<AppState>, Operator(_op): Operator) -> ApiResult<serde_json::Value> {
    let r = stats::aggregate(&state.db, |_, _| {}).await?;
    Ok(Json(
        json!({"status": "success", "message": "Metrics aggregated", "hours": r.hours, "aggregated_until": r.until}),
    ))
}

#[derive(Deserialize)]
struct RangeQuery {
    range: Option<String>,
}

/// The Overview's figures ([`StatsOverview`]); `range` defaults to `24h`, anything but
/// `24h`, `7d`, `30d` is 422.
async fn dashboard(
    State(state): State<AppState>,
    Operator(op): Operator,
    Query(q): Query<RangeQuery>,
) -> ApiResult<StatsOverview> {
    let range = match q.range.as_deref() {
        None | Some("") => StatsRange::Day,
        Some(r) => StatsRange::parse(r).ok_or_else(|| AppError::invalid("range", "range is 24h, 7d or 30d."))?,
    };
    Ok(Json(stats::overview(&state.db, op.workspace(), range).await?))
}

/// `{"prices": [{model, prompt_usd_per_mtok, completion_usd_per_mtok}]}`.
async fn prices(State(state): State<AppState>, Operator(op): Operator) -> ApiResult<serde_json::Value> {
    Ok(Json(json!({"prices": stats::prices(&state.db, op.workspace()).await?})))
}

#[derive(Deserialize)]
struct PriceBody {
    prompt_usd_per_mtok: f64,
    completion_usd_per_mtok: f64,
}

/// Sets a model's price (USD per million tokens) → the price.
async fn set_price(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(model): Path<String>,
    ApiJson(body): ApiJson<PriceBody>,
) -> ApiResult<ModelPrice> {
    let price = ModelPrice {
        model: model.trim().to_string(),
        prompt_usd_per_mtok: body.prompt_usd_per_mtok,
        completion_usd_per_mtok: body.completion_usd_per_mtok,
    };
    stats::set_price(&state.db, op.workspace(), &price).await?;
    Ok(Json(price))
}

/// Removes a model's price → 204; 404 when it had none.
async fn delete_price(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(model): Path<String>,
) -> Result<StatusCode, ApiError> {
    stats::delete_price(&state.db, op.workspace(), &model).await?;
    Ok(StatusCode::NO_CONTENT)
}
