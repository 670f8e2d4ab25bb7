//! `live_events`: live events too big for a PostgreSQL NOTIFY payload, kept a few minutes
//! for the other processes to read (see `engine::events`); and the NOTIFY itself.

use crate::engine::db::Db;
use crate::error::AppResult;

/// How long a stored event is kept (ms): long enough for every listener to read it.
pub const KEEP_MS: i64 = 300_000;

/// Stores an event's JSON at `now` (ms); returns its id.
pub async fn insert(db: &Db, payload: &str, now: i64) -> AppResult<i64> {
    Ok(sqlx::query_scalar("INSERT INTO live_events (payload, created_at) VALUES ($1, $2) RETURNING id")
        .bind(payload)
        .bind(now)
        .fetch_one(&db.pool)
        .await?)
}

/// The stored event `id`, if it was not pruned yet.
pub async fn get(db: &Db, id: i64) -> AppResult<Option<String>> {
    Ok(sqlx::query_scalar("SELECT payload FROM live_events WHERE id = $1").bind(id).fetch_optional(&db.pool).await?)
}

/// Deletes the events stored before `before` (ms).
pub async fn prune(db: &Db, before: i64) -> AppResult<u64> {
    Ok(sqlx::query("DELETE FROM live_events WHERE created_at < $1")
        .bind(before)
        .execute(&db.pool)
        .await?
        .rows_affected())
}

/// PostgreSQL only: `NOTIFY channel, payload` (at most 8000 bytes).
pub async fn notify(db: &Db, channel: &str, payload: &str) -> AppResult<()> {
    // The Any driver cannot decode `void`: select a constant beside the call.
    sqlx::query("SELECT 1 AS sent FROM pg_notify($1, $2)").bind(channel).bind(payload).execute(&db.pool).await?;
    Ok(())
}
