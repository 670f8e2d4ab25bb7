//! The operator's end users (issue 9), in the original's shapes:
//! `GET`/`POST /admin/end-users`, `GET`/`PUT`/`DELETE /admin/end-users/{id}`. Only the
//! operator's own workspace: another workspace's id is 404.

use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, Operator};
use app::engine::ids::EndUserId;
use app::engine::{end_users, AppState};
use app::types::{EndUserAccount, EndUserPatch, NewEndUser};
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

/// The end-user routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/end-users", get(list).post(create))
        .route("/admin/end-users/{id}", get(one).put(update).delete(delete))
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(default)]
    include_inactive: bool,
    #[serde(default = "default_limit")]
    limit: i64,
    #[serde(default)]
    offset: i64,
}

fn default_limit() -> i64 {
    end_users::MAX_PAGE
}

/// `GET /admin/end-users?include_inactive=false&limit=200&offset=0` → `{"count", "users":
/// [{id, external_id, email, display_name, is_active, has_password, created_at,
/// updated_at, last_seen}], "total", "offset", "limit"}`, newest first; `count` is this
/// page's length (the original's field), `total` all matching users.
async fn list(
    State(state): State<AppState>,
    Operator(op): Operator,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> ApiResult<Value> {
    let Query(q) = q?;
    let page = end_users::list(&state.db, op.workspace(), q.include_inactive, q.limit, q.offset).await?;
    Ok(Json(json!({
        "count": page.users.len(),
        "users": page.users,
        "total": page.total,
        "offset": page.offset,
        "limit": page.limit,
    })))
}

/// `POST /admin/end-users` `{"external_id"?, "email"?, "password"?, "display_name"?}` →
/// 201 with the user (`id`, `external_id`, `email`, … as in the list). `external_id`
/// defaults to the email. 409 when the external id or email is taken, 422 for bad input.
async fn create(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiJson(b): ApiJson<NewEndUser>,
) -> Result<(http::StatusCode, Json<EndUserAccount>), ApiError> {
    let user = end_users::create(&state.db, op.workspace(), &b).await?;
    Ok((http::StatusCode::CREATED, Json(user)))
}

/// `GET /admin/end-users/{id}` → the user. 404 when not in the operator's workspace.
async fn one(
    State(state): State<AppState>,
    Operator(op): Operator,
    id: Result<Path<EndUserId>, PathRejection>,
) -> ApiResult<EndUserAccount> {
    let Path(id) = id?;
    Ok(Json(end_users::get(&state.db, op.workspace(), id).await?))
}

/// `PUT /admin/end-users/{id}` `{"email"?, "password"?, "display_name"?, "is_active"?}` →
/// `{"status": "updated", "user": {…}}`. Deactivating ends the user's logins at their
/// next request. 404, 409 (email taken), 422.
async fn update(
    State(state): State<AppState>,
    Operator(op): Operator,
    id: Result<Path<EndUserId>, PathRejection>,
    ApiJson(b): ApiJson<EndUserPatch>,
) -> ApiResult<Value> {
    let Path(id) = id?;
    let user = end_users::update(&state.db, op.workspace(), id, &b).await?;
    Ok(Json(json!({"status": "updated", "user": user})))
}

#[derive(Deserialize)]
struct DeleteQuery {
    /// Delete the user with their chats; default (as in the original): deactivate.
    #[serde(default)]
    hard: bool,
}

/// `DELETE /admin/end-users/{id}?hard=false` → `{"status": "deactivated"}`; with
/// `hard=true` the user, their chats, messages and memory are deleted →
/// `{"status": "deleted"}`. 404 when not in the operator's workspace.
async fn delete(
    State(state): State<AppState>,
    Operator(op): Operator,
    id: Result<Path<EndUserId>, PathRejection>,
    q: Result<Query<DeleteQuery>, QueryRejection>,
) -> ApiResult<Value> {
    let (Path(id), Query(q)) = (id?, q?);
    if q.hard {
        end_users::delete(&state.db, op.workspace(), id).await?;
        return Ok(Json(json!({"status": "deleted"})));
    }
    let patch = EndUserPatch { is_active: Some(false), ..EndUserPatch::default() };
    end_users::update(&state.db, op.workspace(), id, &patch).await?;
    Ok(Json(json!({"status": "deactivated"})))
}
