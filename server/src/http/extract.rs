//! Extractors of the REST API whose rejections are [`ApiError`]s (JSON, not axum's text).

use super::error::ApiError;
use app::engine::api_keys::{self, KeyCaller};
use app::engine::{auth, AppState};
use app::error::AppError;
use app::types::{ApiScope, OperatorInfo};
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::request::Parts;

/// A JSON body of type `T`. Rejections: 422 `invalid` (not JSON, wrong shape), 413
/// `too_large` (over the route's body limit).
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

/// The path parameters (one, or a tuple) as `T`. Rejection: 422 `invalid` naming the
/// parameter that does not parse (an id that is not a number).
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

/// The query string as `T`. Rejection: 422 `invalid` naming what does not parse.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

/// Who calls an operator route: the logged-in operator of the session, or an API key
/// ([`api_keys`]) acting as the operator who created it. A request carrying a key is
/// judged by the key alone (its session, if any, is not looked at).
///
/// With a key, a `GET`/`HEAD` needs the `read` scope and any other method `manage`
/// (403 `forbidden` without). Rejections: 401 `unauthorized` (no login, unknown or
/// revoked key, its operator deactivated).
pub struct Operator(pub OperatorInfo);

impl FromRequestParts<AppState> for Operator {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(key) = request_key(parts, state).await? {
            let read = matches!(parts.method, http::Method::GET | http::Method::HEAD);
            key.require(if read { ApiScope::Read } else { ApiScope::Manage })?;
            return Ok(Operator(key.operator));
        }
        Ok(Operator(SessionOperator::from_request_parts(parts, state).await?.0))
    }
}

/// The logged-in operator of the request's session, for what an API key may not do
/// (manage keys, change the password). A request carrying a key is 403 `forbidden`;
/// without a login 401 `unauthorized`.
pub struct SessionOperator(pub OperatorInfo);

impl FromRequestParts<AppState> for SessionOperator {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if api_keys::from_headers(&parts.headers).is_some() {
            return Err(AppError::forbidden("an API key cannot do this: log in to the dashboard").into());
        }
        if let Some(SessionLogin(op)) = parts.extensions.get::<SessionLogin>() {
            return Ok(SessionOperator(op.clone()));
        }
        let session = tower_sessions::Session::from_request_parts(parts, state)
            .await
            .map_err(|(_, msg)| ApiError(app::engine::internal("session extract", msg)))?;
        Ok(SessionOperator(auth::current_operator(&state.db, &session).await?))
    }
}

/// The session's operator, looked up once per request: [`super::roles`] leaves it here
/// when it had to load it, and [`SessionOperator`] reads it before the session.
#[derive(Clone)]
pub struct SessionLogin(pub OperatorInfo);

/// The API key the request carries, authenticated (cached in the request's extensions,
/// so a handler with two extractors looks it up once). None without a key header.
/// Errors: 401 for a key that is unknown, revoked or whose operator is deactivated.
pub async fn request_key(parts: &mut Parts, state: &AppState) -> Result<Option<KeyCaller>, ApiError> {
    if let Some(k) = parts.extensions.get::<KeyCaller>() {
        return Ok(Some(k.clone()));
    }
    let Some(secret) = api_keys::from_headers(&parts.headers) else { return Ok(None) };
    let key = api_keys::authenticate(&state.db, &secret).await?;
    parts.extensions.insert(key.clone());
    Ok(Some(key))
}

/// The client's IP (the TCP peer), when the server runs with connection info.
pub struct ClientIp(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(app::engine::throttle::client_ip(&parts.extensions)))
    }
}
