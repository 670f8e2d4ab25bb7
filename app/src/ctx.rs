//! Glue for server functions (server only): get the state and the logged-in operator,
//! read request headers, set cookies, and make errors carry their HTTP status. It sits
//! between Leptos and the engine, so the engine stays free of Leptos context.

use crate::engine::{auth, internal, AppState};
use crate::error::AppResult;
use crate::types::OperatorInfo;
use leptos::prelude::*;
use leptos_axum::ResponseOptions;

/// Runs a server function body; on error sets the response status from [`AppError::status`].
///
/// [`AppError::status`]: crate::error::AppError::status
pub async fn guard<T>(fut: impl std::future::Future<Output = AppResult<T>>) -> AppResult<T> {
    let res = fut.await;
    if let Err(e) = &res {
        if let Some(ro) = use_context::<ResponseOptions>() {
            ro.set_status(e.status());
        }
    }
    res
}

/// The app state from Leptos context. Errors: `Internal` if the server was built without it.
pub fn state() -> AppResult<AppState> {
    use_context::<AppState>().ok_or_else(|| internal("context", "AppState missing from context"))
}

/// The operator session of this request.
pub async fn session() -> AppResult<tower_sessions::Session> {
    leptos_axum::extract::<tower_sessions::Session>().await.map_err(|e| internal("session", e))
}

/// The client's IP (the TCP peer), for login rate limiting.
pub async fn client_ip() -> Option<std::net::IpAddr> {
    let parts = leptos_axum::extract::<http::request::Parts>().await.ok()?;
    crate::engine::throttle::client_ip(&parts.extensions)
}

/// The state and the logged-in operator. Errors: `Unauthorized` when nobody is logged in
/// or the account was deactivated.
pub async fn operator() -> AppResult<(AppState, OperatorInfo)> {
    let state = state()?;
    let session = session().await?;
    let op = auth::current_operator(&state.db, &session).await?;
    Ok((state, op))
}

/// The end user the chat page's server functions act for in workspace `ws`: the end
/// user logged in on this session when they belong to `ws`; else the `pd_uid` cookie's
/// id where `ws` allows anonymous chat and the id is not an account's (on a first visit
/// the cookie the identity middleware minted for this request counts: the page renders
/// with it). Errors: `Unauthorized` otherwise, and on the first request after the logged-in
/// end user was deactivated.
pub async fn chat_user(state: &AppState, ws: crate::engine::ids::WorkspaceId) -> AppResult<String> {
    use crate::engine::{end_users, identity};
    if let Some(user) = end_users::current(&state.db, &session().await?).await? {
        if user.tenant_id == ws.get() {
            return Ok(user.external_id);
        }
    }
    let id = identity::cookie_user_id(&headers().await?)?;
    if end_users::may_chat_anonymously(&state.db, ws, &id).await? {
        Ok(id)
    } else {
        Err(crate::error::AppError::Unauthorized)
    }
}

/// The state, the workspace `/chat` serves (`slug`, else the default one) and the end
/// user a chat-page server function acts for there ([`chat_user`]). Errors: `NotFound`
/// (workspace), `Unauthorized` (no chat identity).
pub async fn chat_caller(slug: Option<&str>) -> AppResult<(AppState, crate::engine::ids::WorkspaceId, String)> {
    let state = state()?;
    let ws = crate::engine::chat::chat_workspace(&state, slug).await?;
    let user = chat_user(&state, ws).await?;
    Ok((state, ws, user))
}

/// Request headers (to read the end user's chat cookie).
pub async fn headers() -> AppResult<http::HeaderMap> {
    leptos_axum::extract::<http::HeaderMap>().await.map_err(|e| internal("headers", e))
}

/// Adds a `Set-Cookie` header to the response.
pub fn set_cookie(value: &str) {
    if let (Some(ro), Ok(v)) = (use_context::<ResponseOptions>(), http::HeaderValue::from_str(value)) {
        ro.append_header(http::header::SET_COOKIE, v);
    }
}
