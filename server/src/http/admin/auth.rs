//! Operator login: `POST /admin/login`, `POST /admin/logout`, `GET /admin/me`.

use crate::http::error::ApiResult;
use crate::http::extract::{ApiJson, ClientIp, Operator};
use app::engine::{auth, auth::OPERATOR_KEY, AppState};
use app::types::OperatorInfo;
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The login routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(login)).routes(routes!(logout)).routes(routes!(me))
}

/// `{"username", "password"}` (`email` is accepted for `username`).
#[derive(Deserialize, ToSchema)]
struct OperatorLoginBody {
    /// The operator's email: `username` as the original's README shows it, or `email`
    /// as its code reads it.
    #[serde(alias = "email")]
    username: String,
    /// The account's password.
    password: String,
}

/// Logs an operator in.
///
/// Starts the operator session: the response sets the `pd_session` cookie the other
/// operator routes read. After too many failures for the account or the client IP the
/// answer is 429 `rate_limited` (with `retry_after_s` and a `Retry-After` header).
#[utoipa::path(
    post,
    path = "/admin/login",
    tag = "auth",
    security(()),
    request_body(content = OperatorLoginBody, description = "`email` is accepted in place of `username`"),
    responses(
        (status = 200, description = "Logged in; the `pd_session` cookie is set", body = OperatorInfo),
        (status = 401, description = "Wrong email or password (`bad_credentials`)", body = crate::http::openapi::ErrorBody),
        (status = 429, description = "Too many failed attempts (`rate_limited`; see `Retry-After`)", body = crate::http::openapi::ErrorBody),
    )
)]
async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    session: tower_sessions::Session,
    ApiJson(b): ApiJson<OperatorLoginBody>,
) -> ApiResult<OperatorInfo> {
    let account = app::engine::throttle::operator_account(&b.username);
    let attempt = auth::login(&state.db, &session, &b.username, &b.password);
    Ok(Json(state.logins.attempt(&account, ip, attempt).await?))
}

/// `{"status": "logged_out"}`.
#[derive(Serialize, ToSchema)]
struct LoggedOut {
    /// Always `logged_out`.
    status: &'static str,
}

/// Logs the operator out.
///
/// Ends the operator login of the session (an end user's chat login in the same browser
/// session stays). Needs no login: without one it answers the same.
#[utoipa::path(
    post,
    path = "/admin/logout",
    tag = "auth",
    security(()),
    responses((status = 200, description = "Logged out", body = LoggedOut))
)]
async fn logout(session: tower_sessions::Session) -> ApiResult<LoggedOut> {
    auth::logout(&session).await?;
    Ok(Json(LoggedOut { status: "logged_out" }))
}

/// The operator who is calling.
///
/// The logged-in operator, or the operator an API key acts for. Keeps the session alive.
#[utoipa::path(get, path = "/admin/me", tag = "auth", responses((status = 200, body = OperatorInfo)))]
async fn me(Operator(op): Operator, session: tower_sessions::Session) -> ApiResult<OperatorInfo> {
    // Touch the session so its inactivity expiry moves forward.
    let _ = session.get::<i64>(OPERATOR_KEY).await;
    Ok(Json(op))
}
