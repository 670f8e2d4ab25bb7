//! Statistics: the original's `GET /admin/stats/overview`, `GET
//! /admin/stats/users/{user_id}` and `POST /admin/stats/aggregate` (same paths and
//! fields), plus the Overview page's figures `GET /admin/stats/dashboard?range=24h|7d|30d`
//! and the model prices behind its cost (`GET /admin/stats/prices`, `PUT` / `DELETE
//! /admin/stats/prices/{model}`; changing them is for owners). Everything is scoped to
//! the caller's workspace.

use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, Operator};
use app::engine::{stats, AppState};
use app::error::AppError;
use app::types::{ModelPrice, OriginalOverview, StatsOverview, StatsRange, UserStats};
use axum::extract::State;
use axum::Json;
use http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The statistics routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(overview))
        .routes(routes!(user))
        .routes(routes!(aggregate))
        .routes(routes!(dashboard))
        .routes(routes!(prices))
        .routes(routes!(set_price, delete_price))
}

/// The original's overview figures.
///
/// `{active_users_today, active_users_hour, total_messages_today, messages_per_hour,
/// avg_response_time_ms, error_rate_percent, top_templates: [{name, count}]}`.
#[utoipa::path(get, path = "/admin/stats/overview", tag = "stats", responses((status = 200, body = OriginalOverview)))]
async fn overview(State(state): State<AppState>, Operator(op): Operator) -> ApiResult<OriginalOverview> {
    Ok(Json(stats::original_overview(&state.db, op.workspace()).await?))
}

/// The original's figures of one end user.
///
/// `{user_id, total_messages, first_seen, last_seen, avg_response_time_ms, error_count,
/// error_rate_percent}` over all time.
#[utoipa::path(
    get,
    path = "/admin/stats/users/{user_id}",
    tag = "stats",
    params(("user_id" = String, Path, description = "The end user's id (as the chat names them)")),
    responses(
        (status = 200, body = UserStats),
        (status = 404, description = "No such user in the workspace, or one without messages", body = crate::http::openapi::ErrorBody),
    )
)]
async fn user(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath(user_id): ApiPath<String>,
) -> ApiResult<UserStats> {
    Ok(Json(stats::user_stats(&state.db, op.workspace(), &user_id).await?))
}

/// `{"status": "success", "message": "Metrics aggregated", "hours", "aggregated_until"}`.
#[derive(Serialize, ToSchema)]
struct Aggregated {
    /// Always `success`.
    status: &'static str,
    /// Always `Metrics aggregated`.
    message: &'static str,
    /// Hours aggregated by this call.
    hours: i64,
    /// Hours before this (ms since the Unix epoch) are aggregated.
    aggregated_until: i64,
}

/// Aggregates the closed hours now.
///
/// The statistics are otherwise aggregated every minute in the background; this waits
/// for a run in progress.
#[utoipa::path(post, path = "/admin/stats/aggregate", tag = "stats", responses((status = 200, body = Aggregated)))]
async fn aggregate(State(state): State<AppState>, Operator(_op): Operator) -> ApiResult<Aggregated> {
    let r = stats::aggregate(&state.db, |_, _| {}).await?;
    Ok(Json(Aggregated { status: "success", message: "Metrics aggregated", hours: r.hours, aggregated_until: r.until }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct RangeQuery {
    /// The span the series cover: `24h` (the default; one point per hour), `7d` (per
    /// hour) or `30d` (per day).
    #[param(value_type = Option<StatsRange>)]
    range: Option<String>,
}

/// The Overview page's figures.
///
/// Today's cards, the series over `range`, the latency histogram and one row per persona
/// version. A `range` other than `24h`, `7d`, `30d` is 422.
#[utoipa::path(
    get,
    path = "/admin/stats/dashboard",
    tag = "stats",
    params(RangeQuery),
    responses((status = 200, body = StatsOverview))
)]
async fn dashboard(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiQuery(q): ApiQuery<RangeQuery>,
) -> ApiResult<StatsOverview> {
    let range = match q.range.as_deref() {
        None | Some("") => StatsRange::Day,
        Some(r) => StatsRange::parse(r).ok_or_else(|| AppError::invalid("range", "range is 24h, 7d or 30d."))?,
    };
    Ok(Json(stats::overview(&state.db, op.workspace(), range).await?))
}

/// `{"prices": […]}`.
#[derive(Serialize, ToSchema)]
struct PriceList {
    /// By model name.
    prices: Vec<ModelPrice>,
}

/// The workspace's model prices (USD per million tokens), by model name.
#[utoipa::path(get, path = "/admin/stats/prices", tag = "stats", responses((status = 200, body = PriceList)))]
async fn prices(State(state): State<AppState>, Operator(op): Operator) -> ApiResult<PriceList> {
    Ok(Json(PriceList { prices: stats::prices(&state.db, op.workspace()).await? }))
}

#[derive(Deserialize, ToSchema)]
struct ModelPriceBody {
    /// USD per million prompt tokens (finite, 0 or more).
    prompt_usd_per_mtok: f64,
    /// USD per million completion tokens (finite, 0 or more).
    completion_usd_per_mtok: f64,
}

/// Sets a model's price. Owners only.
///
/// The estimated costs of the Overview and the request log use it.
#[utoipa::path(
    put,
    path = "/admin/stats/prices/{model}",
    tag = "stats",
    params(("model" = String, Path, description = "The model's name as the provider reports it (1–200 characters)")),
    request_body = ModelPriceBody,
    responses((status = 200, description = "The price", body = ModelPrice))
)]
async fn set_price(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath(model): ApiPath<String>,
    ApiJson(body): ApiJson<ModelPriceBody>,
) -> ApiResult<ModelPrice> {
    let price = ModelPrice {
        model: model.trim().to_string(),
        prompt_usd_per_mtok: body.prompt_usd_per_mtok,
        completion_usd_per_mtok: body.completion_usd_per_mtok,
    };
    stats::set_price(&state.db, op.workspace(), &price).await?;
    Ok(Json(price))
}

/// Removes a model's price. Owners only.
#[utoipa::path(
    delete,
    path = "/admin/stats/prices/{model}",
    tag = "stats",
    params(("model" = String, Path, description = "The model's name")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "The model had no price", body = crate::http::openapi::ErrorBody),
    )
)]
async fn delete_price(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath(model): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    stats::delete_price(&state.db, op.workspace(), &model).await?;
    Ok(StatusCode::NO_CONTENT)
}
