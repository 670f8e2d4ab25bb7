//! The LLM request log:
//! - `GET /admin/requests?limit=N` → the newest N requests in full (default 50, at most
//!   500), as before;
//! - `GET /admin/requests/page?persona_id=&version=&status=&source=&user_id=&since=&until=&q=&cursor=&limit=`
//!   → `{"requests": [summary…], "next_cursor"}` (times in ms; `cursor` is the last page's
//!   `next_cursor`);
//! - `GET /admin/requests/{id}` → one call in full: the exact messages sent, reply, error,
//!   parameters, context;
//! - `GET` / `PUT /admin/requests/retention` `{"request_body_days": N | null}`: after N
//!   days a call keeps its figures and loses its texts (changing it is for owners).

use crate::http::error::ApiResult;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, Operator};
use app::engine::store::llm_requests::LlmRequestRow;
use app::engine::{monitor, requests, AppState};
use app::types::{RequestDetail, RequestFilter, RequestPage};
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The request-log routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(newest))
        .routes(routes!(page))
        .routes(routes!(retention, set_retention))
        .routes(routes!(detail))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct NewestQuery {
    /// How many requests, 1–500 (default 50; others are clamped).
    limit: Option<i64>,
}

/// The newest requests, in full.
///
/// Newest first, with the exact messages sent. The original's route; the request log
/// page reads `/admin/requests/page`.
#[utoipa::path(
    get,
    path = "/admin/requests",
    tag = "requests",
    params(NewestQuery),
    responses((status = 200, description = "Newest first", body = Vec<LlmRequestRow>))
)]
async fn newest(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiQuery(q): ApiQuery<NewestQuery>,
) -> ApiResult<Vec<LlmRequestRow>> {
    Ok(Json(monitor::llm_requests(&state.db, op.workspace(), q.limit.unwrap_or(50)).await?))
}

/// A page of the request log, filtered.
///
/// Newest first, without the texts. Pass the answer's `next_cursor` as `cursor` for the
/// older rows (null: the last page). Times are ms since the Unix epoch; `until` before
/// `since` is 422.
#[utoipa::path(
    get,
    path = "/admin/requests/page",
    tag = "requests",
    params(RequestFilter),
    responses((status = 200, body = RequestPage))
)]
async fn page(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiQuery(f): ApiQuery<RequestFilter>,
) -> ApiResult<RequestPage> {
    Ok(Json(requests::search(&state.db, op.workspace(), &f).await?))
}

/// One request in full.
///
/// The exact messages sent, the reply or error, the persona version's parameters and the
/// turn's context (the texts are gone once the retention dropped them: `bodies_dropped`).
#[utoipa::path(
    get,
    path = "/admin/requests/{id}",
    tag = "requests",
    params(("id" = i64, Path, description = "The request's id")),
    responses(
        (status = 200, body = RequestDetail),
        (status = 404, description = "No such request in the workspace", body = crate::http::openapi::ErrorBody),
    )
)]
async fn detail(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<RequestDetail> {
    Ok(Json(requests::detail(&state.db, op.workspace(), id).await?))
}

/// `{"request_body_days": N | null}`: the request bodies' retention.
#[derive(Serialize, Deserialize, ToSchema)]
struct RequestRetention {
    /// After this many days (1–3650) a request keeps its figures and loses its texts
    /// (the messages sent, the reply, the error); null keeps them for good.
    request_body_days: Option<i64>,
}

/// The request bodies' retention.
#[utoipa::path(
    get,
    path = "/admin/requests/retention",
    tag = "requests",
    responses((status = 200, body = RequestRetention))
)]
async fn retention(State(state): State<AppState>, Operator(op): Operator) -> ApiResult<RequestRetention> {
    Ok(Json(RequestRetention { request_body_days: requests::retention(&state.db, op.workspace()).await? }))
}

/// Sets the request bodies' retention. Owners only.
#[utoipa::path(
    put,
    path = "/admin/requests/retention",
    tag = "requests",
    request_body(content = RequestRetention, description = "`request_body_days` null or left out: keep the texts"),
    responses((status = 200, description = "The retention now", body = RequestRetention))
)]
async fn set_retention(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiJson(b): ApiJson<RequestRetention>,
) -> ApiResult<RequestRetention> {
    let days = requests::set_retention(&state.db, op.workspace(), b.request_body_days).await?;
    Ok(Json(RequestRetention { request_body_days: days }))
}
