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
use crate::http::extract::{ApiJson, ApiPath, SessionOperator};
use app::engine::{api_keys, AppState};
use app::types::{ApiKeyInfo, CreatedApiKey};
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The key routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, create)).routes(routes!(revoke))
}

/// `{"keys": […]}`.
#[derive(Serialize, ToSchema)]
struct KeyList {
    keys: Vec<ApiKeyInfo>,
}

/// The workspace's keys, newest first (revoked ones too). Owners only; a login, not a key.
#[utoipa::path(get, path = "/admin/api-keys", tag = "api-keys", responses((status = 200, body = KeyList)))]
async fn list(State(state): State<AppState>, SessionOperator(op): SessionOperator) -> ApiResult<KeyList> {
    Ok(Json(KeyList { keys: api_keys::list(&state.db, op.workspace()).await? }))
}

#[derive(Deserialize, ToSchema)]
struct CreateBody {
    /// What the key is for, shown in the list (1–100 characters).
    name: String,
    /// Any of `chat` (talk to personas), `read` (GET the admin API), `manage` (change it).
    scopes: Vec<String>,
}

/// Creates a key. The response is the only time its secret is shown.
#[utoipa::path(
    post,
    path = "/admin/api-keys",
    tag = "api-keys",
    request_body = CreateBody,
    responses((status = 201, description = "Created; keep `secret`, it is not shown again", body = CreatedApiKey))
)]
async fn create(
    State(state): State<AppState>,
    SessionOperator(op): SessionOperator,
    ApiJson(b): ApiJson<CreateBody>,
) -> Result<(http::StatusCode, Json<CreatedApiKey>), ApiError> {
    let created = api_keys::create(&state.db, &op, &b.name, &b.scopes).await?;
    Ok((http::StatusCode::CREATED, Json(created)))
}

/// Revokes a key: its next request is 401.
#[utoipa::path(
    delete,
    path = "/admin/api-keys/{id}",
    tag = "api-keys",
    params(("id" = i64, Path, description = "The key's id")),
    responses(
        (status = 200, description = "The key, revoked", body = ApiKeyInfo),
        (status = 404, description = "No such key in the workspace, or revoked already", body = crate::http::openapi::ErrorBody),
    )
)]
async fn revoke(
    State(state): State<AppState>,
    SessionOperator(op): SessionOperator,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<ApiKeyInfo> {
    Ok(Json(api_keys::revoke(&state.db, &op, id).await?))
}
