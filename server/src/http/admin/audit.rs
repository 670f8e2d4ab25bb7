//! `GET /admin/audit?action=&actor=&target=&since=&until=&limit=&offset=`: the
//! workspace's audit log, newest first, as an [`AuditPage`].

use crate::http::error::ApiResult;
use crate::http::extract::{ApiQuery, Operator};
use app::engine::{audit, AppState};
use app::types::{AuditFilter, AuditPage};
use axum::extract::State;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The audit route.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}

/// A page of the workspace's audit log, newest first.
///
/// Entries matching the filter (times in ms; `until` exclusive; `limit` 1–200, default 50).
/// A `limit` out of range, a negative `offset` or `since` after `until` is 422.
#[utoipa::path(
    get,
    path = "/admin/audit",
    tag = "audit",
    params(AuditFilter),
    responses((status = 200, body = AuditPage))
)]
async fn list(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiQuery(f): ApiQuery<AuditFilter>,
) -> ApiResult<AuditPage> {
    Ok(Json(audit::page(&state.db, op.workspace(), &f).await?))
}
