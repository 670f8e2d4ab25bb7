//! Sentiment of user messages, in the original's shapes: `POST
//! /admin/sessions/{session_id}/sentiment/toggle?enabled=`, `GET
//! /admin/sessions/{session_id}/sentiment[?limit=]`, `GET
//! /admin/sessions/{session_id}/sentiment/aggregate`, `GET
//! /admin/messages/{message_id}/sentiment`, and per user `GET
//! /admin/users/{user_id}/sentiment/aggregate`. Another workspace's chat or message is 404.

use crate::http::error::ApiResult;
use crate::http::extract::Operator;
use app::engine::ids::{MessageId, SessionId};
use app::engine::{sentiment, AppState};
use app::types::SentimentScore;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

/// The sentiment routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/sessions/{session_id}/sentiment/toggle", post(toggle))
        .route("/admin/sessions/{session_id}/sentiment", get(history))
        .route("/admin/sessions/{session_id}/sentiment/aggregate", get(session_aggregate))
        .route("/admin/messages/{message_id}/sentiment", get(message))
        .route("/admin/users/{user_id}/sentiment/aggregate", get(user_aggregate))
}

#[derive(Deserialize)]
struct ToggleQuery {
    /// On or off; without it, what is in effect flips.
    #[serde(default)]
    enabled: Option<bool>,
}

/// `POST /admin/sessions/{session_id}/sentiment/toggle?enabled=true|false` →
/// `{"session_id", "sentiment_enabled"}` (the chat's switch now wins over its persona's).
async fn toggle(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(session_id): Path<i64>,
    Query(q): Query<ToggleQuery>,
) -> ApiResult<serde_json::Value> {
    let on = sentiment::toggle(&state.db, op.workspace(), SessionId(session_id), q.enabled, &op.email).await?;
    Ok(Json(json!({"session_id": session_id, "sentiment_enabled": on})))
}

#[derive(Deserialize)]
struct HistoryQuery {
    /// Most scores, newest first (default 50, at most 500).
    #[serde(default)]
    limit: Option<i64>,
}

/// `GET /admin/sessions/{session_id}/sentiment` → `{"sentiments": [{id, message_id,
/// session_id, valence, arousal, dominance, trust, engagement, overall_sentiment,
/// confidence, created_at}]}`, newest first.
async fn history(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(session_id): Path<i64>,
    Query(q): Query<HistoryQuery>,
) -> ApiResult<serde_json::Value> {
    let list = sentiment::of_session(&state.db, op.workspace(), SessionId(session_id), q.limit.unwrap_or(50)).await?;
    Ok(Json(json!({"sentiments": list})))
}

/// `GET /admin/sessions/{session_id}/sentiment/aggregate` → `{"aggregate": null |
/// {session_id, window_type, window_start, avg_valence, …, valence_trend, engagement_trend, message_count}}`.
async fn session_aggregate(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(session_id): Path<i64>,
) -> ApiResult<serde_json::Value> {
    let agg = sentiment::session_aggregate(&state.db, op.workspace(), SessionId(session_id)).await?;
    Ok(Json(json!({"aggregate": agg})))
}

/// `GET /admin/messages/{message_id}/sentiment` → the score; 404 when not scored.
async fn message(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(message_id): Path<i64>,
) -> ApiResult<SentimentScore> {
    Ok(Json(sentiment::of_message(&state.db, op.workspace(), MessageId(message_id)).await?))
}

/// `GET /admin/users/{user_id}/sentiment/aggregate` → `{"user_id", "aggregate": null | {…, "window_type": "user"}}`.
async fn user_aggregate(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(user_id): Path<String>,
) -> ApiResult<serde_json::Value> {
    let agg = sentiment::user_aggregate(&state.db, op.workspace(), &user_id).await?;
    Ok(Json(json!({"user_id": user_id, "aggregate": agg})))
}
