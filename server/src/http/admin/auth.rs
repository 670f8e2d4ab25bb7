//! Operator login: `POST /admin/login`, `POST /admin/logout`, `GET /admin/me`.

use crate::http::error::ApiResult;
use crate::http::extract::{ApiJson, ClientIp, Operator};
use app::engine::{auth, auth::OPERATOR_KEY, AppState};
use app::types::OperatorInfo;
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

/// The login routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/admin/login", post(login)).route("/admin/logout", post(logout)).route("/admin/me", get(me))
}

#[derive(Deserialize)]
struct LoginBody {
    /// The operator's email: `username` as the original's README shows it, or `email`
    /// as its code reads it.
    #[serde(alias = "email")]
    username: String,
    password: String,
}

/// `POST /admin/login`: 401 `bad_credentials`; 429 `rate_limited` (with `retry_after_s`
/// and a `Retry-After` header) after too many failures for the account or the client IP.
async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    session: tower_sessions::Session,
    ApiJson(b): ApiJson<LoginBody>,
) -> ApiResult<OperatorInfo> {
    let account = app::engine::throttle::operator_account(&b.username);
    let attempt = auth::login(&state.db, &session, &b.username, &b.password);
    Ok(Json(state.logins.attempt(&account, ip, attempt).await?))
}

async fn logout(session: tower_sessions::Session) -> ApiResult<serde_json::Value> {
    auth::logout(&session).await?;
    Ok(Json(json!({"status": "logged_out"})))
}

async fn me(Operator(op): Operator, session: tower_sessions::Session) -> ApiResult<OperatorInfo> {
    // Touch the session so its inactivity expiry moves forward.
    let _ = session.get::<i64>(OPERATOR_KEY).await;
    Ok(Json(op))
}
