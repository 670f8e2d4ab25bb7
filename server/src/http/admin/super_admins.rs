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
use crate::http::extract::{ApiJson, SessionOperator};
use app::engine::admins::{self, NewAdmin};
use app::engine::{auth, AppState};
use app::types::{AdminAccount, AdminUpdate};
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

/// The super admin routes and `POST /admin/password`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/super/admins", get(list).post(create))
        .route("/super/admins/{id}", put(update).delete(deactivate))
        .route("/admin/password", post(change_password))
}

async fn list(State(state): State<AppState>, SessionOperator(op): SessionOperator) -> ApiResult<Value> {
    Ok(Json(json!({ "admins": admins::list(&state.db, &op).await? })))
}

async fn create(
    State(state): State<AppState>,
    SessionOperator(op): SessionOperator,
    ApiJson(b): ApiJson<NewAdmin>,
) -> Result<(http::StatusCode, Json<Value>), ApiError> {
    let (admin, password) = admins::create(&state.db, &op, &b).await?;
    let mut body = json!({ "admin": admin });
    if let Some(p) = password {
        body["password"] = json!(p);
    }
    Ok((http::StatusCode::CREATED, Json(body)))
}

async fn update(
    State(state): State<AppState>,
    SessionOperator(op): SessionOperator,
    id: Result<Path<i64>, PathRejection>,
    ApiJson(b): ApiJson<AdminUpdate>,
) -> ApiResult<AdminAccount> {
    let Path(id) = id?;
    Ok(Json(admins::update(&state.db, &op, id, &b).await?))
}

async fn deactivate(
    State(state): State<AppState>,
    SessionOperator(op): SessionOperator,
    id: Result<Path<i64>, PathRejection>,
) -> ApiResult<AdminAccount> {
    let Path(id) = id?;
    Ok(Json(admins::deactivate(&state.db, &op, id).await?))
}

#[derive(Deserialize)]
struct PasswordBody {
    current_password: String,
    new_password: String,
}

async fn change_password(
    State(state): State<AppState>,
    SessionOperator(op): SessionOperator,
    ApiJson(b): ApiJson<PasswordBody>,
) -> ApiResult<Value> {
    auth::change_password(&state.db, &op, &b.current_password, &b.new_password).await?;
    Ok(Json(json!({"status": "changed"})))
}
