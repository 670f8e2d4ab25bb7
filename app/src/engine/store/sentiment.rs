//! `message_sentiment` (one score per user message), the switches `templates.sentiment_enabled`
//! and `chat_sessions.sentiment_enabled`, and the message a background job works on.

use super::messages::SessionRef;
use crate::engine::db::Db;
use crate::engine::ids::{EndUserId, MessageId, PersonaId, SessionId, WorkspaceId};
use crate::engine::now_ms;
use crate::error::AppResult;
use crate::types::SentimentScore;

#[derive(sqlx::FromRow)]
struct TargetRow {
    workspace_id: WorkspaceId,
    session_id: SessionId,
    end_user_id: EndUserId,
    template_id: PersonaId,
    name: String,
    external_id: String,
    sender: String,
    content: String,
}

/// A stored message with its chat: what a background job reads.
pub struct JobTarget {
    pub at: SessionRef,
    pub sender: crate::types::Sender,
    pub content: String,
}

/// Message `id` of the workspace with its chat, if it exists. Errors: corrupt sender.
pub async fn message_target(db: &Db, ws: WorkspaceId, id: MessageId) -> AppResult<Option<JobTarget>> {
    let row: Option<TargetRow> = sqlx::query_as(
        "SELECT s.workspace_id, s.id AS session_id, s.end_user_id, s.template_id, t.name, u.external_id, m.sender, \
         m.content FROM messages m JOIN chat_sessions s ON s.id = m.session_id \
         JOIN end_users u ON u.id = s.end_user_id JOIN templates t ON t.id = s.template_id \
         WHERE m.workspace_id = $1 AND m.id = $2",
    )
    .bind(ws)
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    let Some(r) = row else { return Ok(None) };
    Ok(Some(JobTarget {
        sender: super::sender(&r.sender)?,
        content: r.content,
        at: SessionRef {
            workspace_id: r.workspace_id,
            user_id: r.external_id,
            end_user_id: r.end_user_id,
            session_id: r.session_id,
            persona_id: r.template_id,
            persona_name: r.name,
        },
    }))
}

/// The chat's switches: (its persona's, its own override). None when the chat is not in the workspace.
pub async fn switches(db: &Db, ws: WorkspaceId, session: SessionId) -> AppResult<Option<(bool, Option<bool>)>> {
    let row: Option<(i64, Option<i64>)> = sqlx::query_as(
        "SELECT t.sentiment_enabled, s.sentiment_enabled FROM chat_sessions s JOIN templates t ON t.id = s.template_id \
         WHERE s.workspace_id = $1 AND s.id = $2",
    )
    .bind(ws)
    .bind(session)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.map(|(persona, own)| (persona != 0, own.map(|o| o != 0))))
}

/// Sets (Some) or clears (None: as the persona says) the chat's switch. Returns false
/// when the chat is not in the workspace.
pub async fn set_session_switch(db: &Db, ws: WorkspaceId, session: SessionId, on: Option<bool>) -> AppResult<bool> {
    let done = sqlx::query("UPDATE chat_sessions SET sentiment_enabled = $3 WHERE workspace_id = $1 AND id = $2")
        .bind(ws)
        .bind(session)
        .bind(on.map(i64::from))
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Sets the persona's switch. Returns false when the persona is not in the workspace.
pub async fn set_persona_switch(db: &Db, ws: WorkspaceId, persona: PersonaId, on: bool) -> AppResult<bool> {
    let done = sqlx::query("UPDATE templates SET sentiment_enabled = $3 WHERE workspace_id = $1 AND id = $2")
        .bind(ws)
        .bind(persona)
        .bind(i64::from(on))
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// The five dimensions and the confidence of one score (already clamped).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dimensions {
    pub valence: f64,
    pub arousal: f64,
    pub dominance: f64,
    pub trust: f64,
    pub engagement: f64,
    pub confidence: f64,
}

/// Stores the score of user message `message` of chat `at`. Nothing is stored when the
/// message has one already (a job run again); returns whether a row was added.
pub async fn insert(
    db: &Db,
    at: &SessionRef,
    message: MessageId,
    d: &Dimensions,
    overall: f64,
    model: &str,
) -> AppResult<bool> {
    let done = sqlx::query(
        "INSERT INTO message_sentiment (workspace_id, message_id, session_id, end_user_id, valence, arousal, dominance, \
         trust, engagement, overall_sentiment, confidence, model, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (message_id) DO NOTHING",
    )
    .bind(at.workspace_id)
    .bind(message)
    .bind(at.session_id)
    .bind(at.end_user_id)
    .bind(d.valence)
    .bind(d.arousal)
    .bind(d.dominance)
    .bind(d.trust)
    .bind(d.engagement)
    .bind(overall)
    .bind(d.confidence)
    .bind(model)
    .bind(now_ms())
    .execute(&db.pool)
    .await?;
    let added = done.rows_affected() > 0;
    if added {
        // The user's latest sentiment, which orders the live wall.
        super::wall::scored(db, at.end_user_id, message.get(), d.valence).await?;
    }
    Ok(added)
}

#[derive(sqlx::FromRow)]
struct ScoreRow {
    id: i64,
    message_id: i64,
    session_id: i64,
    valence: f64,
    arousal: f64,
    dominance: f64,
    trust: f64,
    engagement: f64,
    overall_sentiment: f64,
    confidence: f64,
    created_at: i64,
}

impl From<ScoreRow> for SentimentScore {
    fn from(r: ScoreRow) -> Self {
        SentimentScore {
            id: r.id,
            message_id: r.message_id,
            session_id: r.session_id,
            valence: r.valence,
            arousal: r.arousal,
            dominance: r.dominance,
            trust: r.trust,
            engagement: r.engagement,
            overall_sentiment: r.overall_sentiment,
            confidence: r.confidence,
            created_at: r.created_at,
        }
    }
}

const SCORE_SELECT: &str = "SELECT id, message_id, session_id, valence, arousal, dominance, trust, engagement, \
     overall_sentiment, confidence, created_at FROM message_sentiment";

/// The score of message `id`, if it has one.
pub async fn of_message(db: &Db, ws: WorkspaceId, id: MessageId) -> AppResult<Option<SentimentScore>> {
    let row: Option<ScoreRow> = sqlx::query_as(&format!("{SCORE_SELECT} WHERE workspace_id = $1 AND message_id = $2"))
        .bind(ws)
        .bind(id)
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.map(Into::into))
}

/// The newest `limit` scores of a chat, newest first.
pub async fn of_session(db: &Db, ws: WorkspaceId, session: SessionId, limit: i64) -> AppResult<Vec<SentimentScore>> {
    let rows: Vec<ScoreRow> = sqlx::query_as(&format!(
        "{SCORE_SELECT} WHERE workspace_id = $1 AND session_id = $2 ORDER BY message_id DESC LIMIT $3"
    ))
    .bind(ws)
    .bind(session)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// The newest `limit` scores of an end user over all their chats, newest first.
pub async fn of_user(db: &Db, ws: WorkspaceId, end_user: EndUserId, limit: i64) -> AppResult<Vec<SentimentScore>> {
    let rows: Vec<ScoreRow> = sqlx::query_as(&format!(
        "{SCORE_SELECT} WHERE workspace_id = $1 AND end_user_id = $2 ORDER BY message_id DESC LIMIT $3"
    ))
    .bind(ws)
    .bind(end_user)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}
