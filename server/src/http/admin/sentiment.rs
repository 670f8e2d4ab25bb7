//! Sentiment of user messages, in the original's shapes: `POST
//! /admin/sessions/{session_id}/sentiment/toggle?enabled=`, `GET
//! /admin/sessions/{session_id}/sentiment[?limit=]`, `GET
//! /admin/sessions/{session_id}/sentiment/aggregate`, `GET
//! /admin/messages/{message_id}/sentiment`, and per user `GET
//! /admin/users/{user_id}/sentiment/aggregate`. Another workspace's chat or message is 404.

use crate::http::error::ApiResult;
use crate::http::extract::{ApiPath, ApiQuery, Operator};
use app::engine::ids::{MessageId, SessionId};
use app::engine::{sentiment, AppState};
use app::types::{SentimentAggregate, SentimentScore};
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The sentiment routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(toggle))
        .routes(routes!(history))
        .routes(routes!(session_aggregate))
        .routes(routes!(message))
        .routes(routes!(user_aggregate))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ToggleQuery {
    /// On or off; without it, what is in effect flips.
    #[serde(default)]
    enabled: Option<bool>,
}

/// `{"session_id", "sentiment_enabled"}`.
#[derive(Serialize, ToSchema)]
struct SentimentToggled {
    session_id: i64,
    /// Whether the chat's messages are scored now.
    sentiment_enabled: bool,
}

/// Turns sentiment scoring on or off for one chat (audited).
///
/// The chat's switch then wins over its persona's.
#[utoipa::path(
    post,
    path = "/admin/sessions/{session_id}/sentiment/toggle",
    tag = "sentiment",
    params(("session_id" = i64, Path, description = "The chat session's id"), ToggleQuery),
    responses(
        (status = 200, description = "What is in effect now", body = SentimentToggled),
        (status = 404, description = "No such chat in the workspace", body = crate::http::openapi::ErrorBody),
    )
)]
async fn toggle(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath(session_id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<ToggleQuery>,
) -> ApiResult<SentimentToggled> {
    let on = sentiment::toggle(&state.db, op.workspace(), SessionId(session_id), q.enabled, &op.email).await?;
    Ok(Json(SentimentToggled { session_id, sentiment_enabled: on }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct HistoryQuery {
    /// Most scores, newest first (default 50; values outside 1–500 are brought into it).
    #[serde(default)]
    limit: Option<i64>,
}

/// `{"sentiments": […]}`.
#[derive(Serialize, ToSchema)]
struct SentimentHistory {
    /// Newest first.
    sentiments: Vec<SentimentScore>,
}

/// The sentiment scores of a chat's user messages, newest first.
#[utoipa::path(
    get,
    path = "/admin/sessions/{session_id}/sentiment",
    tag = "sentiment",
    params(("session_id" = i64, Path, description = "The chat session's id"), HistoryQuery),
    responses(
        (status = 200, body = SentimentHistory),
        (status = 404, description = "No such chat in the workspace", body = crate::http::openapi::ErrorBody),
    )
)]
async fn history(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath(session_id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<HistoryQuery>,
) -> ApiResult<SentimentHistory> {
    let list = sentiment::of_session(&state.db, op.workspace(), SessionId(session_id), q.limit.unwrap_or(50)).await?;
    Ok(Json(SentimentHistory { sentiments: list }))
}

/// `{"aggregate": SentimentAggregate | null}`.
#[derive(Serialize, ToSchema)]
struct SessionSentimentAggregate {
    /// Null when nothing was scored.
    aggregate: Option<SentimentAggregate>,
}

/// Averages and trends over a chat's scored messages.
#[utoipa::path(
    get,
    path = "/admin/sessions/{session_id}/sentiment/aggregate",
    tag = "sentiment",
    params(("session_id" = i64, Path, description = "The chat session's id")),
    responses(
        (status = 200, body = SessionSentimentAggregate),
        (status = 404, description = "No such chat in the workspace", body = crate::http::openapi::ErrorBody),
    )
)]
async fn session_aggregate(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath(session_id): ApiPath<i64>,
) -> ApiResult<SessionSentimentAggregate> {
    let agg = sentiment::session_aggregate(&state.db, op.workspace(), SessionId(session_id)).await?;
    Ok(Json(SessionSentimentAggregate { aggregate: agg }))
}

/// The sentiment score of one user message.
#[utoipa::path(
    get,
    path = "/admin/messages/{message_id}/sentiment",
    tag = "sentiment",
    params(("message_id" = i64, Path, description = "The message's id")),
    responses(
        (status = 200, body = SentimentScore),
        (status = 404, description = "No such message in the workspace, or not scored", body = crate::http::openapi::ErrorBody),
    )
)]
async fn message(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath(message_id): ApiPath<i64>,
) -> ApiResult<SentimentScore> {
    Ok(Json(sentiment::of_message(&state.db, op.workspace(), MessageId(message_id)).await?))
}

/// `{"user_id", "aggregate": SentimentAggregate | null}`.
#[derive(Serialize, ToSchema)]
struct UserSentimentAggregate {
    user_id: String,
    /// Null when nothing was scored; `window_type` is `user`.
    aggregate: Option<SentimentAggregate>,
}

/// Averages and trends over a user's scored messages, in all their chats.
#[utoipa::path(
    get,
    path = "/admin/users/{user_id}/sentiment/aggregate",
    tag = "sentiment",
    params(("user_id" = String, Path, description = "The end user's id (as the chat or the API names them)")),
    responses(
        (status = 200, body = UserSentimentAggregate),
        (status = 404, description = "No such user in the workspace", body = crate::http::openapi::ErrorBody),
    )
)]
async fn user_aggregate(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath(user_id): ApiPath<String>,
) -> ApiResult<UserSentimentAggregate> {
    let agg = sentiment::user_aggregate(&state.db, op.workspace(), &user_id).await?;
    Ok(Json(UserSentimentAggregate { user_id, aggregate: agg }))
}
