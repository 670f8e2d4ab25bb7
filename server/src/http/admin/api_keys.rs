//! The workspace's API keys (a login is needed: a key cannot manage keys, 403).
//!
//! - `GET /admin/api-keys` → `{"keys": [{id, name, prefix, scopes, created_by,
//!   created_at, last_used_at, revoked_at}]}`, newest first.
//! - `POST /admin/api-keys` `{"name", "scopes": ["chat", "read", "manage"]}` → 201
//!   `{"key": {…}, "secret": "pd_…"}` — the only time the secret is shown. 422 for a blank
//!   name or an unknown or empty scope list.
//! - `DELETE /admin/api-keys/{id}` → the key, revoked (its next request is 401); 404 for
//!   another workspace's or one revoked already.

use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, SessionOperator};
use app::engine::{api_keys, AppState};
use app::types::{ApiKeyInfo, CreatedApiKey};
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

/// The key routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/admin/api-keys", get(list).post(create)).route("/admin/api-keys/{id}", delete(revoke))
}

async fn list(State(state): State<AppState>, SessionOperator(op): SessionOperator) -> ApiResult<Value> {
    Ok(Json(json!({ "keys": api_keys::list(&state.db, op.workspace()).await? })))
}

#[derive(Deserialize)]
struct CreateBody {
    name: String,
    scopes: Vec<String>,
}

async fn create(
    State(state): State<AppState>,
    SessionOperator(op): SessionOperator,
    ApiJson(b): ApiJson<CreateBody>,
) -> Result<(http::StatusCode, Json<CreatedApiKey>), ApiError> {
    let created = api_keys::create(&state.db, &op, &b.name, &b.scopes).await?;
    Ok((http::StatusCode::CREATED, Json(created)))
}

async fn revoke(
    State(state): State<AppState>,
    SessionOperator(op): SessionOperator,
    id: Result<Path<i64>, PathRejection>,
) -> ApiResult<ApiKeyInfo> {
    let Path(id) = id?;
    Ok(Json(api_keys::revoke(&state.db, &op, id).await?))
}
