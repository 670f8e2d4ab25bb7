//! The workspace's background jobs: `GET /admin/jobs?state=failed&kind=webhook&limit=50&offset=0`
//! → `{"jobs": [{id, kind, state, attempts, max_attempts, run_after, error, payload,
//! created_at, updated_at, finished_at}], "total", "offset", "limit"}`, newest first
//! (limit 1..=200, default 50; an unknown state or kind is 422); `POST
//! /admin/jobs/{id}/retry` queues a failed job again → the job (404 for another
//! workspace's, 409 when it is not failed).

use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::Operator;
use app::engine::{queue, AppState};
use app::types::{JobFilter, JobInfo, JobPage};
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};

/// The job routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/admin/jobs", get(list)).route("/admin/jobs/{id}/retry", post(retry))
}

async fn list(
    State(state): State<AppState>,
    Operator(op): Operator,
    q: Result<Query<JobFilter>, QueryRejection>,
) -> ApiResult<JobPage> {
    let Query(filter) = q.map_err(ApiError::from)?;
    Ok(Json(queue::list(&state.db, op.workspace(), &filter).await?))
}

async fn retry(
    State(state): State<AppState>,
    Operator(op): Operator,
    id: Result<Path<i64>, PathRejection>,
) -> ApiResult<JobInfo> {
    let Path(id) = id?;
    Ok(Json(queue::retry(&state.db, op.workspace(), id).await?))
}
