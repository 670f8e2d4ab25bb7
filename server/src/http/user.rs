//! End-user login (issue 9), in the original's shapes: `POST /user/login`,
//! `GET /user/me`, `POST /user/logout`. The login is its own key in the browser's session
//! (see [`app::engine::end_users`]): it grants no operator route, and an operator login
//! grants none of these.

use super::error::{ApiError, ApiResult};
use super::extract::{ApiJson, ClientIp};
use app::engine::ids::WorkspaceId;
use app::engine::{chat, end_users, AppState};
use app::error::AppError;
use app::types::EndUserInfo;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

/// The end-user login routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/user/login", post(login)).route("/user/me", get(me)).route("/user/logout", post(logout))
}

/// The end user logged in on the request's session; rejects with 401 `unauthorized`
/// (also on the first request after they were deactivated).
pub struct EndUser(pub EndUserInfo);

impl FromRequestParts<AppState> for EndUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let session = tower_sessions::Session::from_request_parts(parts, state)
            .await
            .map_err(|(_, msg)| ApiError(app::engine::internal("session extract", msg)))?;
        let user = end_users::current(&state.db, &session).await?.ok_or(AppError::Unauthorized)?;
        Ok(EndUser(user))
    }
}

#[derive(Deserialize)]
struct LoginBody {
    email: String,
    password: String,
    /// The workspace id (the original's tenant).
    #[serde(default)]
    tenant_id: Option<i64>,
    /// Or the workspace slug (as in `/chat?w=…`); default: the chat page's workspace.
    #[serde(default)]
    workspace: Option<String>,
}

/// `POST /user/login` `{"email", "password", "tenant_id"?}` → `{"status": "ok", "user":
/// {id, external_id, email, display_name}}`. 401 `bad_credentials` for a wrong email or
/// password, a user without a password or a deactivated one.
async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    session: tower_sessions::Session,
    ApiJson(b): ApiJson<LoginBody>,
) -> ApiResult<Value> {
    let ws = match b.tenant_id {
        Some(id) => WorkspaceId(id),
        None => chat::chat_workspace(&state, b.workspace.as_deref()).await?,
    };
    let account = app::engine::throttle::end_user_account(ws, &b.email);
    let attempt = end_users::login(&state.db, &session, ws, &b.email, &b.password);
    let user = state.logins.attempt(&account, ip, attempt).await?;
    Ok(Json(json!({
        "status": "ok",
        "user": {
            "id": user.id,
            "external_id": user.external_id,
            "email": user.email,
            "display_name": user.display_name,
        },
    })))
}

/// `GET /user/me` → `{id, tenant_id, external_id, email, display_name}`. 401 without an
/// end-user login.
async fn me(EndUser(user): EndUser) -> ApiResult<EndUserInfo> {
    Ok(Json(user))
}

/// `POST /user/logout` → `{"status": "ok"}`; an operator login in the same session stays.
/// 401 without an end-user login.
async fn logout(EndUser(_): EndUser, session: tower_sessions::Session) -> ApiResult<Value> {
    end_users::logout(&session).await?;
    Ok(Json(json!({"status": "ok"})))
}
