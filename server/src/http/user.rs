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
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The end-user login routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(login)).routes(routes!(me)).routes(routes!(logout))
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

#[derive(Deserialize, ToSchema)]
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

/// `{"status": "ok", "user": {…}}`.
#[derive(Serialize, ToSchema)]
struct LoggedIn {
    /// Always `ok`.
    status: &'static str,
    user: LoggedInUser,
}

/// Who logged in.
#[derive(Serialize, ToSchema)]
struct LoggedInUser {
    id: i64,
    external_id: String,
    email: Option<String>,
    display_name: Option<String>,
}

/// `{"status": "ok"}`.
#[derive(Serialize, ToSchema)]
pub struct StatusOk {
    /// Always `ok`.
    status: &'static str,
}

/// Logs an end user in (for the chat routes).
///
/// `{"email", "password", "tenant_id"?}` → `{"status": "ok", "user": {id, external_id,
/// email, display_name}}`. 401 `bad_credentials` for a wrong email or password, a user
/// without a password or a deactivated one; 429 after too many attempts.
#[utoipa::path(
    post,
    path = "/user/login",
    tag = "user",
    security(()),
    request_body = LoginBody,
    responses(
        (status = 200, description = "Logged in; the session cookie is set", body = LoggedIn),
        (status = 401, description = "Wrong email or password (`bad_credentials`)", body = crate::http::openapi::ErrorBody),
        (status = 404, description = "No such workspace", body = crate::http::openapi::ErrorBody),
        (status = 429, description = "Too many attempts (`rate_limited`, `Retry-After`)", body = crate::http::openapi::ErrorBody),
    )
)]
async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    session: tower_sessions::Session,
    ApiJson(b): ApiJson<LoginBody>,
) -> ApiResult<LoggedIn> {
    let ws = match b.tenant_id {
        Some(id) => WorkspaceId(id),
        None => chat::chat_workspace(&state, b.workspace.as_deref()).await?,
    };
    let account = app::engine::throttle::end_user_account(ws, &b.email);
    let attempt = end_users::login(&state.db, &session, ws, &b.email, &b.password);
    let user = state.logins.attempt(&account, ip, attempt).await?;
    let user =
        LoggedInUser { id: user.id, external_id: user.external_id, email: user.email, display_name: user.display_name };
    Ok(Json(LoggedIn { status: "ok", user }))
}

/// The end user logged in on this session.
///
/// → `{id, tenant_id, external_id, email, display_name}`. 401 without an end-user login.
#[utoipa::path(
    get,
    path = "/user/me",
    tag = "user",
    security(("session" = [])),
    responses((status = 200, body = EndUserInfo))
)]
async fn me(EndUser(user): EndUser) -> ApiResult<EndUserInfo> {
    Ok(Json(user))
}

/// Logs the end user out.
///
/// → `{"status": "ok"}`; an operator login in the same session stays. 401 without an
/// end-user login.
#[utoipa::path(
    post,
    path = "/user/logout",
    tag = "user",
    security(("session" = [])),
    responses((status = 200, body = StatusOk))
)]
async fn logout(EndUser(_): EndUser, session: tower_sessions::Session) -> ApiResult<StatusOk> {
    end_users::logout(&session).await?;
    Ok(Json(StatusOk::ok()))
}

impl StatusOk {
    /// `{"status": "ok"}`.
    pub fn ok() -> Self {
        StatusOk { status: "ok" }
    }
}
