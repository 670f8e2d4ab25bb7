//! Extractors of the REST API whose rejections are [`ApiError`]s (JSON, not axum's text).

use super::error::ApiError;
use app::engine::{auth, AppState};
use app::types::OperatorInfo;
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::request::Parts;

/// A JSON body of type `T`. Rejections: 422 `invalid` (not JSON, wrong shape), 413
/// `too_large` (over the route's body limit).
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

/// The logged-in operator of the request's session; rejects with 401 `unauthorized`.
pub struct Operator(pub OperatorInfo);

impl FromRequestParts<AppState> for Operator {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let session = tower_sessions::Session::from_request_parts(parts, state)
            .await
            .map_err(|(_, msg)| ApiError(app::engine::internal("session extract", msg)))?;
        Ok(Operator(auth::current_operator(&state.db, &session).await?))
    }
}
