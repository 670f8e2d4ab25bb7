//! Bulk demo data for `promptdev seed-demo`: end users, one chat each, messages,
//! request-log rows, guardrail hits and sentiment scores, generated inside the database
//! (`generate_series` on PostgreSQL, a recursive CTE on SQLite) so millions of rows take
//! seconds, not hours.
//!
//! Shape, for `users` users: user `u` (0-based) has chat `u` with persona `personas[u % 3]`;
//! message `k` belongs to chat `k % users` at position `k / users`; even positions are
//! the user's, odd ones replies, every 37th position of every 10th chat an operator's.
//! One chat in five spreads its messages 6 h apart (those users come back on later days),
//! the rest 2 min apart. Replies after `promoted_at` are version 2, before it version 1.

use crate::engine::db::{Db, Dialect};
use crate::engine::ids::WorkspaceId;
use crate::error::AppResult;

/// The ids and times one seeding run uses.
pub struct Plan {
    pub ws: WorkspaceId,
    /// The three personas' ids.
    pub personas: [i64; 3],
    pub users: i64,
    pub messages: i64,
    /// Now (ms): every row is at or before it.
    pub now: i64,
    /// The span the data covers, ending at `now` (ms).
    pub span_ms: i64,
    /// When version 2 took over (ms).
    pub promoted_at: i64,
}

/// `n` for `lo` ≤ n < `hi`, as a FROM item named `seq` with column `n`.
fn seq(dialect: Dialect, lo: i64, hi: i64) -> String {
    match dialect {
        Dialect::Postgres => format!("generate_series(CAST({lo} AS BIGINT), CAST({hi} AS BIGINT) - 1) AS seq(n)"),
        Dialect::Sqlite => format!(
            "(WITH RECURSIVE s(n) AS (SELECT {lo} UNION ALL SELECT n + 1 FROM s WHERE n + 1 < {hi}) SELECT n FROM s) seq"
        ),
    }
}

impl Plan {
    /// Messages per chat (the last chats get one fewer when it does not divide).
    fn per_chat(&self) -> i64 {
        (self.messages + self.users - 1) / self.users
    }

    /// SQL for the gap between a chat's messages (ms), of chat number `u`.
    fn gap(u: &str) -> String {
        format!("(CASE WHEN {u} % 5 = 0 THEN 21600000 ELSE 120000 END)")
    }

    /// SQL for the time of position `p` in chat `u`: each chat fits in the span, its
    /// start spread over what is left of it by a multiplicative hash of `u`.
    fn time(&self, u: &str, p: &str) -> String {
        let whole = self.per_chat();
        let gap = Self::gap(u);
        format!(
            "({now} - {span} + (({u} * 2654435761) % ({span} - {whole} * {gap} + 1)) + {p} * {gap})",
            now = self.now,
            span = self.span_ms,
        )
    }

    fn persona(&self, u: &str) -> String {
        let [a, b, c] = self.personas;
        format!("(CASE {u} % 3 WHEN 0 THEN {a} WHEN 1 THEN {b} ELSE {c} END)")
    }
}

