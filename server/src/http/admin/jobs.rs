//! The workspace's background jobs: `GET /admin/jobs?state=failed&kind=webhook&limit=50&offset=0`
//! → `{"jobs": [{id, kind, state, attempts, max_attempts, run_after, error, payload,
//! created_at, updated_at, finished_at}], "total", "offset", "limit"}`, newest first
//! (limit 1..=200, default 50; an unknown state or kind is 422); `POST
//! /admin/jobs/{id}/retry` queues a failed job again → the job (404 for another
//! workspace's, 409 when it is not failed).

use crate::http::error::ApiResult;
use crate::http::extract::{ApiPath, ApiQuery, Operator};
use app::engine::{queue, AppState};
use app::types::{JobFilter, JobInfo, JobPage};
use axum::extract::State;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The job routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list)).routes(routes!(retry))
}

/// A page of the workspace's jobs, newest first.
///
/// `limit` is clamped to 1–200 (default 50); an unknown `state` or `kind` is 422.
#[utoipa::path(
    get,
    path = "/admin/jobs",
    tag = "jobs",
    params(JobFilter),
    responses((status = 200, body = JobPage))
)]
async fn list(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiQuery(filter): ApiQuery<JobFilter>,
) -> ApiResult<JobPage> {
    Ok(Json(queue::list(&state.db, op.workspace(), &filter).await?))
}

/// Queues a failed job again (attempts from zero).
#[utoipa::path(
    post,
    path = "/admin/jobs/{id}/retry",
    tag = "jobs",
    params(("id" = i64, Path, description = "The job's id")),
    responses(
        (status = 200, description = "The job, queued", body = JobInfo),
        (status = 404, description = "No such job in the workspace", body = crate::http::openapi::ErrorBody),
        (status = 409, description = "The job is not failed, or the same work is queued already",
            body = crate::http::openapi::ErrorBody),
    )
)]
async fn retry(State(state): State<AppState>, Operator(op): Operator, ApiPath(id): ApiPath<i64>) -> ApiResult<JobInfo> {
    Ok(Json(queue::retry(&state.db, op.workspace(), id).await?))
}
