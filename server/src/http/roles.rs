//! Roles on every route and server function, in one place: a layer that looks at the
//! method and path of each request and the role of the operator behind it (their session,
//! or the API key's operator).
//!
//! - `GET`/`HEAD` (REST, and server functions read with `GetUrl`): any role.
//! - Every other method under `/admin/…`, `/api/…` (server functions) and the operator's
//!   chat routes (`/chat…`, `/v1/chat/completions` on behalf of a user): **editor**.
//! - Keys, members and workspace settings ([`OWNER_PATHS`]): **owner**, for every method
//!   (the key list too).
//! - `/super/…` and the super admin page's server functions are for super admins,
//!   whatever their role ([`app::engine::admins`] checks).
//! - Exempt ([`EXEMPT_PATHS`]): logging in and out, changing one's own password, the
//!   chat page's own server functions (`/api/chat/…`: the browser chats as itself), and
//!   server functions that only compute (a preview, a guardrail test).
//!
//! A refused request is 403 `forbidden` naming the role needed, before the handler runs.
//! A request with no operator (an end user, a browser, no login) passes: the handler
//! decides (401, or its own identity rules). An end-user login on the chat routes wins
//! over an operator login in the same session, as in [`super::caller`].

use super::error::ApiError;
use super::extract::SessionLogin;
use app::engine::api_keys::KeyCaller;
use app::engine::end_users::END_USER_KEY;
use app::engine::{api_keys, auth, AppState};
use app::error::AppError;
use app::types::{OperatorInfo, Role};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Paths (prefixes) only an owner may use, whatever the method.
pub const OWNER_PATHS: &[&str] = &["/admin/api-keys", "/api/api_keys/"];

/// Paths (prefixes) whose writes need an owner (reading them is for everyone).
pub const OWNER_WRITE_PATHS: &[&str] = &[
    "/admin/settings",
    "/api/workspace_settings/",
    "/admin/stats/prices",
    "/api/overview/set_price",
    "/api/overview/delete_price",
    "/admin/requests/retention",
    "/api/requests/set_retention",
];

/// Paths (prefixes) no role applies to.
pub const EXEMPT_PATHS: &[&str] = &[
    "/admin/login",
    "/admin/logout",
    "/admin/password",
    "/api/auth/",
    "/api/chat/",
    // The super admin page's server functions check for a super admin themselves.
    "/api/admins/",
    "/api/personas/preview_persona",
    "/api/guardrails/test",
    "/api/guardrails/backtest",
];

/// The role a request needs, None when no role applies.
pub fn needed_role(method: &http::Method, path: &str) -> Option<Role> {
    let starts = |prefixes: &[&str]| prefixes.iter().any(|p| path.starts_with(p));
    let operator_area = path.starts_with("/admin/")
        || path.starts_with("/api/")
        || path == "/chat"
        || path.starts_with("/chat/")
        || path == "/v1/chat/completions";
    if !operator_area || starts(EXEMPT_PATHS) {
        return None;
    }
    if starts(OWNER_PATHS) {
        return Some(Role::Owner);
    }
    if matches!(*method, http::Method::GET | http::Method::HEAD) {
        return None;
    }
    if starts(OWNER_WRITE_PATHS) {
        return Some(Role::Owner);
    }
    Some(Role::Editor)
}

/// The layer (see the module docs).
/// The caller found is left in the request's extensions ([`KeyCaller`] or
/// [`SessionLogin`]), so the handler's extractor does not look it up again.
pub async fn enforce(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let Some(needed) = needed_role(req.method(), req.uri().path()) else { return next.run(req).await };
    let key = api_keys::from_headers(req.headers());
    let session = req.extensions().get::<tower_sessions::Session>().cloned();
    let path = req.uri().path().to_string();
    let found = operator_of(&state, key, session, &path).await;
    if let Ok(Some(caller)) = &found {
        match caller {
            Caller::Key(k) => {
                req.extensions_mut().insert(k.clone());
            }
            Caller::Session(op) => {
                req.extensions_mut().insert(SessionLogin(op.clone()));
            }
        }
    }
    match found.map(|c| c.map(Caller::operator)) {
        Ok(Some(op)) if op.role < needed => {
            let message = format!(
                "your role in this workspace ({}) may not do this: it needs {}",
                op.role.as_str(),
                needed.as_str()
            );
            let error = AppError::forbidden(message);
            if path.starts_with("/api/") {
                // A server function: its error body is the `AppError` itself.
                let body = serde_json::to_string(&error).unwrap_or_default();
                return (http::StatusCode::FORBIDDEN, [(http::header::CONTENT_TYPE, "application/json")], body)
                    .into_response();
            }
            ApiError(error).into_response()
        }
        Ok(_) => next.run(req).await,
        Err(e) => ApiError(e).into_response(),
    }
}

/// The operator behind a request: an API key's (a bad key: None, the handler refuses
/// it), else the session's — unless, on a chat route, the session also holds an end
/// user, who is the one chatting.
/// Who is behind a request that needs a role.
enum Caller {
    Key(KeyCaller),
    Session(OperatorInfo),
}

impl Caller {
    fn operator(self) -> OperatorInfo {
        match self {
            Caller::Key(k) => k.operator,
            Caller::Session(op) => op,
        }
    }
}

async fn operator_of(
    state: &AppState,
    key: Option<String>,
    session: Option<tower_sessions::Session>,
    path: &str,
) -> Result<Option<Caller>, AppError> {
    if let Some(secret) = key {
        return Ok(api_keys::authenticate(&state.db, &secret).await.ok().map(Caller::Key));
    }
    let Some(session) = session else { return Ok(None) };
    if path.starts_with("/chat") || path.starts_with("/v1/") {
        let end_user: Option<i64> = session.get(END_USER_KEY).await.map_err(|e| app::engine::internal("session", e))?;
        if end_user.is_some() {
            return Ok(None);
        }
    }
    match auth::current_operator(&state.db, &session).await {
        Ok(op) => Ok(Some(Caller::Session(op))),
        Err(AppError::Unauthorized) => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::Method;

    #[test]
    fn roles_by_method_and_path() {
        assert_eq!(needed_role(&Method::GET, "/admin/templates"), None);
        assert_eq!(needed_role(&Method::POST, "/admin/templates"), Some(Role::Editor));
        assert_eq!(needed_role(&Method::DELETE, "/admin/memory/u/k"), Some(Role::Editor));
        assert_eq!(needed_role(&Method::POST, "/api/personas/create_persona"), Some(Role::Editor));
        assert_eq!(needed_role(&Method::GET, "/api/personas/list"), None);
        assert_eq!(needed_role(&Method::GET, "/admin/api-keys"), Some(Role::Owner));
        assert_eq!(needed_role(&Method::POST, "/api/api_keys/create"), Some(Role::Owner));
        assert_eq!(needed_role(&Method::GET, "/admin/settings"), None);
        assert_eq!(needed_role(&Method::PUT, "/admin/settings"), Some(Role::Owner));
        assert_eq!(needed_role(&Method::POST, "/admin/login"), None);
        assert_eq!(needed_role(&Method::POST, "/api/chat/send_message"), None);
        assert_eq!(needed_role(&Method::POST, "/chat"), Some(Role::Editor));
        assert_eq!(needed_role(&Method::POST, "/v1/chat/completions"), Some(Role::Editor));
        assert_eq!(needed_role(&Method::GET, "/v1/models"), None);
        assert_eq!(needed_role(&Method::POST, "/user/login"), None);
        assert_eq!(needed_role(&Method::GET, "/dashboard"), None);
    }
}
