//! `operator_notes`: operators' hidden notes to the persona, per chat session, and
//! `operator_seen`: when each operator last opened a user's conversation.

use crate::engine::db::Db;
use crate::engine::ids::{EndUserId, SessionId, WorkspaceId};
use crate::error::AppResult;
use crate::types::OperatorNote;

#[derive(sqlx::FromRow)]
struct NoteRow {
    id: i64,
    session_id: i64,
    author: String,
    content: String,
    created_at: i64,
}

impl From<NoteRow> for OperatorNote {
    fn from(r: NoteRow) -> Self {
        OperatorNote {
            id: r.id,
            session_id: r.session_id,
            author: r.author,
            content: r.content,
            created_at: r.created_at,
        }
    }
}

/// Stores a note for chat `session` of `end_user` at `now` (ms).
pub async fn insert(
    db: &Db,
    ws: WorkspaceId,
    end_user: EndUserId,
    session: SessionId,
    author: &str,
    content: &str,
    now: i64,
) -> AppResult<OperatorNote> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO operator_notes (workspace_id, end_user_id, session_id, author, content, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(ws)
    .bind(end_user)
    .bind(session)
    .bind(author)
    .bind(content)
    .bind(now)
    .fetch_one(&db.pool)
    .await?;
    Ok(OperatorNote { id, session_id: session.get(), author: author.into(), content: content.into(), created_at: now })
}

/// The newest `limit` notes of one chat session, oldest first.
pub async fn of_session(db: &Db, ws: WorkspaceId, session: SessionId, limit: i64) -> AppResult<Vec<OperatorNote>> {
    let rows: Vec<NoteRow> = sqlx::query_as(
        "SELECT id, session_id, author, content, created_at FROM operator_notes \
         WHERE workspace_id = $1 AND session_id = $2 ORDER BY id DESC LIMIT $3",
    )
    .bind(ws)
    .bind(session)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().rev().map(OperatorNote::from).collect())
}

/// Every note of a user (all chats), oldest first.
pub async fn of_user(db: &Db, ws: WorkspaceId, end_user: EndUserId) -> AppResult<Vec<OperatorNote>> {
    let rows: Vec<NoteRow> = sqlx::query_as(
        "SELECT id, session_id, author, content, created_at FROM operator_notes \
         WHERE workspace_id = $1 AND end_user_id = $2 ORDER BY id",
    )
    .bind(ws)
    .bind(end_user)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().map(OperatorNote::from).collect())
}

/// Deletes every note of a user; returns how many.
pub async fn delete_of_user(db: &Db, ws: WorkspaceId, end_user: EndUserId) -> AppResult<i64> {
    let done = sqlx::query("DELETE FROM operator_notes WHERE workspace_id = $1 AND end_user_id = $2")
        .bind(ws)
        .bind(end_user)
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected() as i64)
}

/// Records that `operator` saw the user's conversation up to message id `seen_message`
/// at `now` (ms).
pub async fn mark_seen(
    db: &Db,
    ws: WorkspaceId,
    operator: &str,
    end_user: EndUserId,
    seen_message: i64,
    now: i64,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO operator_seen (workspace_id, operator, end_user_id, seen_message_id, seen_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (end_user_id, operator) DO UPDATE SET \
         seen_message_id = CASE WHEN operator_seen.seen_message_id > $4 THEN operator_seen.seen_message_id ELSE $4 END, \
         seen_at = $5",
    )
    .bind(ws)
    .bind(operator)
    .bind(end_user)
    .bind(seen_message)
    .bind(now)
    .execute(&db.pool)
    .await?;
    Ok(())
}