/// Inserts the end users `demo-user-0` … and one chat each; returns the first end user's
/// and chat's ids (each insert is one statement, so the ids are consecutive; checked).
/// Errors: `Internal` when the database fails or the ids are not consecutive.
pub async fn users(db: &Db, plan: &Plan) -> AppResult<(i64, i64)> {
    let seq = seq(db.dialect, 0, plan.users);
    let t0 = plan.time("n", "0");
    sqlx::query(&format!(
        "INSERT INTO end_users (workspace_id, external_id, created_at, updated_at) \
         SELECT $1, 'demo-user-' || CAST(n AS TEXT), {t0}, {t0} FROM {seq}"
    ))
    .bind(plan.ws)
    .execute(&db.pool)
    .await?;
    let first = |name: String| {
        sqlx::query_scalar::<_, i64>("SELECT id FROM end_users WHERE workspace_id = $1 AND external_id = $2")
            .bind(plan.ws)
            .bind(name)
    };
    let ubase = first("demo-user-0".into()).fetch_one(&db.pool).await?;
    let ulast = first(format!("demo-user-{}", plan.users - 1)).fetch_one(&db.pool).await?;
    let last = plan.time("n", &format!("{} - 1", plan.per_chat()));
    let persona = plan.persona("n");
    sqlx::query(&format!(
        "INSERT INTO chat_sessions (workspace_id, end_user_id, template_id, created_at, updated_at) \
         SELECT $1, {ubase} + n, {persona}, {t0}, {last} FROM {seq}"
    ))
    .bind(plan.ws)
    .execute(&db.pool)
    .await?;
    let chat = |user: i64| {
        sqlx::query_scalar::<_, i64>("SELECT MIN(id) FROM chat_sessions WHERE workspace_id = $1 AND end_user_id = $2")
            .bind(plan.ws)
            .bind(user)
    };
    let sbase = chat(ubase).fetch_one(&db.pool).await?;
    let slast = chat(ulast).fetch_one(&db.pool).await?;
    if ulast - ubase != plan.users - 1 || slast - sbase != plan.users - 1 {
        return Err(crate::engine::internal("seed demo users", "ids of one insert are not consecutive"));
    }
    Ok((ubase, sbase))
}

