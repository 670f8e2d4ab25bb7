//! The operator's end users (issue 9), in the original's shapes:
//! `GET`/`POST /admin/end-users`, `GET`/`PUT`/`DELETE /admin/end-users/{id}`. Only the
//! operator's own workspace: another workspace's id is 404.

use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, Operator};
use app::engine::ids::EndUserId;
use app::engine::{end_users, AppState};
use app::types::{EndUserAccount, EndUserPatch, NewEndUser};
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The end-user routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, create)).routes(routes!(one, update, delete))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Include deactivated users too (default false).
    #[serde(default)]
    include_inactive: bool,
    /// Page size (default and most 200; values outside 1–200 are brought into it).
    #[serde(default = "default_limit")]
    limit: i64,
    /// Users to skip (default 0; a negative one counts as 0).
    #[serde(default)]
    offset: i64,
}

fn default_limit() -> i64 {
    end_users::MAX_PAGE
}

/// `{"count", "users", "total", "offset", "limit"}`.
#[derive(Serialize, ToSchema)]
struct EndUserList {
    /// This page's length (the original's field).
    count: usize,
    /// Newest first.
    users: Vec<EndUserAccount>,
    /// All matching users (not only this page).
    total: i64,
    offset: i64,
    limit: i64,
}

/// A page of the workspace's end users, newest first.
#[utoipa::path(
    get,
    path = "/admin/end-users",
    tag = "end-users",
    params(ListQuery),
    responses((status = 200, body = EndUserList))
)]
async fn list(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<EndUserList> {
    let page = end_users::list(&state.db, op.workspace(), q.include_inactive, q.limit, q.offset).await?;
    Ok(Json(EndUserList {
        count: page.users.len(),
        users: page.users,
        total: page.total,
        offset: page.offset,
        limit: page.limit,
    }))
}

/// Creates an active end user.
///
/// `external_id` (the id the chat and the API name the user by) defaults to the email.
#[utoipa::path(
    post,
    path = "/admin/end-users",
    tag = "end-users",
    request_body = NewEndUser,
    responses(
        (status = 201, description = "Created", body = EndUserAccount),
        (status = 409, description = "The external id or the email is taken in the workspace", body = crate::http::openapi::ErrorBody),
    )
)]
async fn create(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiJson(b): ApiJson<NewEndUser>,
) -> Result<(http::StatusCode, Json<EndUserAccount>), ApiError> {
    let user = end_users::create(&state.db, op.workspace(), &b).await?;
    Ok((http::StatusCode::CREATED, Json(user)))
}

/// One end user.
#[utoipa::path(
    get,
    path = "/admin/end-users/{id}",
    tag = "end-users",
    params(("id" = i64, Path, description = "The end user's row id")),
    responses(
        (status = 200, body = EndUserAccount),
        (status = 404, description = "No such user in the workspace", body = crate::http::openapi::ErrorBody),
    )
)]
async fn one(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath(id): ApiPath<EndUserId>,
) -> ApiResult<EndUserAccount> {
    Ok(Json(end_users::get(&state.db, op.workspace(), id).await?))
}

/// A user's new status.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
enum UpdatedStatus {
    Updated,
}

/// `{"status": "updated", "user": {…}}`.
#[derive(Serialize, ToSchema)]
struct EndUserUpdated {
    status: UpdatedStatus,
    user: EndUserAccount,
}

/// Changes an end user: only the fields given change.
///
/// An empty `email` or `display_name` clears it. Deactivating ends the user's logins at
/// their next request.
#[utoipa::path(
    put,
    path = "/admin/end-users/{id}",
    tag = "end-users",
    params(("id" = i64, Path, description = "The end user's row id")),
    request_body = EndUserPatch,
    responses(
        (status = 200, description = "Updated", body = EndUserUpdated),
        (status = 404, description = "No such user in the workspace", body = crate::http::openapi::ErrorBody),
        (status = 409, description = "The email is taken in the workspace", body = crate::http::openapi::ErrorBody),
    )
)]
async fn update(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath(id): ApiPath<EndUserId>,
    ApiJson(b): ApiJson<EndUserPatch>,
) -> ApiResult<EndUserUpdated> {
    let user = end_users::update(&state.db, op.workspace(), id, &b).await?;
    Ok(Json(EndUserUpdated { status: UpdatedStatus::Updated, user }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct DeleteQuery {
    /// Delete the user with their chats; default (as in the original): deactivate.
    #[serde(default)]
    hard: bool,
}

/// What became of the user.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
enum EndUserRemoval {
    /// `hard=true`: deleted with their chats, messages and memory.
    Deleted,
    /// The default: deactivated (cannot log in; a live login ends at its next request).
    Deactivated,
}

/// `{"status": "deleted" | "deactivated"}`.
#[derive(Serialize, ToSchema)]
struct EndUserRemoved {
    status: EndUserRemoval,
}

/// Deactivates an end user, or with `hard=true` deletes them.
///
/// Deleting removes the user with their chats, messages and memory.
#[utoipa::path(
    delete,
    path = "/admin/end-users/{id}",
    tag = "end-users",
    params(("id" = i64, Path, description = "The end user's row id"), DeleteQuery),
    responses(
        (status = 200, body = EndUserRemoved),
        (status = 404, description = "No such user in the workspace", body = crate::http::openapi::ErrorBody),
    )
)]
async fn delete(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath(id): ApiPath<EndUserId>,
    ApiQuery(q): ApiQuery<DeleteQuery>,
) -> ApiResult<EndUserRemoved> {
    if q.hard {
        end_users::delete(&state.db, op.workspace(), id).await?;
        return Ok(Json(EndUserRemoved { status: EndUserRemoval::Deleted }));
    }
    let patch = EndUserPatch { is_active: Some(false), ..EndUserPatch::default() };
    end_users::update(&state.db, op.workspace(), id, &patch).await?;
    Ok(Json(EndUserRemoved { status: EndUserRemoval::Deactivated }))
}
