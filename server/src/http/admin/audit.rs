//! `GET /admin/audit?action=&actor=&target=&since=&until=&limit=&offset=`: the
//! workspace's audit log, newest first, as an [`AuditPage`].

use crate::http::error::ApiResult;
use crate::http::extract::Operator;
use app::engine::{audit, AppState};
use app::types::{AuditFilter, AuditPage};
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};

/// The audit route.
pub fn router() -> Router<AppState> {
    Router::new().route("/admin/audit", get(list))
}

/// A page of entries matching the filter (times in ms; `until` exclusive; `limit` 1–200,
/// default 50). Errors: `Invalid` (limit, offset, since after until).
async fn list(
    State(state): State<AppState>,
    Operator(op): Operator,
    Query(f): Query<AuditFilter>,
) -> ApiResult<AuditPage> {
    Ok(Json(audit::page(&state.db, op.workspace(), &f).await?))
}
