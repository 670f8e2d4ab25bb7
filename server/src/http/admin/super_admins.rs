//! Super admins manage operators (the original's routes; a login is needed — a key is
//! 403 — and a super admin: anyone else is 403):
//!
//! - `GET /super/admins` → `{"admins": [{id, email, workspace_id, workspace_name, role,
//!   is_super, is_active, created_at}]}`, by email.
//! - `POST /super/admins` `{"email", "password"?, "workspace_id"?, "role"?, "is_super"?}`
//!   → 201 `{"admin": {…}, "password"?}`: without `workspace_id` the operator gets a
//!   workspace of their own (as its owner); with it they join that workspace with `role`
//!   (viewer, editor — the default — or owner). Without a password one is generated and
//!   answered only here. 422 (email, password under 10 characters), 404 (workspace),
//!   409 (email taken).
//! - `PUT /super/admins/{id}` `{"role"?, "is_active"?, "is_super"?, "password"?}` → the
//!   account; a password resets it. 409 when a super admin would lock themselves out.
//! - `DELETE /super/admins/{id}` → the account, deactivated: refused from its next request.
//!
//! And for every operator: `POST /admin/password` `{"current_password", "new_password"}`
//! → `{"status": "changed"}` (422 naming the field that is wrong).

use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, ApiPath, SessionOperator};
use app::engine::admins::{self, NewAdmin};
use app::engine::{auth, AppState};
use app::types::{AdminAccount, AdminUpdate};
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The super admin routes and `POST /admin/password`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(update, deactivate))
        .routes(routes!(change_password))
}

/// `{"admins": […]}`.
#[derive(Serialize, ToSchema)]
struct AdminList {
    admins: Vec<AdminAccount>,
}

/// Every operator account, by email. Super admins only; a login, not a key.
#[utoipa::path(get, path = "/super/admins", tag = "super-admins", responses((status = 200, body = AdminList)))]
async fn list(State(state): State<AppState>, SessionOperator(op): SessionOperator) -> ApiResult<AdminList> {
    Ok(Json(AdminList { admins: admins::list(&state.db, &op).await? }))
}

/// `{"admin": {…}, "password"?}`.
#[derive(Serialize, ToSchema)]
struct CreatedAdmin {
    admin: AdminAccount,
    /// The generated password, when the request gave none: shown only here. Absent when
    /// the request set one.
    #[serde(skip_serializing_if = "Option::is_none")]
    password: Option<String>,
}

/// Creates an operator.
///
/// Without `workspace_id` the operator gets a workspace of their own (as its owner); with
/// it they join that workspace with `role` (default `editor`). Without a `password` (at
/// least 10 characters) one is generated and answered only here.
#[utoipa::path(
    post,
    path = "/super/admins",
    tag = "super-admins",
    request_body(
        content = NewAdmin,
        description = "`email`; optional `password` (at least 10 characters; blank or absent: generated), \
`workspace_id` (join it; absent: a new workspace), `role` (with `workspace_id`; default `editor`), `is_super`"
    ),
    responses(
        (status = 201, description = "Created; `password` is there only when it was generated", body = CreatedAdmin),
        (status = 404, description = "No such workspace", body = crate::http::openapi::ErrorBody),
        (status = 409, description = "The email is taken", body = crate::http::openapi::ErrorBody),
    )
)]
async fn create(
    State(state): State<AppState>,
    SessionOperator(op): SessionOperator,
    ApiJson(b): ApiJson<NewAdmin>,
) -> Result<(http::StatusCode, Json<CreatedAdmin>), ApiError> {
    let (admin, password) = admins::create(&state.db, &op, &b).await?;
    Ok((http::StatusCode::CREATED, Json(CreatedAdmin { admin, password })))
}

/// Changes an operator account.
///
/// Fields left out keep their value; `password` (at least 10 characters) resets it. A
/// super admin cannot deactivate themselves or drop their own super admin flag (409).
#[utoipa::path(
    put,
    path = "/super/admins/{id}",
    tag = "super-admins",
    params(("id" = i64, Path, description = "The account's id")),
    request_body = AdminUpdate,
    responses(
        (status = 200, description = "The account after the change", body = AdminAccount),
        (status = 404, description = "No such account", body = crate::http::openapi::ErrorBody),
        (status = 409, description = "A super admin would lock themselves out", body = crate::http::openapi::ErrorBody),
    )
)]
async fn update(
    State(state): State<AppState>,
    SessionOperator(op): SessionOperator,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<AdminUpdate>,
) -> ApiResult<AdminAccount> {
    Ok(Json(admins::update(&state.db, &op, id, &b).await?))
}

/// Deactivates an operator account.
///
/// The account is refused from its next request; it and its history stay.
#[utoipa::path(
    delete,
    path = "/super/admins/{id}",
    tag = "super-admins",
    params(("id" = i64, Path, description = "The account's id")),
    responses(
        (status = 200, description = "The account, deactivated", body = AdminAccount),
        (status = 404, description = "No such account", body = crate::http::openapi::ErrorBody),
        (status = 409, description = "A super admin cannot deactivate themselves", body = crate::http::openapi::ErrorBody),
    )
)]
async fn deactivate(
    State(state): State<AppState>,
    SessionOperator(op): SessionOperator,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<AdminAccount> {
    Ok(Json(admins::deactivate(&state.db, &op, id).await?))
}

#[derive(Deserialize, ToSchema)]
struct PasswordChangeBody {
    /// The password the operator logs in with now (422 on this field when wrong).
    current_password: String,
    /// The new password, at least 10 characters (422 on this field when shorter).
    new_password: String,
}

/// `{"status": "changed"}`.
#[derive(Serialize, ToSchema)]
struct PasswordChanged {
    /// Always `changed`.
    status: &'static str,
}

/// Changes the caller's own password. A login, not a key.
#[utoipa::path(
    post,
    path = "/admin/password",
    tag = "auth",
    request_body = PasswordChangeBody,
    responses((status = 200, description = "Changed", body = PasswordChanged))
)]
async fn change_password(
    State(state): State<AppState>,
    SessionOperator(op): SessionOperator,
    ApiJson(b): ApiJson<PasswordChangeBody>,
) -> ApiResult<PasswordChanged> {
    auth::change_password(&state.db, &op, &b.current_password, &b.new_password).await?;
    Ok(Json(PasswordChanged { status: "changed" }))
}
