//! PostgreSQL advisory locks, transaction-scoped (`pg_advisory_xact_lock`): they hold
//! until the transaction that took them commits or rolls back, across every server
//! process on the database. SQLite has one process per file and needs none.

use crate::error::AppResult;
use sqlx::AnyConnection;

/// What an advisory lock serialises. Each kind has its own key space, so a session id
/// and an end user id with the same number never wait for each other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockKind {
    /// Running a chat session's turns (the one-key lock space).
    SessionTurns,
    /// Creating an end user's first chat session with a persona (two-key space, class 1).
    UserSessions,
    /// Storing a session's user messages one at a time (two-key space, class 2).
    SessionMessages,
}

/// Waits for the advisory lock of `kind` on `key` inside the open transaction `tx`.
/// Errors: `Internal` when the database fails.
pub async fn lock(tx: &mut AnyConnection, kind: LockKind, key: i64) -> AppResult<()> {
    let sql = match kind {
        LockKind::SessionTurns => "SELECT 1 AS locked FROM pg_advisory_xact_lock($1)",
        LockKind::UserSessions => "SELECT 1 AS locked FROM pg_advisory_xact_lock(1, CAST($1 AS INTEGER))",
        LockKind::SessionMessages => "SELECT 1 AS locked FROM pg_advisory_xact_lock(2, CAST($1 AS INTEGER))",
    };
    sqlx::query(sql).bind(key).execute(tx).await?;
    Ok(())
}