/// Inserts messages `lo` ≤ k < `hi` (user ids from `ubase`, chat ids from `sbase`).
pub async fn messages(db: &Db, plan: &Plan, ubase: i64, sbase: i64, lo: i64, hi: i64) -> AppResult<()> {
    let users = plan.users;
    let seq = seq(db.dialect, lo, hi);
    let u = format!("(n % {users})");
    let p = format!("(n / {users})");
    let t = plan.time(&u, &p);
    let sender = format!(
        "(CASE WHEN {p} % 2 = 0 THEN 'user' WHEN {u} % 10 = 0 AND {p} % 37 = 36 THEN 'operator' ELSE 'assistant' END)"
    );
    let version = format!(
        "(CASE WHEN {p} % 2 = 1 AND NOT ({u} % 10 = 0 AND {p} % 37 = 36) THEN \
         (CASE WHEN {t} >= {promoted} THEN 2 ELSE 1 END) END)",
        promoted = plan.promoted_at
    );
    sqlx::query(&format!(
        "INSERT INTO messages (workspace_id, session_id, end_user_id, sender, content, created_at, template_version) \
         SELECT $1, {sbase} + {u}, {ubase} + {u}, {sender}, 'Demo message ' || CAST(n AS TEXT), {t}, {version} FROM {seq}"
    ))
    .bind(plan.ws)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Inserts request-log rows `lo` ≤ j < `hi`: row j answers position 2·(j / users) + 1 of
/// chat j % users. One in fifty failed; latency 300–3300 ms, TTFT a quarter of it.
pub async fn requests(db: &Db, plan: &Plan, ubase: i64, sbase: i64, lo: i64, hi: i64) -> AppResult<()> {
    let users = plan.users;
    let seq = seq(db.dialect, lo, hi);
    let u = format!("(n % {users})");
    let p = format!("(2 * (n / {users}) + 1)");
    let t = plan.time(&u, &p);
    let persona = plan.persona(&u);
    let latency = "(300 + (n * 7919) % 3000)";
    sqlx::query(&format!(
        "INSERT INTO llm_requests (workspace_id, end_user_id, session_id, template_id, template_version, provider, model, \
         messages, response, prompt_tokens, completion_tokens, latency_ms, status, error, created_at, source, ttft_ms) \
         SELECT $1, {ubase} + {u}, {sbase} + {u}, {persona}, CASE WHEN {t} >= {promoted} THEN 2 ELSE 1 END, \
         'openai', 'demo-model', \
         '[{{\"role\":\"system\",\"content\":\"You are a demo persona.\"}},{{\"role\":\"user\",\"content\":\"Demo message\"}}]', \
         CASE WHEN n % 50 = 0 THEN NULL ELSE 'Demo reply' END, 400 + n % 300, 60 + n % 90, {latency}, \
         CASE WHEN n % 50 = 0 THEN 'error' ELSE 'ok' END, CASE WHEN n % 50 = 0 THEN 'demo: upstream timeout' END, \
         {t}, 'chat', {latency} / 4 FROM {seq}",
        promoted = plan.promoted_at
    ))
    .bind(plan.ws)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Guardrail hits on every 1000th user message and sentiment scores on every 50th, with
/// version 2's users a little happier; halts one user in 500.
pub async fn extras(db: &Db, plan: &Plan, ubase: i64, sbase: i64) -> AppResult<()> {
    let ws = plan.ws;
    sqlx::query(&format!(
        "INSERT INTO guardrail_hits (workspace_id, message_id, session_id, guardrail, rule, kind, action, excerpt, created_at) \
         SELECT workspace_id, id, session_id, 'Demo rules', 'no-contact-details', 'input', 'flag', 'demo', created_at \
         FROM messages WHERE workspace_id = $1 AND sender = 'user' AND session_id >= {sbase} AND id % 1000 = 0"
    ))
    .bind(ws)
    .execute(&db.pool)
    .await?;
    sqlx::query(&format!(
        "INSERT INTO message_sentiment (workspace_id, message_id, session_id, end_user_id, valence, arousal, dominance, \
         trust, engagement, overall_sentiment, confidence, model, created_at) \
         SELECT workspace_id, id, session_id, end_user_id, \
         CASE WHEN created_at >= {promoted} THEN 0.35 ELSE 0.05 END + (id % 7) * 0.05, 0.5, 0.5, 0.6, 0.7, \
         CASE WHEN created_at >= {promoted} THEN 0.4 ELSE 0.1 END, 0.9, 'demo', created_at \
         FROM messages WHERE workspace_id = $1 AND sender = 'user' AND session_id >= {sbase} AND id % 50 = 0",
        promoted = plan.promoted_at
    ))
    .bind(ws)
    .execute(&db.pool)
    .await?;
    sqlx::query(&format!(
        "INSERT INTO user_state (end_user_id, workspace_id, halted, reason, halted_by, halted_at) \
         SELECT id, workspace_id, 1, 'Demo halt', 'seed-demo', {now} FROM end_users \
         WHERE workspace_id = $1 AND id >= {ubase} AND id % 500 = 0",
        now = plan.now
    ))
    .bind(ws)
    .execute(&db.pool)
    .await?;
    // The live wall's per-user columns, which bulk inserts bypass.
    super::wall::refresh(&db.pool, ws, &format!("SELECT id FROM end_users WHERE workspace_id = $1 AND id >= {ubase}"))
        .await
}

/// Empties the statistics tables and sets the watermark back to 0, so the next
/// aggregation covers data written into hours already aggregated (seeding writes the past).
pub async fn reset_stats(db: &Db) -> AppResult<()> {
    let mut tx = db.pool.begin().await?;
    for t in ["stats_hourly", "stats_chats", "stats_cohorts", "stats_chat_days", "stats_cohort_days"] {
        sqlx::query(&format!("DELETE FROM {t}")).execute(&mut *tx).await?;
    }
    sqlx::query("UPDATE stats_watermark SET until = 0 WHERE id = 1").execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Refreshes the planner's statistics after a bulk load (`ANALYZE`; on PostgreSQL
/// `VACUUM ANALYZE`: until its visibility map is set, an index-only scan reads the table
/// anyway — measured: the Overview at 5,000,000 messages answered in 230 ms before, 45 ms
/// after).
pub async fn analyze(db: &Db) -> AppResult<()> {
    let sql = match db.dialect {
        Dialect::Postgres => "VACUUM ANALYZE",
        Dialect::Sqlite => "ANALYZE",
    };
    sqlx::query(sql).execute(&db.pool).await?;
    Ok(())
}
